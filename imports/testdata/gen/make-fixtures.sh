#!/usr/bin/env bash
# Regenerates the supplier fixtures with programs other than excelize:
# LibreOffice Calc (Debian libreoffice-calc-nogui), ExcelJS (npm exceljs 4),
# openpyxl and XlsxWriter (Debian python3-openpyxl, python3-xlsxwriter).
# The generated files are committed; tests never run this.
set -euo pipefail
cd "$(dirname "$0")"
python3 fods.py
soffice --headless --convert-to xlsx --outdir .. supplier.fods >/dev/null
mv ../supplier.xlsx ../libreoffice.xlsx
# 59 = ';' separator, 34 = '"' quote, 76 = UTF-8
soffice --headless --convert-to 'csv:Text - txt - csv (StarCalc):59,34,76,1' --outdir .. supplier.fods >/dev/null
mv ../supplier.csv ../libreoffice-semicolon.csv
rm -f supplier.fods
NODE_PATH="${NODE_PATH:-/tmp/jsfix/node_modules}" node exceljs.js
# A CSV saved by Excel in the Windows "CSV (comma delimited)" code page: not UTF-8.
printf 'sku,gtin,brand,model,category,markets\r\nCAF\xc9-1,4006381333931,Caf\xe9,M1,smart_plug,UK\r\n' > ../windows-1252.csv

# The number-format fixtures (formats.json): one workbook per writer and date system.
/usr/bin/python3 formats.py
/usr/bin/python3 formats_fods.py
for system in 1900 1904; do
	soffice --headless --convert-to xlsx --outdir .. "formats-$system.fods" >/dev/null
	mv "../formats-$system.xlsx" "../formats-libreoffice-$system.xlsx"
	rm -f "formats-$system.fods"
done
NODE_PATH="${NODE_PATH:-/tmp/jsfix/node_modules}" node formats.js
