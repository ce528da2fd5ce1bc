package verdicts

import (
	"context"
	"sort"
	"strings"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog/policy"
)

// The calendar of upcoming blocks (issue 18) counts what UpcomingBlocks
// lists: verdicts (a product in a market and channel), allowed today, by the
// month they turn blocked and the reasons that will block them. A cell's
// number is the total of the list its Filter selects.

// MaxCalendarMonths is as far ahead as the calendar looks: this month and
// the next eleven end within MaxWithinDays of any day, so every month it
// shows is one the verdicts' outlook has looked at in full.
const MaxCalendarMonths = 12

// CalendarFilter picks the calendar's months and the verdicts it counts.
type CalendarFilter struct {
	Months     int // this month and the next Months-1; 0: MaxCalendarMonths
	Market     string
	Channel    string
	SupplierID int64
}

// Calendar is the number of verdicts turning blocked, by month and reason.
type Calendar struct {
	From    civil.Date      `json:"from"`    // the first day counted: tomorrow (a block today has happened)
	Through civil.Date      `json:"through"` // the last day counted: the end of the last month
	Months  []string        `json:"months"`  // YYYY-MM, this month first
	Totals  []int           `json:"totals"`  // a month's verdicts, one with two reasons once
	Reasons []CalendarCount `json:"reasons"` // the reasons that will block, most verdicts first
	// KnownThrough is the last day the active policy's outlook looks at: a
	// block after it is found only once it comes within reach, so when it
	// is before Through the months after it may count too few.
	KnownThrough civil.Date `json:"known_through"`

	filter CalendarFilter
}

// Short says whether the active policy's outlook stops before the last
// month ends: the months after KnownThrough may count too few.
func (c Calendar) Short() bool { return c.KnownThrough.Before(c.Through) }

// CalendarCount is one reason's verdicts, by the calendar's months.
type CalendarCount struct {
	Code    string `json:"code"`
	Message string `json:"message"` // what the active policy says of it; "" when its rules say different things
	Counts  []int  `json:"counts"`  // one a month, as Calendar.Months
	Total   int    `json:"total"`
}

// Filter is the list behind a cell: the verdicts that turn blocked in
// month (YYYY-MM; "" the whole calendar) for code ("" any reason), as the
// calendar counts them.
func (c Calendar) Filter(month, code string) UpcomingFilter {
	f := UpcomingFilter{Month: month, Code: code, Market: c.filter.Market, Channel: c.filter.Channel, SupplierID: c.filter.SupplierID}
	if month == "" && !c.Through.IsZero() {
		f.WithinDays = int(c.Through.Time().Sub(c.From.AddDays(-1).Time()).Hours() / 24)
	}
	return f
}

// UpcomingCalendar counts the verdicts the caller may see that turn
// blocked in each of f.Months months, by reason: one query grouped by the
// month and the set of reasons, read through verdicts_blocks_on. A verdict
// that two reasons will block counts under each, and once in its month's
// total. Suppliers see their own; category managers and admins every
// supplier's.
func (s *Service) UpcomingCalendar(ctx context.Context, f CalendarFilter) (Calendar, error) {
	if f.Months == 0 {
		f.Months = MaxCalendarMonths
	}
	if f.Months < 1 || f.Months > MaxCalendarMonths {
		return Calendar{}, errs.Invalidf("INVALID_MONTHS", "months must be 1 to %d", MaxCalendarMonths)
	}
	today := civil.Of(s.now())
	first := civil.Date{Year: today.Year, Month: today.Month, Day: 1}
	c := Calendar{From: today.AddDays(1), Through: first.AddMonths(f.Months).AddDays(-1), filter: f}
	for m := range f.Months {
		c.Months = append(c.Months, first.AddMonths(m).String()[:7])
	}
	uf := c.Filter("", "")
	q, err := s.upcomingQuery(ctx, uf)
	if err != nil {
		return Calendar{}, err
	}
	var groups []struct {
		Month, Codes string
		N            int
	}
	if err := byMonthAndReasons(q).Scan(&groups).Error; err != nil {
		return Calendar{}, err
	}
	_, doc, err := s.policies.Active(ctx)
	if err != nil {
		return Calendar{}, err
	}
	c.KnownThrough = today.AddDays(MaxWithinDays)
	if doc.OutlookDays > 0 {
		c.KnownThrough = today.AddDays(min(doc.OutlookDays, MaxWithinDays))
	}
	messages := calendarMessages(doc)

	col := make(map[string]int, len(c.Months))
	for i, m := range c.Months {
		col[m] = i
	}
	c.Totals = make([]int, len(c.Months))
	row := map[string]int{}
	for _, g := range groups {
		i, ok := col[g.Month]
		if !ok { // the query's range is the months': never
			continue
		}
		c.Totals[i] += g.N
		for _, code := range strings.Fields(g.Codes) {
			r, ok := row[code]
			if !ok {
				r = len(c.Reasons)
				row[code] = r
				c.Reasons = append(c.Reasons, CalendarCount{Code: code, Message: messages[code], Counts: make([]int, len(c.Months))})
			}
			c.Reasons[r].Counts[i] += g.N
			c.Reasons[r].Total += g.N
		}
	}
	sort.Slice(c.Reasons, func(i, j int) bool {
		if c.Reasons[i].Total != c.Reasons[j].Total {
			return c.Reasons[i].Total > c.Reasons[j].Total
		}
		return c.Reasons[i].Code < c.Reasons[j].Code
	})
	if c.Reasons == nil {
		c.Reasons = []CalendarCount{}
	}
	return c, nil
}

// byMonthAndReasons groups the upcoming blocks q selects by the month they
// turn blocked and their reasons (as stored: a few sets of reasons, not one
// row a verdict), counting each group.
func byMonthAndReasons(q *gorm.DB) *gorm.DB {
	const month = "substr(v.blocks_on, 1, 7)"
	return q.Select(month + " AS month, v.block_codes AS codes, COUNT(*) AS n").Group(month + ", v.block_codes")
}

// calendarMessages is what the policy says of each code a block can have.
// A code several rules give with different messages (LABEL_REQUIRED: for
// Singapore's routers, and in public procurement) gets none: a row counts
// the verdicts of every such rule, and one rule's message would misstate
// the others' (found by a newcomer's trial).
func calendarMessages(doc *policy.Document) map[string]string {
	messages, ambiguous := map[string]string{}, map[string]bool{}
	for _, r := range doc.Rules {
		for _, code := range []string{r.Code, r.LowCode} {
			if code == "" {
				continue
			}
			if m, ok := messages[code]; ok && m != r.Message {
				ambiguous[code] = true
			}
			messages[code] = r.Message
		}
	}
	for code := range ambiguous {
		messages[code] = ""
	}
	return messages
}
