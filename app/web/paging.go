package web

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// Every JSON list answers one shape, {"items":[…],"next_cursor":"…"|null,
// "total":N}, and a Link header to the next page: ?limit= (default 100,
// larger values clamped to 1,000) and ?cursor= (opaque: the next_cursor of
// the page before).

// pageBody is the body of every JSON list.
type pageBody[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
	Total      *int64  `json:"total,omitempty"`
}

// pageRequest reads ?limit= and ?cursor=.
func pageRequest(c *gin.Context) (database.PageRequest, error) {
	var r database.PageRequest
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return r, errs.Invalidf("INVALID_LIMIT", "limit must be a whole number from 1 (at most %d are answered)", database.MaxPageLimit)
		}
		r.Limit = min(n, database.MaxPageLimit)
	}
	if s := c.Query("cursor"); s != "" {
		after, ok := decodeCursor(s)
		if !ok {
			return r, database.ErrBadCursor
		}
		r.After = after
	}
	return r, nil
}

func encodeCursor(keys []int64) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = strconv.FormatInt(k, 10)
	}
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join(parts, ".")))
}

func decodeCursor(s string) ([]int64, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) == 0 || len(raw) > 64 {
		return nil, false
	}
	parts := strings.Split(string(raw), ".")
	out := make([]int64, len(parts))
	for i, p := range parts {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return nil, false
		}
		out[i] = n
	}
	return out, true
}

// writePage answers one page of a list, and the Link to the next one.
func writePage[T any](c *gin.Context, p database.Page[T]) {
	body := pageBody[T]{Items: p.Items}
	if body.Items == nil {
		body.Items = []T{}
	}
	if p.HasTotal {
		body.Total = &p.Total
	}
	if p.Next != nil {
		next := encodeCursor(p.Next)
		body.NextCursor = &next
		c.Header("Link", "<"+nextURL(c, next)+">; rel=\"next\"")
	}
	c.JSON(http.StatusOK, body)
}

// nextURL is the request's own URL with the cursor of the next page.
func nextURL(c *gin.Context, cursor string) string {
	u := *c.Request.URL
	q := u.Query()
	q.Set("cursor", cursor)
	u.RawQuery = q.Encode()
	return u.RequestURI()
}

// listed answers the page of a list that fetch reads for the request's
// ?limit= and ?cursor=.
func listed[T any](c *gin.Context, fetch func(database.PageRequest) (database.Page[T], error)) error {
	r, err := pageRequest(c)
	if err != nil {
		return err
	}
	p, err := fetch(r)
	if err != nil {
		return err
	}
	writePage(c, p)
	return nil
}
