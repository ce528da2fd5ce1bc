package tabular

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"
)

// lineEnds turns CRLF and every CR that no LF follows into an LF, wherever
// reads split the text (the CSV reader reads old-Mac files through it).
func FuzzLineEnds(f *testing.F) {
	for _, s := range []string{"a\rb\r\nc\n\r", "\r", "\r\r\n", "x"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want := bytes.ReplaceAll(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")), []byte("\r"), []byte("\n"))
		for how, r := range map[string]io.Reader{
			"whole":       &lineEnds{r: bytes.NewReader(data)},
			"byte a read": &lineEnds{r: iotest.OneByteReader(bytes.NewReader(data))},
			"half reads":  &lineEnds{r: iotest.HalfReader(bytes.NewReader(data))},
		} {
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%s: %q, %v; want %q", how, got, err, want)
			}
		}
	})
}
