package web

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/auth"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// errorBody is the one JSON error shape of the whole API.
type errorBody struct {
	Error errorPayload `json:"error"`
}

type errorPayload struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details any    `json:"details,omitempty"`
}

// statusOf maps an error kind to its HTTP status; this is the only place that does.
func statusOf(k errs.Kind) int {
	switch k {
	case errs.Invalid:
		return http.StatusBadRequest
	case errs.Unauthenticated:
		return http.StatusUnauthorized
	case errs.Forbidden:
		return http.StatusForbidden
	case errs.NotFound:
		return http.StatusNotFound
	case errs.Conflict:
		return http.StatusConflict
	case errs.TooLarge:
		return http.StatusRequestEntityTooLarge
	case errs.Unsupported:
		return http.StatusUnsupportedMediaType
	case errs.RateLimited:
		return http.StatusTooManyRequests
	case errs.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// writeError renders err as JSON.
func writeError(c *gin.Context, err error) {
	e := userError(c, err)
	c.AbortWithStatusJSON(statusOf(e.Kind), errorBody{Error: errorPayload{Code: e.Code, Message: e.Message, Details: e.Details}})
}

// userError is what a request's user is told of err, for the JSON API and
// the pages alike. Errors that are not *errs.Error are internal: logged with
// their cause, shown only as a request id; a database that cannot be reached
// is a 503 and a throttled one a 429, each with Retry-After.
func userError(c *gin.Context, err error) *errs.Error {
	e, ok := errs.As(err)
	if !ok && database.IsUnavailable(err) {
		e, ok = errs.E(errs.Unavailable, "DB_UNAVAILABLE", "the database is unavailable right now: try again in a moment").Wrap(err), true
	}
	switch {
	case ok && e.Kind == errs.Unavailable:
		c.Header("Retry-After", "5")
	case ok && e.Kind == errs.RateLimited:
		// Sign-in is the only throttle: failures age out after its window and
		// refused attempts add none, so waiting that long always suffices.
		c.Header("Retry-After", strconv.Itoa(int(auth.FailureWindow/time.Second)))
	}
	if !ok {
		loggerOf(c).ErrorContext(c.Request.Context(), "internal error", "err", err, "request_id", c.GetString(requestIDKey))
		e = errs.E(errs.Internal, "INTERNAL", "something went wrong on our side; quote request id %s", c.GetString(requestIDKey))
	} else if e.Kind == errs.Internal || e.Kind == errs.Unavailable {
		loggerOf(c).ErrorContext(c.Request.Context(), "request failed", "err", err, "request_id", c.GetString(requestIDKey))
	}
	c.Error(err) //nolint:errcheck // recorded for the request log
	return e
}

// handler is a gin handler that returns its error instead of writing it.
type handler func(c *gin.Context) error

// h adapts a handler to gin: every error leaves through writeError.
func h(fn handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := refuseNUL(c); err != nil {
			writeError(c, err)
			return
		}
		if err := fn(c); err != nil {
			writeError(c, err)
		}
	}
}

var errNoRoute = errs.E(errs.NotFound, "NO_SUCH_ROUTE", "there is no such API endpoint")
var errBadMethod = errs.E(errs.Invalid, "METHOD_NOT_ALLOWED", "this endpoint does not accept that method")

// writeBadMethod answers a known path asked with a method it does not
// accept: 405 is HTTP's own notion, so it is decided here, not by a kind.
func writeBadMethod(c *gin.Context) {
	c.AbortWithStatusJSON(http.StatusMethodNotAllowed, errorBody{Error: errorPayload{Code: errBadMethod.Code, Message: errBadMethod.Message}})
}

func isMaxBytes(err error) bool {
	var mb *http.MaxBytesError
	return errors.As(err, &mb)
}

const loggerKey = "logger"

// loggerOf returns the server's logger for this request.
func loggerOf(c *gin.Context) *slog.Logger {
	if l, ok := c.Get(loggerKey); ok {
		return l.(*slog.Logger)
	}
	return slog.Default()
}
