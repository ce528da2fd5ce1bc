package web

import (
	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// formFailed prepares v to show its form again after err: the error in
// the banner (role=alert) and next to each field it names, with what the
// person typed kept by the caller. It answers the status to show it with,
// and false for errors a form cannot fix (forbidden, not found, the
// database): those go to the error page. Not found is a form's error
// when it names a field (a GTIN nobody sells), not when the page's own
// record is gone.
func formFailed(c *gin.Context, v view, err error) (int, bool) {
	e, ok := errs.As(err)
	_, named := errsFields(e)
	if !ok || !(e.Kind == errs.Invalid || e.Kind == errs.Conflict || e.Kind == errs.TooLarge || (e.Kind == errs.NotFound && named)) {
		return 0, false
	}
	e = userError(c, err)
	d := v.base()
	d.Error, d.ErrorCode = e.Message, e.Code
	if fields, ok := e.Details.([]errs.FieldError); ok {
		d.Fields = make(map[string]string, len(fields))
		for _, f := range fields {
			if _, seen := d.Fields[f.Field]; !seen {
				d.Fields[f.Field] = f.Message
			}
		}
	}
	return statusOf(e.Kind), true
}

// FieldError is what is wrong with a form field, "" when nothing is.
func (d *pageData) FieldError(name string) string { return d.Fields[name] }

// fieldOf names the form field an error is about, unless it names some already.
func fieldOf(err error, field string) error {
	e, ok := errs.As(err)
	if !ok || e.Details != nil {
		return err
	}
	return e.WithDetails([]errs.FieldError{{Field: field, Message: e.Message}})
}

func errsFields(e *errs.Error) ([]errs.FieldError, bool) {
	if e == nil {
		return nil, false
	}
	f, ok := e.Details.([]errs.FieldError)
	return f, ok && len(f) > 0
}
