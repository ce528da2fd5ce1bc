#!/usr/bin/env python3
"""Writes formats-1900.fods and formats-1904.fods (flat OpenDocument
spreadsheets of the rows of formats.json, each support_end cell typed and
styled as named there) for LibreOffice to convert to XLSX: LibreOffice
writes its own numFmts for them, and date1904 for the 1904 null date."""
import json
from xml.sax.saxutils import escape

spec = json.load(open("formats.json"))
HEADERS = ["sku", "gtin", "brand", "model", "category", "markets", "support_end"]

# OpenDocument data styles for the format codes of formats.json.
STYLES = {
    "yyyy-mm-dd": '<number:date-style style:name="N1"><number:year number:style="long"/><number:text>-</number:text><number:month number:style="long"/><number:text>-</number:text><number:day number:style="long"/></number:date-style>',
    "dd/mm/yyyy": '<number:date-style style:name="N2"><number:day number:style="long"/><number:text>/</number:text><number:month number:style="long"/><number:text>/</number:text><number:year number:style="long"/></number:date-style>',
    "builtin:14": '<number:date-style style:name="N3" number:automatic-order="true"><number:month/><number:text>/</number:text><number:day/><number:text>/</number:text><number:year number:style="long"/></number:date-style>',
    "d mmmm yyyy": '<number:date-style style:name="N4"><number:day/><number:text> </number:text><number:month number:textual="true" number:style="long"/><number:text> </number:text><number:year number:style="long"/></number:date-style>',
    "yyyy-mm-dd hh:mm": '<number:date-style style:name="N5"><number:year number:style="long"/><number:text>-</number:text><number:month number:style="long"/><number:text>-</number:text><number:day number:style="long"/><number:text> </number:text><number:hours number:style="long"/><number:text>:</number:text><number:minutes number:style="long"/></number:date-style>',
    "0.00": '<number:number-style style:name="N6"><number:number number:decimal-places="2" number:min-decimal-places="2" number:min-integer-digits="1"/></number:number-style>',
    "0\" days\"": '<number:number-style style:name="N7"><number:number number:decimal-places="0" number:min-integer-digits="1"/><number:text> days</number:text></number:number-style>',
    "hh:mm": '<number:time-style style:name="N8"><number:hours number:style="long"/><number:text>:</number:text><number:minutes number:style="long"/></number:time-style>',
}
NAMES = {code: "ce%d" % i for i, code in enumerate(STYLES, start=1)}


def text(v):
    return f'<table:table-cell office:value-type="string"><text:p>{escape(str(v))}</text:p></table:table-cell>'


def cell(r):
    style = f' table:style-name="{NAMES[r["format"]]}"' if r["format"] in NAMES else ""
    t, v = r["type"], r["value"]
    if t in ("date", "datetime"):
        return f'<table:table-cell{style} office:value-type="date" office:date-value="{v}"><text:p>{v}</text:p></table:table-cell>'
    if t == "time":
        h, m, s = v.split(":")
        return f'<table:table-cell{style} office:value-type="time" office:time-value="PT{h}H{m}M{s}S"><text:p>{v}</text:p></table:table-cell>'
    if t == "number":
        return f'<table:table-cell{style} office:value-type="float" office:value="{v}"><text:p>{v}</text:p></table:table-cell>'
    return f'<table:table-cell{style} office:value-type="string"><text:p>{escape(v)}</text:p></table:table-cell>'


def row(cells):
    return "<table:table-row>" + "".join(cells) + "</table:table-row>"


body = [row(text(h) for h in HEADERS)]
for r in spec["rows"]:
    body.append(row([text(r["sku"]), text(r["gtin"]), text("Acme"), text("M-" + r["sku"]), text("smart_plug"), text("UK"), cell(r)]))
cell_styles = "".join(f'<style:style style:name="{NAMES[c]}" style:family="table-cell" style:data-style-name="{s[s.index("style:name=") + 12:s.index(chr(34), s.index("style:name=") + 12)]}"/>' for c, s in STYLES.items())

for system in ("1900", "1904"):
    null_date = '<table:calculation-settings><table:null-date table:date-value="1904-01-01"/></table:calculation-settings>' if system == "1904" else ""
    open(f"formats-{system}.fods", "w").write(f'''<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.spreadsheet">
<office:automatic-styles>
{"".join(STYLES.values())}
{cell_styles}
</office:automatic-styles>
<office:body><office:spreadsheet>{null_date}<table:table table:name="Products">
{chr(10).join(body)}
</table:table></office:spreadsheet></office:body></office:document>
''')
