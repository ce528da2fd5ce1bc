// Writes exceljs.xlsx (shared strings, date cells, the Products sheet second,
// a boolean cell) and exceljs-bom.csv (UTF-8 with BOM, comma-separated).
const ExcelJS = require('exceljs');
const fs = require('fs');
const spec = JSON.parse(fs.readFileSync('rows.json'));

function value(v) {
  if (v && typeof v === 'object' && 'n' in v) return v.n;
  if (v && typeof v === 'object' && 'd' in v) return new Date(v.d + 'T00:00:00Z');
  return v;
}

(async () => {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'Acme ERP';
  const notes = wb.addWorksheet('Read me');
  notes.addRow(['This workbook lists our products on the Products sheet.']);
  const ws = wb.addWorksheet('Products');
  ws.addRow([spec.title]);
  ws.addRow([]);
  ws.addRow(spec.headers);
  for (const r of spec.rows) {
    const row = ws.addRow(r.map(value));
    r.forEach((v, i) => {
      if (v && typeof v === 'object' && 'd' in v) row.getCell(i + 1).numFmt = 'yyyy-mm-dd';
    });
  }
  await wb.xlsx.writeFile('../exceljs.xlsx');

  const lines = [[spec.title], [], spec.headers, ...spec.rows.map(r => r.map(v =>
    v && typeof v === 'object' ? ('n' in v ? String(v.n) : v.d) : v))];
  const csv = lines.map(r => r.map(c => /[",\n]/.test(c) ? '"' + c.replace(/"/g, '""') + '"' : c).join(',')).join('\r\n');
  fs.writeFileSync('../exceljs-bom.csv', '\ufeff' + csv + '\r\n');
})();
