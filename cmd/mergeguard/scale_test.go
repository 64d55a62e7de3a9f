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
// reports how long the check run took, the server process's peak resident
// memory, and the largest of its policy workers'.
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
	worker := int64(0)
	for _, pid := range children(b, srv.cmd.Process.Pid) {
		worker = max(worker, peakRSS(b, pid))
	}
	b.ReportMetric(float64(worker)/(1<<20), "worker-peak-RSS-MiB")
}

// children lists the processes whose parent is pid.
func children(b *testing.B, pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		b.Skipf("finding the policy workers needs /proc: %v", err)
	}
	var out []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", child))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces, so read after ")".
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			out = append(out, child)
		}
	}
	return out
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
