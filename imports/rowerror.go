package imports

import "fmt"

// Row error codes (SPEC §2).
const (
	CodeMissingRequired      = "MISSING_REQUIRED"
	CodeInvalidGTIN          = "INVALID_GTIN"
	CodeInvalidDate          = "INVALID_DATE"
	CodeAmbiguousDate        = "AMBIGUOUS_DATE"
	CodeUnknownCategory      = "UNKNOWN_CATEGORY"
	CodeUnknownMarket        = "UNKNOWN_MARKET"
	CodeUnknownPasswordModel = "UNKNOWN_PASSWORD_MODEL"
	CodeInvalidContact       = "INVALID_CONTACT"
	CodeInvalidStatement     = "INVALID_STATEMENT"
	CodeInvalidCEMarking     = "INVALID_CE_MARKING"
	CodeMalformedLabel       = "MALFORMED_LABEL"
	CodeUnknownScheme        = "UNKNOWN_SCHEME"
	CodeDuplicateSKU         = "DUPLICATE_SKU_IN_FILE"
	CodeGTINConflict         = "GTIN_CONFLICT"
	CodeValueTooLong         = "VALUE_TOO_LONG"
	CodeInvalidCharacter     = "INVALID_CHARACTER"
)

// RowError is why one cell, or one row, of a supplier's file was rejected.
type RowError struct {
	Row     int    `json:"row"`    // the row number as the spreadsheet shows it
	SKU     string `json:"sku"`    // as written, to find the row again
	Column  string `json:"column"` // the header as the supplier wrote it
	Value   string `json:"value"`  // the cell as written
	Code    string `json:"code"`
	Message string `json:"message"`
	Hint    string `json:"hint"`
}

// CodeHelp explains a row error code to a supplier: what it means and how to fix it.
type CodeHelp struct {
	Code    string
	Meaning string
	Fix     string
}

// Codes documents every row error code, in the order of SPEC §2. The template's
// Instructions sheet and the fix workbook's hints come from here.
var Codes = []CodeHelp{
	{CodeMissingRequired, "A required column is empty on this row.", "Fill in the cell. sku, gtin, brand, model, category and markets are required."},
	{CodeInvalidGTIN, "The GTIN (EAN/UPC barcode) is not a valid GTIN-8, -12, -13 or -14.", "Type the full barcode from the packaging; format the column as Text so leading zeros and digits are kept."},
	{CodeInvalidDate, "The date cannot be read.", "Write the date as 2028-06-30, or 2028-06 for the end of a month, or use a date cell."},
	{CodeAmbiguousDate, "Both numbers of the date could be the month, so day and month cannot be told apart.", "Write the date as YYYY-MM-DD, e.g. 2028-06-30."},
	{CodeUnknownCategory, "The category is not one of Cascade's categories.", "Pick a category from the drop-down of the template (see the Instructions sheet)."},
	{CodeUnknownMarket, "A market code is not one of UK, EU, SG, AU, US.", "List market codes separated by commas, e.g. UK, EU."},
	{CodeUnknownPasswordModel, "The password model is not one of the four allowed values.", "Use unique_per_device, user_defined, no_password or universal_default."},
	{CodeInvalidContact, "The vulnerability report contact is neither an https:// URL nor an e-mail address.", "Give the page or address where security researchers report vulnerabilities, e.g. https://example.com/security or security@example.com."},
	{CodeInvalidStatement, "The statement of compliance is neither a URL nor the word included.", "Give the URL of the statement of compliance, or write included if it ships in the box."},
	{CodeInvalidCEMarking, "CE marking must be yes or no.", "Write yes if the product carries the CE marking, otherwise no."},
	{CodeMalformedLabel, "A label claim is not written as SCHEME:LABEL-ID.", "Write each label as SCHEME:LABEL-ID, separated by ;, e.g. SG-CLS:CSA/311227/00042; DE-BSI:BSI-ITSK-2025-0107."},
	{CodeUnknownScheme, "A label claim names a scheme Cascade does not know.", "Use one of the scheme codes listed on the Instructions sheet."},
	{CodeDuplicateSKU, "The same SKU appears on more than one row of this file.", "Keep one row per SKU: remove or merge the duplicates."},
	{CodeGTINConflict, "The GTIN is already used by another of your SKUs, or by another row of this file.", "Each GTIN belongs to one SKU: correct the GTIN, or retire the other SKU first."},
	{CodeValueTooLong, "The cell is longer than Cascade accepts for this column.", "Shorten the value; see the limits on the Instructions sheet."},
	{CodeInvalidCharacter, "The cell holds a NUL character (shown as ␀), which is not text: it usually comes from a damaged file or a copy from another program.", "Delete the ␀ from the cell (retype the value), or save the file again from your spreadsheet program."},
}

var hints = func() map[string]string {
	m := make(map[string]string, len(Codes))
	for _, c := range Codes {
		m[c.Code] = c.Fix
	}
	return m
}()

// rowErr builds a RowError with the code's standard fix hint; the caller fills in where.
func rowErr(code, format string, args ...any) *RowError {
	return &RowError{Code: code, Message: fmt.Sprintf(format, args...), Hint: hints[code]}
}
