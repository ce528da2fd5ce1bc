package web

import (
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// PostgreSQL refuses a NUL character in text (SQLite stores it), so input
// holding one would be a 500 there, or a value no one can see, search or
// type again. It is refused where input enters, before any handler or
// store sees it: the path, the query and form fields (refuseNUL, run for
// every handler), and every string of a JSON body (bindJSON).

// errNUL says where a NUL was found.
func errNUL(where string) *errs.Error {
	return errs.Invalidf("INVALID_CHARACTER", "%s holds a NUL character (%%00 or \\u0000), which is not text: remove it and send the request again", where).
		WithDetails([]errs.FieldError{{Field: where, Message: "holds a NUL character"}})
}

// refuseNUL checks the request's path, query parameters and, for a form
// post, its fields.
func refuseNUL(c *gin.Context) error {
	r := c.Request
	if strings.IndexByte(r.URL.Path, 0) >= 0 {
		return errNUL("the path")
	}
	if strings.Contains(r.URL.RawQuery, "%00") || strings.IndexByte(r.URL.RawQuery, 0) >= 0 {
		for name, values := range r.URL.Query() {
			if hasNUL(name, values) {
				return errNUL("query parameter " + strconv.Quote(strings.ReplaceAll(name, "\x00", "")))
			}
		}
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/x-www-form-urlencoded" && r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			if isMaxBytes(err) {
				return errs.E(errs.TooLarge, "BODY_TOO_LARGE", "the request body is larger than this endpoint accepts")
			}
			return nil // the handler reports a form it cannot read
		}
		for name, values := range r.PostForm {
			if hasNUL(name, values) {
				return errNUL("field " + strconv.Quote(strings.ReplaceAll(name, "\x00", "")))
			}
		}
	}
	return nil
}

// hasNUL reports whether a parameter's name or values hold a NUL. The
// sign-in's next is exempt: it is never stored or searched, and safeNext
// replaces an unsafe one with the role's home, so the sign-in still works.
func hasNUL(name string, values []string) bool {
	if name == "next" {
		return false
	}
	if strings.IndexByte(name, 0) >= 0 {
		return true
	}
	for _, v := range values {
		if strings.IndexByte(v, 0) >= 0 {
			return true
		}
	}
	return false
}

// nulField returns the JSON name of the first string in v, a decoded body,
// that holds a NUL, and whether there is one.
func nulField(v reflect.Value, name string) (string, bool) {
	switch v.Kind() {
	case reflect.String:
		return name, strings.IndexByte(v.String(), 0) >= 0
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return nulField(v.Elem(), name)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			field := f.Name
			if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag != "" && tag != "-" {
				field = tag
			}
			if !f.Anonymous {
				field = join(name, field)
			} else {
				field = name
			}
			if at, ok := nulField(v.Field(i), field); ok {
				return at, true
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			return "", false // bytes, not text
		}
		for i := range v.Len() {
			if at, ok := nulField(v.Index(i), name+"["+strconv.Itoa(i)+"]"); ok {
				return at, true
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			key := it.Key()
			if key.Kind() == reflect.String && strings.IndexByte(key.String(), 0) >= 0 {
				return name, true
			}
			if at, ok := nulField(it.Value(), join(name, key.String())); ok {
				return at, true
			}
		}
	}
	return "", false
}

func join(parent, field string) string {
	if parent == "" {
		return field
	}
	return parent + "." + field
}
