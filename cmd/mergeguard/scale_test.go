package main

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
	"github.com/mergeguard/mergeguard/internal/testsupport/wait"
)

// BenchmarkLargePullRequest sends the server process a pull request with
// 3000 changed files and 100,000 added lines (GitHub's list-files cap) and
// reports how long the check run took and the process's peak resident
// memory. The budget is 256 MiB.
func BenchmarkLargePullRequest(b *testing.B) {
	const files, lines = 3000, 100_000
	gh := fakegithub.New(b)
	repo := gh.AddRepo(5, "acme", "monorepo")
	specs := make([]fakegithub.File, files)
	per := lines / files
	for i := range specs {
		var p strings.Builder
		fmt.Fprintf(&p, "@@ -10,3 +10,%d @@ func handler%d() {\n a := 1\n-b := 2\n", per+2, i)
		for j := 0; j < per; j++ {
			fmt.Fprintf(&p, "+\tlog.Printf(\"handled request %%d in %%s\", id%d, elapsed%d)\n", j, j)
		}
		p.WriteString(" return a\n")
		specs[i] = fakegithub.File{Path: fmt.Sprintf("services/svc%03d/handler_%04d.go", i%100, i), Status: "modified", Patch: p.String()}
	}
	dbPath := b.TempDir() + "/mergeguard.db"
	srv := startServer(b, gh, "sqlite:"+dbPath)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pr := repo.OpenPR(fakegithub.PRSpec{Title: fmt.Sprint("Regenerate handlers ", i), Author: "dev", Files: specs})
		start := time.Now()
		if code := srv.deliver(b, "pull_request", gh.Payload("pull_request", "opened", pr, nil)); code != http.StatusAccepted {
			b.Fatalf("status %d", code)
		}
		wait.Until(b, 5*time.Minute, "the large pull request's check run", func() bool {
			return len(gh.CheckRuns("acme/monorepo", pr.HeadSHA())) == 1
		})
		b.ReportMetric(time.Since(start).Seconds(), "s/check-run")
	}
	b.StopTimer()
	b.ReportMetric(float64(peakRSS(b, srv.cmd.Process.Pid))/(1<<20), "peak-RSS-MiB")
}

// peakRSS reads a process's high-water resident set size from /proc.
func peakRSS(b *testing.B, pid int) int64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Skipf("peak RSS needs /proc: %v", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb << 10
		}
	}
	b.Fatal("no VmHWM in /proc status")
	return 0
}
