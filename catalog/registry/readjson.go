package registry

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/app/kernel/tabular"
)

// A registry is read whole before it becomes a snapshot, and the previous
// snapshot is read beside it for the diff: both must fit in half of the
// read budget (tabular.ReadBudget) at about entryCost bytes an entry (its
// strings, the struct, the label index), which gives MaxEntries. One entry
// of a JSON registry is decoded from at most MaxEntryBytes: the decoder
// holds a value whole before decoding it, so a value is refused as its bytes
// arrive, never assembled.
const (
	entryCost     = 1 << 10
	MaxEntries    = int(tabular.ReadBudget / 2 / 2 / entryCost) // 65,536
	MaxEntryBytes = 64 << 10
)

func tooManyEntries() error {
	return errs.E(errs.TooLarge, "TOO_MANY_ENTRIES", "the registry lists more than %d entries, more than Cascade reads from one file, so the last good snapshot is kept", MaxEntries)
}

// errValueTooLarge is what valueLimit returns past a value's bound.
var errValueTooLarge = errors.New("a JSON value over its limit")

// valueLimit bounds how far the JSON decoder may read past the start of
// the value it decodes: its buffer holds at most that.
type valueLimit struct {
	r          io.Reader
	read, upTo int64
}

func (v *valueLimit) Read(p []byte) (int, error) {
	if v.read >= v.upTo {
		return 0, errValueTooLarge
	}
	p = p[:min(int64(len(p)), v.upTo-v.read)]
	n, err := v.r.Read(p)
	v.read += int64(n)
	return n, err
}

// visitor decodes one element of a JSON registry (with decode, which reads
// the element) into p.
type visitor func(p *rowParser, decode func(any) error) error

// mappedJSON reads elements that are objects of canonical (or mapped) columns.
func mappedJSON(m Mapping) visitor {
	return func(p *rowParser, decode func(any) error) error {
		var row map[string]any
		if err := decode(&row); err != nil {
			return err
		}
		p.add(p.rows, jsonCell(row, m))
		return nil
	}
}

// readJSON streams a JSON registry: an array of entries, or an object whose
// "entries" member is one. Each element is decoded on its own (by visit),
// within MaxEntryBytes, and at most MaxEntries of them are read.
func readJSON(path string, p *rowParser, visit visitor) ([]Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xEF\xBB\xBF")) {
		_, _ = br.Discard(3)
	}
	lim := &valueLimit{r: br}
	dec := json.NewDecoder(lim)
	// next allows the decoder MaxEntryBytes (and the read-ahead it keeps)
	// past where it stands.
	next := func() { lim.upTo = dec.InputOffset() + 4*MaxEntryBytes }
	unreadable := func(err error) error {
		if errors.Is(err, errValueTooLarge) {
			return errs.E(errs.TooLarge, "ENTRY_TOO_LARGE", "an entry or value of the registry is larger than %d KB, so the last good snapshot is kept", MaxEntryBytes>>10)
		}
		return errs.Invalidf("UNREADABLE_REGISTRY", "the JSON is neither an array of entries nor {\"entries\": [...]}: %v", err)
	}
	next()
	tok, err := dec.Token()
	if err != nil {
		return nil, unreadable(err)
	}
	array := func() error {
		for {
			next()
			if !dec.More() {
				break
			}
			if p.rows++; p.rows > MaxEntries {
				return tooManyEntries()
			}
			if err := visit(p, dec.Decode); err != nil {
				return unreadable(err)
			}
		}
		next()
		if _, err := dec.Token(); err != nil { // ]
			return unreadable(err)
		}
		return nil
	}
	switch tok {
	case json.Delim('['):
		if err := array(); err != nil {
			return nil, err
		}
	case json.Delim('{'):
		found := false
		for {
			next()
			if !dec.More() {
				break
			}
			key, err := dec.Token()
			if err != nil {
				return nil, unreadable(err)
			}
			next()
			if key != "entries" || found {
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					return nil, unreadable(err)
				}
				continue
			}
			if t, err := dec.Token(); err != nil || t != json.Delim('[') {
				return nil, unreadable(fmt.Errorf("entries is not an array"))
			}
			found = true
			if err := array(); err != nil {
				return nil, err
			}
		}
		next()
		if _, err := dec.Token(); err != nil { // }
			return nil, unreadable(err)
		}
		if !found {
			return nil, unreadable(fmt.Errorf("no entries"))
		}
	default:
		return nil, unreadable(fmt.Errorf("the file starts with %v", tok))
	}
	next()
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, unreadable(fmt.Errorf("more follows the registry's JSON value"))
	}
	return p.result()
}

// jsonCell reads the canonical column col of a JSON entry, through the mapping.
func jsonCell(r map[string]any, m Mapping) func(string) string {
	return func(col string) string {
		key := col
		if alt, ok := m[col]; ok {
			key = alt
		}
		switch v := r[key].(type) {
		case nil:
			return ""
		case string:
			return v
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64)
		default:
			return fmt.Sprint(v)
		}
	}
}
