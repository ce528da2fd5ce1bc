// Package imports will read supplier spreadsheets into the catalogue
// (issue 3). Its tables exist from schema version 2.
package imports
