// Package errs defines Cascade's error values: a kind that decides the HTTP
// status or exit code, and a stable code plus message a user can act on.
//
// Domain packages return *Error for anything a caller caused; any other error
// is an internal failure whose text is logged but never shown to users.
package errs

import (
	"errors"
	"fmt"
)

// Kind classifies an error for the transport layer.
type Kind int

const (
	Internal Kind = iota
	Invalid
	Unauthenticated
	Forbidden
	NotFound
	Conflict
	TooLarge
	Unsupported
	RateLimited
	Unavailable
)

// Error is an error a user can act on.
type Error struct {
	Kind    Kind
	Code    string // stable, upper-case, e.g. "UNKNOWN_SUPPLIER"
	Message string // one sentence for a person
	Details any    // optional structured detail (field errors, limits)
	cause   error
}

func (e *Error) Error() string {
	if e.cause != nil {
		return e.Code + ": " + e.Message + ": " + e.cause.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.cause }

// E builds an error of the given kind and code.
func E(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// WithDetails returns a copy of e carrying details.
func (e *Error) WithDetails(details any) *Error {
	c := *e
	c.Details = details
	return &c
}

// Wrap returns a copy of e that records cause for logs and errors.Is.
func (e *Error) Wrap(cause error) *Error {
	c := *e
	c.cause = cause
	return &c
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// KindOf reports the kind of err; errors that are not *Error are Internal.
func KindOf(err error) Kind {
	if e, ok := As(err); ok {
		return e.Kind
	}
	return Internal
}

// CodeOf reports the code of err, "INTERNAL" for unclassified errors.
func CodeOf(err error) string {
	if e, ok := As(err); ok {
		return e.Code
	}
	return "INTERNAL"
}

// Common errors shared by every package.
var (
	ErrUnauthenticated = E(Unauthenticated, "UNAUTHENTICATED", "sign in or send a valid API token")
	ErrForbidden       = E(Forbidden, "FORBIDDEN", "your role does not allow this")
)

// NotFoundf reports that a thing does not exist or is not visible to the caller.
// The two are deliberately indistinguishable.
func NotFoundf(format string, args ...any) *Error {
	return E(NotFound, "NOT_FOUND", format, args...)
}

// Invalidf reports bad input with the given code.
func Invalidf(code, format string, args ...any) *Error {
	return E(Invalid, code, format, args...)
}

// FieldError names one invalid field of a request.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}
