package githubapp

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/mergeguard/mergeguard/internal/metrics"
)

// A page of the largest pull request GitHub describes (3000 files, 100,000
// added lines: 100 files of 33 lines each per page), checked before use. The
// page is read whole already (the conditional-request cache keeps it).
func BenchmarkCheckedAnswers(b *testing.B) {
	var files []map[string]any
	for i := range 100 {
		patch := "@@ -1,0 +1,33 @@\n" + strings.Repeat("+\tcounter += computeSomethingFairlyLong(input, index)\n", 33)
		files = append(files, map[string]any{
			"sha": strings.Repeat("a", 40), "filename": fmt.Sprintf("internal/pkg%d/file%d.go", i/10, i), "status": "modified",
			"additions": 33, "deletions": 0, "changes": 33, "patch": patch,
			"blob_url": "https://github.com/acme/shop/blob/x/f.go", "raw_url": "https://github.com/acme/shop/raw/x/f.go",
			"contents_url": "https://api.github.com/repos/acme/shop/contents/f.go?ref=x",
		})
	}
	page, _ := json.Marshal(files)
	c := &checkedAnswers{log: slog.New(slog.DiscardHandler), metrics: metrics.New()}
	req, _ := http.NewRequest("GET", "https://api.github.com/repos/acme/shop/pulls/1/files?per_page=100", nil)
	resp := &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json; charset=utf-8"}}}
	b.Run("check", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		b.ReportAllocs()
		for b.Loop() {
			if p := c.check(req, resp, page); p != "" {
				b.Fatal(p)
			}
		}
	})
	// What reading the page costs anyway, for comparison.
	b.Run("go-github decode", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		b.ReportAllocs()
		for b.Loop() {
			var out []*github.CommitFile
			if err := json.Unmarshal(page, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
}
