package database

import (
	"errors"
	"strings"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// Every list the service answers is read in pages by keyset: a page is the
// items after the sort key of the previous page's last item, so a page costs
// the same at the millionth item as at the first, and rows inserted while a
// client pages through never make it skip or repeat one.
const (
	DefaultPageLimit = 100
	MaxPageLimit     = 1000
)

// PageRequest asks for one page of a list. After is the sort key of the last
// item of the previous page (nil: the first page); Limit is normalised by
// Size.
type PageRequest struct {
	Limit int
	After []int64
}

// ErrBadCursor answers a cursor that is not a next_cursor of this list.
var ErrBadCursor = errs.Invalidf("INVALID_CURSOR", "cursor must be the next_cursor of an earlier page of this list")

// One is the key a list keyed by one column resumes after: 0 on the first page.
func (r PageRequest) One() (int64, error) {
	switch {
	case r.After == nil:
		return 0, nil
	case len(r.After) != 1:
		return 0, ErrBadCursor
	}
	return r.After[0], nil
}

// Position is where a list paged by position (not keyset) resumes: 0 on
// the first page.
func (r PageRequest) Position() (int, error) {
	n, err := r.One()
	if err != nil || n < 0 || n > 1<<30 {
		return 0, ErrBadCursor
	}
	return int(n), nil
}

// Size is the number of items a page holds: Limit, DefaultPageLimit when it
// is unset, at most MaxPageLimit.
func (r PageRequest) Size() int {
	switch {
	case r.Limit <= 0:
		return DefaultPageLimit
	case r.Limit > MaxPageLimit:
		return MaxPageLimit
	}
	return r.Limit
}

// Page is one page of a list. Next is the key to ask for the page after this
// one, nil on the last page. Total counts every item of the list (not only
// this page) when HasTotal; lists that cannot count cheaply leave it unset.
type Page[T any] struct {
	Items    []T
	Next     []int64
	Total    int64
	HasTotal bool
}

// ErrPageFull is what a Collector's Add answers once the page is full (and
// one more item proved there is a next page): a streaming reader stops there.
var ErrPageFull = errors.New("page full")

// Collector builds a page from a stream read in key order, for lists that
// are read by a callback (and filtered as they stream).
type Collector[T any] struct {
	size  int
	key   func(T) []int64
	items []T
	more  bool
}

// NewCollector returns a collector of one page of r, keyed by key.
func NewCollector[T any](r PageRequest, key func(T) []int64) *Collector[T] {
	return &Collector[T]{size: r.Size(), key: key, items: make([]T, 0, min(r.Size(), 128))}
}

// Add takes the next item of the stream, or answers ErrPageFull.
func (c *Collector[T]) Add(item T) error {
	if len(c.items) == c.size {
		c.more = true
		return ErrPageFull
	}
	c.items = append(c.items, item)
	return nil
}

// Page returns the page collected, given the error the stream ended with
// (ErrPageFull is not an error).
func (c *Collector[T]) Page(err error) (Page[T], error) {
	if err != nil && !errors.Is(err, ErrPageFull) {
		return Page[T]{}, err
	}
	p := Page[T]{Items: c.items}
	if c.more {
		p.Next = c.key(c.items[len(c.items)-1])
	}
	return p, nil
}

// Keyset is the order a list is paged in: by its key columns, the last of
// which is unique, ascending or descending.
type Keyset struct {
	Columns []string
	Desc    bool
	NoTotal bool // the list is too large to count on every page
}

// ByID and NewestFirst are the two orders most lists are read in.
var (
	ByID        = Keyset{Columns: []string{"id"}}
	NewestFirst = Keyset{Columns: []string{"id"}, Desc: true}
)

// Paginate reads one page of q in the keyset's order, with its total. q must
// hold only conditions (no order, limit or preload that a count cannot
// take); prepare adds what the items need (a preload, an omit) to the page
// query alone. key returns an item's values of the key columns.
func Paginate[T any](q *gorm.DB, r PageRequest, k Keyset, key func(T) []int64, prepare ...func(*gorm.DB) *gorm.DB) (Page[T], error) {
	columns, desc := k.Columns, k.Desc
	if r.After != nil && len(r.After) != len(columns) {
		return Page[T]{}, ErrBadCursor
	}
	q = q.Session(&gorm.Session{})
	var total int64
	if !k.NoTotal {
		if err := q.Model(new(T)).Count(&total).Error; err != nil {
			return Page[T]{}, err
		}
	}
	page := q
	if r.After != nil {
		op, args := ">", make([]any, len(r.After))
		if desc {
			op = "<"
		}
		for i, v := range r.After {
			args[i] = v
		}
		cols := strings.Join(columns, ", ")
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(columns)), ", ")
		if len(columns) == 1 {
			page = page.Where(cols+" "+op+" ?", args...)
		} else {
			page = page.Where("("+cols+") "+op+" ("+marks+")", args...)
		}
	}
	dir := ""
	if desc {
		dir = " DESC"
	}
	for _, c := range columns {
		page = page.Order(c + dir)
	}
	for _, p := range prepare {
		page = p(page)
	}
	size := r.Size()
	var items []T
	if err := page.Limit(size + 1).Find(&items).Error; err != nil {
		return Page[T]{}, err
	}
	out := Page[T]{Items: items, Total: total, HasTotal: !k.NoTotal}
	if len(items) > size {
		out.Items = items[:size]
		out.Next = key(items[size-1])
	}
	if out.Items == nil {
		out.Items = []T{}
	}
	return out, nil
}

// Map converts a page's items, keeping its cursor and total.
func Map[T, U any](p Page[T], f func(T) U) Page[U] {
	out := Page[U]{Items: make([]U, len(p.Items)), Next: p.Next, Total: p.Total, HasTotal: p.HasTotal}
	for i, x := range p.Items {
		out.Items[i] = f(x)
	}
	return out
}
