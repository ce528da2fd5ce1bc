#!/usr/bin/env python3
"""Writes the number-format fixtures of formats.json with openpyxl and
XlsxWriter (Debian: python3-openpyxl, python3-xlsxwriter), each in the 1900
and the 1904 date system: ../formats-openpyxl-1900.xlsx and so on. A
"builtin:N" format is the built-in number format N; every other format is
the format code itself, which the writers store as a custom numFmt."""
import datetime
import json

import openpyxl
from openpyxl.styles.numbers import BUILTIN_FORMATS
from openpyxl.utils.datetime import CALENDAR_MAC_1904
import xlsxwriter

spec = json.load(open("formats.json"))
HEADERS = ["sku", "gtin", "brand", "model", "category", "markets", "support_end"]


def value(r):
    t, v = r["type"], r["value"]
    if t == "date":
        return datetime.date.fromisoformat(v)
    if t == "datetime":
        return datetime.datetime.fromisoformat(v)
    if t == "time":
        return datetime.time.fromisoformat(v)
    return v  # number or text


def fixed(r):
    return [r["sku"], r["gtin"], "Acme", "M-" + r["sku"], "smart_plug", "UK"]


def with_openpyxl(path, date1904):
    wb = openpyxl.Workbook()
    if date1904:
        wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.title = "Products"
    ws.append(HEADERS)
    for r in spec["rows"]:
        ws.append(fixed(r) + [value(r)])
        cell = ws.cell(row=ws.max_row, column=len(HEADERS))
        fmt = r["format"]
        cell.number_format = BUILTIN_FORMATS[int(fmt[8:])] if fmt.startswith("builtin:") else fmt
    wb.save(path)


def with_xlsxwriter(path, date1904):
    wb = xlsxwriter.Workbook(path, {"date_1904": date1904, "strings_to_numbers": False})
    ws = wb.add_worksheet("Products")
    ws.write_row(0, 0, HEADERS)
    for i, r in enumerate(spec["rows"], start=1):
        ws.write_row(i, 0, fixed(r))
        fmt = r["format"]
        f = wb.add_format({"num_format": int(fmt[8:]) if fmt.startswith("builtin:") else fmt})
        v = value(r)
        if r["type"] in ("date", "datetime", "time"):
            ws.write_datetime(i, len(HEADERS) - 1, v, f)
        elif r["type"] == "number":
            ws.write_number(i, len(HEADERS) - 1, v, f)
        else:
            ws.write_string(i, len(HEADERS) - 1, v, f)
    wb.close()


for system, d1904 in (("1900", False), ("1904", True)):
    with_openpyxl(f"../formats-openpyxl-{system}.xlsx", d1904)
    with_xlsxwriter(f"../formats-xlsxwriter-{system}.xlsx", d1904)
