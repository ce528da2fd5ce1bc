#!/usr/bin/env python3
"""Writes supplier.fods, a flat OpenDocument spreadsheet with typed cells
(number GTINs, date cells, text), for LibreOffice to convert to XLSX and CSV."""
import json
from xml.sax.saxutils import escape

spec = json.load(open("rows.json"))

def cell(v):
    if isinstance(v, dict) and "n" in v:
        return f'<table:table-cell office:value-type="float" office:value="{v["n"]}"><text:p>{v["n"]}</text:p></table:table-cell>'
    if isinstance(v, dict) and "d" in v:
        return f'<table:table-cell table:style-name="isodate" office:value-type="date" office:date-value="{v["d"]}"><text:p>{v["d"]}</text:p></table:table-cell>'
    if v == "":
        return "<table:table-cell/>"
    return f'<table:table-cell office:value-type="string"><text:p>{escape(v)}</text:p></table:table-cell>'

rows = [[spec["title"]], [], spec["headers"]] + spec["rows"]
body = "\n".join("<table:table-row>" + "".join(cell(v) for v in r) + "</table:table-row>" if r else
                 "<table:table-row><table:table-cell/></table:table-row>" for r in rows)
open("supplier.fods", "w").write(f'''<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.spreadsheet">
<office:automatic-styles>
 <number:date-style style:name="iso"><number:year number:style="long"/><number:text>-</number:text><number:month number:style="long"/><number:text>-</number:text><number:day number:style="long"/></number:date-style>
 <style:style style:name="isodate" style:family="table-cell" style:data-style-name="iso"/>
</office:automatic-styles>
<office:body><office:spreadsheet><table:table table:name="Products">
{body}
</table:table></office:spreadsheet></office:body></office:document>
''')
