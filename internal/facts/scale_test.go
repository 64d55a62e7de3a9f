package facts

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mergeguard/mergeguard/internal/decision"
)

// syntheticFiles makes n changed files totalling about lines added lines, in
// the shape of GitHub's list-files API.
func syntheticFiles(n, lines int) []decision.ChangedFile {
	per := max(lines/n, 1)
	out := make([]decision.ChangedFile, n)
	for i := range out {
		var b strings.Builder
		fmt.Fprintf(&b, "@@ -10,3 +10,%d @@ func handler%d() {\n a := 1\n-b := 2\n", per+2, i)
		for j := 0; j < per; j++ {
			fmt.Fprintf(&b, "+\tlog.Printf(\"handled request %%d in %%s\", id%d, elapsed%d)\n", j, j)
		}
		b.WriteString(" return a\n")
		patch := b.String()
		out[i] = decision.ChangedFile{
			Path:   fmt.Sprintf("services/svc%03d/handler_%04d.go", i%100, i),
			Status: "modified", Additions: per, Deletions: 1, Changes: per + 1, Patch: patch,
		}
	}
	return out
}

// BenchmarkFilesFromGitHub is parsing and input building for pull requests of
// 20, 300 and 3000 files (about 35 added lines per file; the 3000-file case
// is 100,000 lines).
func BenchmarkFilesFromGitHub(b *testing.B) {
	for _, size := range []struct{ files, lines int }{{20, 700}, {300, 10_000}, {3000, 100_000}} {
		b.Run(fmt.Sprintf("files=%d", size.files), func(b *testing.B) {
			in := syntheticFiles(size.files, size.lines)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				files := FilesFromGitHub(in)
				if len(files) != size.files || files[0].ParseError != "" {
					b.Fatalf("%d files, first %+v", len(files), files[0].ParseError)
				}
			}
		})
	}
}
