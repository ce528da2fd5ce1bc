package database

import (
	"database/sql/driver"
	"fmt"
)

// JSONText is a JSON document kept in a TEXT column and passed through to
// API responses as it is, without decoding it.
type JSONText []byte

// Scan reads the column's text.
func (j *JSONText) Scan(src any) error {
	switch v := src.(type) {
	case string:
		*j = JSONText(v)
	case []byte:
		*j = append(JSONText(nil), v...)
	case nil:
		*j = nil
	default:
		return fmt.Errorf("JSONText: cannot scan %T", src)
	}
	return nil
}

// Value stores the text.
func (j JSONText) Value() (driver.Value, error) { return string(j), nil }

// MarshalJSON embeds the document as it is ("null" when empty).
func (j JSONText) MarshalJSON() ([]byte, error) {
	if len(j) == 0 {
		return []byte("null"), nil
	}
	return j, nil
}
