package tabular

import (
	"archive/zip"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cascade-gate/cascade/app/kernel/cpuclock"
)

// benchBook writes the benchmark supplier sheet (imports/bench_test.go's):
// rows of 15 columns, strings shared or inline, as another program would.
func benchBook(b testing.TB, rows int, shared bool) string {
	b.Helper()
	cells := func(i int) []string {
		labels := ""
		if i%10 == 0 {
			labels = fmt.Sprintf("SG-CLS:CSA/300629/%05d", i%100000)
		}
		return []string{fmt.Sprintf("SKU-%07d", i), fmt.Sprintf("40%011d", i), "Acme", fmt.Sprintf("AC-%06d", i), fmt.Sprintf("Acme device %d", i),
			[]string{"smart_camera", "smart_plug", "router", "smart_speaker"}[i%4], "UK EU", "unique_per_device",
			"https://acme.example/security", "2029-06-30", "included", "yes", labels, "1.2.3", "49.99"}
	}
	sst := map[string]int{}
	var order []string
	return writeWorkbook(b, func(w io.Writer) {
		for r := 1; r <= rows; r++ {
			fmt.Fprintf(w, `<row r="%d">`, r)
			for c, v := range cells(r) {
				if v == "" {
					continue
				}
				ref, _ := excelize.CoordinatesToCellName(c+1, r)
				if !shared {
					fmt.Fprintf(w, `<c r="%s" t="inlineStr"><is><t>%s</t></is></c>`, ref, v)
					continue
				}
				idx, ok := sst[v]
				if !ok {
					idx = len(order)
					sst[v] = idx
					order = append(order, v)
				}
				fmt.Fprintf(w, `<c r="%s" t="s"><v>%d</v></c>`, ref, idx)
			}
			io.WriteString(w, `</row>`)
		}
	}, func(w io.Writer) {
		for _, s := range order {
			fmt.Fprintf(w, `<si><t>%s</t></si>`, s)
		}
	})
}

// byteScan is the floor: unzip every XML part (archive/zip, its CRC
// checked, in reads of a megabyte) and find each cell value (the text of
// every <v> and <t>), nothing else. It returns the values.
//
// It finds the "<" of a tag eight bytes at a time: a 64-bit word of the
// part gives a mask of its "<" bytes at once, and each is looked at once.
// In a worksheet one byte in seven or eight is a "<", so a library search
// pays its call on every one: bytes.IndexByte over the same buffers takes
// 1.4-1.7× the time of the mask over the sheet's bytes, bytes.Index for
// "<v>" and "<t>" 2-3× (it falls back to a byte-at-a-time compare when "<"
// keeps matching the wrong tag), and bufio.Reader.ReadSlice, the floor
// before 2026-12-02, pays a call and a copy of state on every "<" too.
func byteScan(b *testing.B, path string) int {
	zr, err := zip.OpenReader(path)
	if err != nil {
		b.Fatal(err)
	}
	defer zr.Close()
	buf := make([]byte, 1<<20+2) // and two bytes to pad the end of a part
	values := 0
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, ".xml") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			b.Fatal(err)
		}
		// buf[:n] is read; a value is open (after its <v> or <t>) from
		// start on, counted from buf[0] (negative once its first bytes are
		// dropped).
		n, start, open := 0, 0, false
		for done := false; !done; {
			m, err := io.ReadFull(rc, buf[n:len(buf)-2])
			switch n += m; err {
			case nil:
			case io.EOF, io.ErrUnexpectedEOF:
				done = true
				n += copy(buf[n:], "\x00\x00") // the last "<" has two bytes after it
			default:
				b.Fatal(err)
			}
			i := 0
			for ; i+8+2 <= n; i += 8 {
				x := binary.LittleEndian.Uint64(buf[i:]) ^ lt8
				for mask := ^((x & lo7) + lo7 | x | lo7); mask != 0; mask &= mask - 1 {
					k := i + bits.TrailingZeros64(mask)>>3
					if open && k > start {
						values++
					}
					open = buf[k+2] == '>' && (buf[k+1] == 'v' || buf[k+1] == 't')
					start = k + 3
				}
			}
			if done {
				for ; i+2 < n; i++ { // the last few bytes
					if buf[i] == '<' {
						if open && i > start {
							values++
						}
						open = buf[i+2] == '>' && (buf[i+1] == 'v' || buf[i+1] == 't')
						start = i + 3
					}
				}
				break
			}
			n, start = copy(buf, buf[i:n]), start-i
		}
		rc.Close()
	}
	return values
}

// The bytes of a 64-bit word, for finding its "<" bytes (byteScan).
const (
	lo7 = 0x7f7f7f7f7f7f7f7f
	lt8 = 0x3c3c3c3c3c3c3c3c
)

// BenchmarkSheetRead reads a 100,000-row sheet of 15 columns three ways in
// each iteration, in the same run: the byte scan (the floor), excelize's
// streaming reader (raw values, as Cascade read workbooks before sheet.go),
// and the sheet reader; and reports each one's time and the two ratios, by
// the wall clock and by the process's CPU time (steadier on a loaded
// machine, where the wall clock also counts the wait for a core). Before
// each phase the heap is collected and its free memory given back to the
// system (debug.FreeOSMemory), so that no phase pays for returning the
// pages of the one before (excelize's hundreds of megabytes) in the
// background.
func BenchmarkSheetRead(b *testing.B) {
	for _, shared := range []bool{true, false} {
		name := map[bool]string{true: "shared", false: "inline"}[shared]
		b.Run(name+"/rows=100000", func(b *testing.B) {
			path := benchBook(b, 100_000, shared)
			var scanT, excelizeT, readerT, scanC, excelizeC, readerC time.Duration
			for b.Loop() {
				debug.FreeOSMemory()
				start, cpu := time.Now(), cpuclock.Used()
				if n := byteScan(b, path); n < 1_000_000 {
					b.Fatalf("the byte scan found %d values", n)
				}
				scanT, scanC = scanT+time.Since(start), scanC+cpuclock.Used()-cpu

				debug.FreeOSMemory()
				start, cpu = time.Now(), cpuclock.Used()
				f, err := excelize.OpenFile(path)
				if err != nil {
					b.Fatal(err)
				}
				rows, err := f.Rows("Products")
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for rows.Next() {
					if _, err := rows.Columns(excelize.Options{RawCellValue: true}); err != nil {
						b.Fatal(err)
					}
					n++
				}
				rows.Close()
				f.Close()
				excelizeT, excelizeC = excelizeT+time.Since(start), excelizeC+cpuclock.Used()-cpu

				debug.FreeOSMemory()
				start, cpu = time.Now(), cpuclock.Used()
				r, _, err := Open(path, testLimits, "Products")
				if err != nil {
					b.Fatal(err)
				}
				m := 0
				for r.Next() {
					m++
				}
				if r.Err() != nil || m != n || m != 100_000 {
					b.Fatalf("%d rows, %v; excelize %d", m, r.Err(), n)
				}
				r.Close()
				readerT, readerC = readerT+time.Since(start), readerC+cpuclock.Used()-cpu
			}
			k := float64(b.N)
			b.ReportMetric(scanT.Seconds()/k, "bytescan-s")
			b.ReportMetric(excelizeT.Seconds()/k, "excelize-s")
			b.ReportMetric(readerT.Seconds()/k, "reader-s")
			b.ReportMetric(readerT.Seconds()/scanT.Seconds(), "reader/bytescan")
			b.ReportMetric(excelizeT.Seconds()/scanT.Seconds(), "excelize/bytescan")
			if scanC > 0 {
				b.ReportMetric(readerC.Seconds()/scanC.Seconds(), "reader/bytescan-cpu")
				b.ReportMetric(excelizeC.Seconds()/scanC.Seconds(), "excelize/bytescan-cpu")
			}
		})
	}
}
