package web

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// bindJSON decodes the request body into v strictly: JSON only, one value,
// no unknown fields, within the body size limit. Each failure has its own code.
func bindJSON(c *gin.Context, v any) error {
	mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if mt != "application/json" {
		return errs.E(errs.Unsupported, "UNSUPPORTED_MEDIA_TYPE", "send the body as JSON with Content-Type: application/json")
	}
	dec := json.NewDecoder(c.Request.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if isMaxBytes(err) {
			return jsonError(err)
		}
		return errs.Invalidf("MALFORMED_JSON", "the body must hold exactly one JSON value")
	}
	if at, ok := nulField(reflect.ValueOf(v), ""); ok {
		return errNUL("field " + strconv.Quote(strings.ReplaceAll(at, "\x00", "")))
	}
	return nil
}

func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	if e, ok := errs.As(err); ok { // a field's own UnmarshalJSON said what is wrong
		return e
	}
	switch {
	case isMaxBytes(err):
		return errs.E(errs.TooLarge, "BODY_TOO_LARGE", "the request body is larger than this endpoint accepts")
	case errors.Is(err, io.EOF):
		return errs.Invalidf("EMPTY_BODY", "the request body is empty: send a JSON object")
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return errs.Invalidf("MALFORMED_JSON", "the body is not valid JSON: %v", err)
	case errors.As(err, &typeErr):
		return errs.Invalidf("INVALID_FIELD_TYPE", "field %q must be a %s", typeErr.Field, typeErr.Type.String()).
			WithDetails([]errs.FieldError{{Field: typeErr.Field, Message: "must be a " + typeErr.Type.String()}})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return errs.Invalidf("UNKNOWN_FIELD", "field %q is not accepted here", field).
			WithDetails([]errs.FieldError{{Field: field, Message: "unknown field"}})
	}
	return errs.Invalidf("MALFORMED_JSON", "the body could not be read as JSON: %v", err)
}

// pathID reads a positive integer path parameter; anything else is a 404,
// as no record has that id.
func pathID(c *gin.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.NotFoundf("no record has id %q", c.Param(name))
	}
	return id, nil
}

// queryInt reads an optional non-negative integer query parameter.
func queryInt(c *gin.Context, name string) (int64, error) {
	s := c.Query(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, errs.Invalidf("INVALID_PARAMETER", "query parameter %s must be a whole number, got %q", name, s)
	}
	return n, nil
}

// queryBool reads an optional true/false query parameter. Any other value
// is refused, not read as false: ?dry_run=1 meaning a real import is the
// kind of surprise that stores what the caller meant only to check.
// A flag given with no value (?dry_run) or twice is refused too: both
// read as false before (found by a hostile trial).
func queryBool(c *gin.Context, name string) (bool, error) {
	values, given := c.GetQueryArray(name)
	if !given {
		return false, nil
	}
	if len(values) == 1 {
		switch values[0] {
		case "false":
			return false, nil
		case "true":
			return true, nil
		}
	}
	return false, errs.Invalidf("INVALID_PARAMETER", "query parameter %s must be given once, as true or false, got %q", name, values)
}

// onlyQuery refuses a query parameter the route does not take. An upload
// is a write: ?dryrun=true, ignored, stored a file its sender meant only
// to check (found by a hostile trial).
func onlyQuery(c *gin.Context, names ...string) error {
	for name := range c.Request.URL.Query() {
		if !slices.Contains(names, name) {
			return errs.Invalidf("INVALID_PARAMETER", "this route takes no query parameter %q (it takes %s)", name, strings.Join(names, ", "))
		}
	}
	return nil
}
