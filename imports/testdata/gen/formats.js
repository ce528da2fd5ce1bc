// Writes ../formats-exceljs-1900.xlsx and ../formats-exceljs-1904.xlsx from
// formats.json: each support_end cell typed and formatted as named there
// (a "builtin:N" format is the code ExcelJS maps to the built-in id N).
const ExcelJS = require('exceljs');
const fs = require('fs');
const spec = JSON.parse(fs.readFileSync('formats.json'));
const builtin = {14: 'mm-dd-yy'};
const headers = ['sku', 'gtin', 'brand', 'model', 'category', 'markets', 'support_end'];

function value(r) {
  switch (r.type) {
    case 'date': return new Date(r.value + 'T00:00:00Z');
    case 'datetime': return new Date(r.value + 'Z');
    case 'time': return new Date('1899-12-30T' + r.value + 'Z');
    default: return r.value;
  }
}

(async () => {
  for (const [system, date1904] of [['1900', false], ['1904', true]]) {
    const wb = new ExcelJS.Workbook();
    wb.properties.date1904 = date1904;
    const ws = wb.addWorksheet('Products');
    ws.addRow(headers);
    for (const r of spec.rows) {
      const row = ws.addRow([r.sku, r.gtin, 'Acme', 'M-' + r.sku, 'smart_plug', 'UK', value(r)]);
      const f = r.format.startsWith('builtin:') ? builtin[r.format.slice(8)] : r.format;
      if (f !== 'General') row.getCell(headers.length).numFmt = f;
    }
    await wb.xlsx.writeFile(`../formats-exceljs-${system}.xlsx`);
  }
})();
