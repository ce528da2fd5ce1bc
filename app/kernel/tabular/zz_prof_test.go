package tabular

import "testing"

func BenchmarkZZReaderOnly(b *testing.B) {
	path := benchBook(b, 100_000, true)
	for b.Loop() {
		r, _, err := Open(path, testLimits, "Products")
		if err != nil {
			b.Fatal(err)
		}
		for r.Next() {
		}
		r.Close()
	}
}
func BenchmarkZZScanOnly(b *testing.B) {
	path := benchBook(b, 100_000, true)
	for b.Loop() {
		byteScan(b, path)
	}
}
