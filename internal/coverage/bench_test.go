package coverage

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkParse parses generated reports of 10,000 files, shaped like the
// real ones: a Go profile of 12 blocks per file (200,000 coverable lines in
// all) and an LCOV tracefile of 20 lines per file with function and branch
// records.
func BenchmarkParse(b *testing.B) {
	const files = 10_000
	var goProfile, lcov strings.Builder
	goProfile.WriteString("mode: atomic\n")
	for i := range files {
		path := fmt.Sprintf("github.com/acme/shop/internal/pkg%d/file%d.go", i/20, i)
		line := 10
		for blk := range 12 {
			// Consecutive blocks share their boundary line, as Go's do.
			end := line + blk%3 + 1
			fmt.Fprintf(&goProfile, "%s:%d.%d,%d.%d %d %d\n", path, line, 20+blk, end, 3, blk%4+1, (i+blk)%5)
			line = end
		}
		fmt.Fprintf(&lcov, "TN:\nSF:src/pkg%d/file%d.ts\nFN:1,f%d\nFNF:1\nFNH:1\nFNDA:3,f%d\n", i/20, i, i, i)
		for l := 1; l <= 20; l++ {
			fmt.Fprintf(&lcov, "DA:%d,%d\n", l, (i+l)%4)
		}
		lcov.WriteString("LF:20\nLH:15\nBRDA:3,0,0,1\nBRDA:3,0,1,0\nBRF:2\nBRH:1\nend_of_record\n")
	}
	for _, bench := range []struct {
		name string
		data []byte
	}{
		{"go", []byte(goProfile.String())},
		{"lcov", []byte(lcov.String())},
	} {
		b.Run(bench.name, func(b *testing.B) {
			b.SetBytes(int64(len(bench.data)))
			b.ReportAllocs()
			for b.Loop() {
				r, _, err := Parse(bench.data)
				if err != nil || len(r.Files) != files {
					b.Fatalf("%d files, %v", len(r.Files), err)
				}
			}
		})
	}
}
