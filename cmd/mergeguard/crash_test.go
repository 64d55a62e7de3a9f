package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/cli"
	"github.com/mergeguard/mergeguard/internal/policy"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
	"github.com/mergeguard/mergeguard/internal/testsupport/logbuf"
	"github.com/mergeguard/mergeguard/internal/testsupport/wait"
)

// When this variable is set, the test binary acts as the mergeguard binary,
// so tests can start it as a real process and kill it.
const envActAsBinary = "MERGEGUARD_TEST_ACT_AS_BINARY"

func TestMain(m *testing.M) {
	// `eval`, `test` and `serve` start policy workers by running this
	// executable with the hidden subcommand: answer as the binary would.
	if len(os.Args) > 1 && os.Args[1] == policy.WorkerSubcommand {
		err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
		os.Exit(cli.ExitCode(err, os.Stderr))
	}
	if args := os.Getenv(envActAsBinary); args != "" {
		ctx, stop := signalContext()
		err := run(ctx, strings.Fields(args), os.Getenv, os.Stdout, os.Stderr)
		stop()
		os.Exit(cli.ExitCode(err, os.Stderr))
	}
	os.Exit(m.Run())
}

type process struct {
	cmd    *exec.Cmd
	addr   string
	stderr *logbuf.Buffer
}

// startServer runs `mergeguard serve` as a process on databaseURL (sqlite:PATH
// or postgres://…), with env's NAME=VALUE settings added.
func startServer(t testing.TB, gh *fakegithub.Server, databaseURL string, env ...string) *process {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	keyFile := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(keyFile, []byte(gh.PrivateKeyPEM()), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		envActAsBinary+"=serve",
		"MERGEGUARD_ADDR="+addr,
		fmt.Sprintf("MERGEGUARD_APP_ID=%d", gh.AppID()),
		"MERGEGUARD_PRIVATE_KEY_FILE="+keyFile,
		"MERGEGUARD_WEBHOOK_SECRET=crash-test-secret",
		"MERGEGUARD_GITHUB_API_URL="+gh.URL(),
		"MERGEGUARD_DATABASE_URL="+databaseURL,
		"MERGEGUARD_LOG_FORMAT=text",
		"MERGEGUARD_COALESCE_QUIET=50ms",
	)
	cmd.Env = append(cmd.Env, env...)
	p := &process{cmd: cmd, addr: addr, stderr: &logbuf.Buffer{}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("server log:\n%s", p.stderr)
		}
	})
	wait.Until(t, 15*time.Second, "the server to become ready", func() bool {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return p
}

func (p *process) deliver(t testing.TB, event string, body []byte) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+p.addr+"/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("crash-%d", time.Now().UnixNano()))
	req.Header.Set("X-Hub-Signature-256", fakegithub.Sign("crash-test-secret", body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestKilledRightAfterAcceptingStillProducesTheCheckRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	gh := fakegithub.New(t)
	repo := gh.AddRepo(5, "acme", "shop")
	dbPath := filepath.Join(t.TempDir(), "mergeguard.db")

	for _, phase := range []string{"before the job starts", "while the job is running"} {
		t.Run(phase, func(t *testing.T) {
			pr := repo.OpenPR(fakegithub.PRSpec{Title: phase, Author: "dev", Files: []fakegithub.File{{Path: "a.go", Patch: "@@ -1 +1 @@\n-a\n+b\n"}}})
			// GitHub does not answer, so the first process cannot finish.
			gh.Pause()
			first := startServer(t, gh, "sqlite:"+dbPath)
			if code := first.deliver(t, "pull_request", gh.Payload("pull_request", "opened", pr, nil)); code != http.StatusAccepted {
				t.Fatalf("status %d", code)
			}
			if phase == "while the job is running" {
				time.Sleep(700 * time.Millisecond) // the worker has picked the job up and waits on GitHub
			}
			if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = first.cmd.Wait()
			gh.Resume()
			if n := len(gh.CheckRuns("acme/shop", pr.HeadSHA())); n != 0 {
				t.Fatalf("%d check runs before the restart", n)
			}

			second := startServer(t, gh, "sqlite:"+dbPath)
			wait.Until(t, 10*time.Second, "the check run after the restart", func() bool {
				runs := gh.CheckRuns("acme/shop", pr.HeadSHA())
				if len(runs) > 1 {
					t.Fatalf("a second check run was created: %+v", runs)
				}
				return len(runs) == 1 && runs[0].Conclusion == "failure"
			})
			_ = second.cmd.Process.Signal(syscall.SIGTERM)
			if err := second.cmd.Wait(); err != nil {
				t.Fatalf("graceful stop failed: %v\n%s", err, second.stderr)
			}
			if !strings.Contains(second.stderr.String(), "mergeguard stopped") {
				t.Errorf("SIGTERM did not stop the server gracefully:\n%s", second.stderr)
			}
		})
	}
}

func TestSecondServerOnTheSameSQLiteDatabaseIsRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	gh := fakegithub.New(t)
	dbPath := filepath.Join(t.TempDir(), "mergeguard.db")
	startServer(t, gh, "sqlite:"+dbPath)
	var out, errb bytes.Buffer
	key := filepath.Join(t.TempDir(), "k.pem")
	os.WriteFile(key, []byte(gh.PrivateKeyPEM()), 0o600)
	env := map[string]string{
		"MERGEGUARD_ADDR": "127.0.0.1:0", "MERGEGUARD_APP_ID": fmt.Sprint(gh.AppID()), "MERGEGUARD_PRIVATE_KEY_FILE": key,
		"MERGEGUARD_WEBHOOK_SECRET": "x", "MERGEGUARD_DATABASE_URL": "sqlite:" + dbPath,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := run(ctx, []string{"serve"}, func(k string) string { return env[k] }, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "another mergeguard server is using") {
		t.Fatalf("want a refusal naming the other server, got %v", err)
	}
}
