package imports

// errorRow is one row of import_row_errors: a reason a row of the file was
// rejected, with the row as written; values gives its columns in the order
// of errorColumns.
type errorRow struct {
	BatchID       int64
	RowNumber     int
	SKU           string
	Column, Value string // the header and the cell as the supplier wrote them
	Code          string
	Message, Hint string
	RowData       string // the row as written (rowData)
}

var errorColumns = []string{"batch_id", "row_number", "sku", "column_name", "value", "code", "message", "hint", "row_data"}

func (r errorRow) values() []any {
	return []any{r.BatchID, r.RowNumber, r.SKU, r.Column, r.Value, r.Code, r.Message, r.Hint, r.RowData}
}

// errorRowOf is the error row of a reason e found in a row of batch.
func errorRowOf(batchID int64, e RowError, rowData string) errorRow {
	return errorRow{BatchID: batchID, RowNumber: e.Row, SKU: e.SKU, Column: e.Column, Value: e.Value,
		Code: e.Code, Message: e.Message, Hint: e.Hint, RowData: rowData}
}

// valuesOf turns typed rows into what database.InsertRows takes.
func valuesOf[R interface{ values() []any }](rows []R) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = r.values()
	}
	return out
}
