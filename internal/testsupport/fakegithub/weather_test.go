package fakegithub_test

// The fault model: GitHub in bad weather, as end-to-end tests inject it.
// These tests need no reference material, and drive the fake's clock by
// hand, so rate-limit windows open and close when the test says.

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/githubapp"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
	"github.com/mergeguard/mergeguard/internal/testsupport/manualclock"
)

// rawClient sends plain HTTP requests with an installation's token, so the
// test sees the fake's answers as they are (go-github would keep its own
// memory of rate limits).
type rawClient struct {
	gh           *fakegithub.Server
	installation int64
}

type answer struct {
	status int
	header http.Header
	body   string
}

func newRaw(_ *testing.T, gh *fakegithub.Server, installation int64) *rawClient {
	return &rawClient{gh: gh, installation: installation}
}

func (c *rawClient) do(method, path, body string) answer {
	status, header, b := c.gh.Direct(c.installation, method, path, body)
	return answer{status, header, b}
}

// weatherFake is a fake with two installations, a pull request in each
// (acme/shop#1 is returned), and a clock the test moves.
func weatherFake(t *testing.T) (*fakegithub.Server, *manualclock.Clock, *fakegithub.PR) {
	gh := fakegithub.New(t)
	clock := manualclock.New(time.Date(2024, 6, 3, 9, 0, 0, 0, time.UTC))
	gh.SetClock(clock.Now)
	pr := gh.AddRepo(7, "acme", "shop").OpenPR(fakegithub.PRSpec{Title: "one"})
	gh.AddRepo(8, "globex", "web").OpenPR(fakegithub.PRSpec{Title: "two"})
	return gh, clock, pr
}

// faultsOf sends n requests for pull request pages, moving the clock past
// any limit after each, and returns the faults met, in order.
func faultsOf(t *testing.T, m fakegithub.FaultModel, n int) []string {
	gh, clock, _ := weatherFake(t)
	gh.SetFaults(&m)
	c := newRaw(t, gh, 7)
	for i := range n {
		c.do("GET", "/repos/acme/shop/pulls/1/files?page="+strconv.Itoa(i%50+1), "")
		clock.Advance(5 * time.Second)
	}
	var out []string
	for _, r := range gh.Requests() {
		out = append(out, r.Fault)
	}
	return out
}

func TestFaultModelFaultsEachRequestIndependentlyInGitHubsMix(t *testing.T) {
	const n = 2000
	m := fakegithub.FaultModel{Seed: 42, Rate: 0.2}
	got := faultsOf(t, m, n)
	kinds := map[string]int{}
	for _, f := range got {
		kinds[f]++
	}
	faulted := n - kinds[""]
	// The draws are seeded, so these counts are the same on every run;
	// the bounds say what the model promises, not what this seed gave.
	if faulted < n*17/100 || faulted > n*23/100 {
		t.Errorf("%d of %d requests faulted at a 20%% rate: %v", faulted, n, kinds)
	}
	share := func(kind string) float64 { return float64(kinds[kind]) / float64(faulted) }
	for _, tt := range []struct {
		kinds []string
		want  float64
	}{
		{[]string{fakegithub.FaultServerError, fakegithub.FaultBadGateway, fakegithub.FaultEdgeHTML}, 0.5},
		{[]string{fakegithub.FaultEdgeHTML}, 0.125},
		{[]string{fakegithub.FaultSecondary}, 0.25},
		{[]string{fakegithub.FaultPrimary}, 0.25},
	} {
		var s float64
		for _, k := range tt.kinds {
			s += share(k)
		}
		if s < tt.want-0.06 || s > tt.want+0.06 {
			t.Errorf("%v are %.3f of the faults, want about %.3f (%v)", tt.kinds, s, tt.want, kinds)
		}
	}

	// The same seed faults the same requests; another seed others.
	if again := faultsOf(t, m, 200); strings.Join(again, ",") != strings.Join(got[:200], ",") {
		t.Error("the same seed faulted different requests")
	}
	m.Seed = 43
	if other := faultsOf(t, m, 200); strings.Join(other, ",") == strings.Join(got[:200], ",") {
		t.Error("another seed faulted the same requests")
	}
}

// firstFault sends requests until one meets the fault kind, and returns its
// answer.
func firstFault(t *testing.T, gh *fakegithub.Server, clock *manualclock.Clock, c *rawClient, kind string) answer {
	t.Helper()
	for i := range 500 {
		a := c.do("GET", "/repos/acme/shop/pulls/1/reviews?page="+strconv.Itoa(i+1), "")
		reqs := gh.Requests()
		if reqs[len(reqs)-1].Fault == kind {
			return a
		}
		clock.Advance(5 * time.Second)
	}
	t.Fatalf("no request met a %s fault", kind)
	return answer{}
}

func TestASecondaryLimitRefusesTheInstallationForTheSecondItAnnounces(t *testing.T) {
	gh, clock, _ := weatherFake(t)
	gh.SetFaults(&fakegithub.FaultModel{Seed: 7, Rate: 0.5})
	c, other := newRaw(t, gh, 7), newRaw(t, gh, 8)

	a := firstFault(t, gh, clock, c, fakegithub.FaultSecondary)
	if a.status != 403 || a.header.Get("Retry-After") != "1" || !strings.Contains(a.body, "You have exceeded a secondary rate limit") {
		t.Fatalf("secondary limit answered %d, Retry-After %q: %s", a.status, a.header.Get("Retry-After"), a.body)
	}
	gh.SetFaults(nil) // what follows is the limit's doing alone

	// A request already on its way when the limit was announced is refused
	// with the same answer, but did not ignore it.
	if b := c.do("GET", "/repos/acme/shop/pulls/1", ""); b.status != 403 || b.body != a.body || b.header.Get("Retry-After") != "1" {
		t.Errorf("during the limit: %d %q %s", b.status, b.header.Get("Retry-After"), b.body)
	}
	if st := gh.Limits()[7]; st.Announced == 0 || st.Refused != 1 || st.Ignored != 0 {
		t.Errorf("limits = %+v, want one refused, none ignored", st)
	}
	// Other installations are not affected.
	if b := other.do("GET", "/repos/globex/web/pulls/1", ""); b.status != 200 {
		t.Errorf("another installation was answered %d during the limit", b.status)
	}
	// A request sent well after the announcement ignored it.
	clock.Advance(500 * time.Millisecond)
	if b := c.do("GET", "/repos/acme/shop/pulls/1", ""); b.status != 403 {
		t.Errorf("within the second: %d", b.status)
	}
	if st := gh.Limits()[7]; st.Ignored != 1 || gh.IgnoredLimits() != 1 {
		t.Errorf("limits = %+v, want the request after the announcement counted as ignored", st)
	}
	last := gh.Requests()[len(gh.Requests())-1]
	if !last.IgnoredLimit || last.Fault != fakegithub.FaultLimited || last.Installation != 7 {
		t.Errorf("the request log has %+v", last)
	}
	// After the second, the installation is served again.
	clock.Advance(500 * time.Millisecond)
	if b := c.do("GET", "/repos/acme/shop/pulls/1", ""); b.status != 200 {
		t.Errorf("after the limit: %d %s", b.status, b.body)
	}
}

func TestAUsedUpPrimaryLimitRefusesTheInstallationUntilTheReset(t *testing.T) {
	gh, clock, _ := weatherFake(t)
	gh.SetFaults(&fakegithub.FaultModel{Seed: 11, Rate: 0.5, PrimaryReset: 2 * time.Second})
	c := newRaw(t, gh, 7)
	clock.Advance(300 * time.Millisecond) // the reset is a whole second: it rounds up

	a := firstFault(t, gh, clock, c, fakegithub.FaultPrimary)
	reset, err := strconv.ParseInt(a.header.Get("X-Ratelimit-Reset"), 10, 64)
	if err != nil || a.status != 403 || a.header.Get("X-Ratelimit-Remaining") != "0" {
		t.Fatalf("primary limit answered %d, remaining %q, reset %q", a.status, a.header.Get("X-Ratelimit-Remaining"), a.header.Get("X-Ratelimit-Reset"))
	}
	now := clock.Now()
	if at := time.Unix(reset, 0); at.Before(now.Add(2*time.Second)) || at.After(now.Add(3*time.Second)) {
		t.Fatalf("reset at %s, want 2 to 3 seconds after %s", at, now)
	}
	gh.SetFaults(nil)
	clock.Advance(1500 * time.Millisecond)
	if b := c.do("GET", "/repos/acme/shop/pulls/1", ""); b.status != 403 || b.header.Get("X-Ratelimit-Reset") != a.header.Get("X-Ratelimit-Reset") {
		t.Errorf("before the reset: %d, reset %q", b.status, b.header.Get("X-Ratelimit-Reset"))
	}
	for clock.Now().Before(time.Unix(reset, 0)) {
		clock.Advance(100 * time.Millisecond)
	}
	if b := c.do("GET", "/repos/acme/shop/pulls/1", ""); b.status != 200 {
		t.Errorf("at the reset: %d %s", b.status, b.body)
	}
	if st := gh.Limits()[7]; st.Refused != 1 || st.Ignored != 1 {
		t.Errorf("limits = %+v, want the one request before the reset refused, and counted as ignoring it", st)
	}
}

func TestServerErrorsComeAsJSONOrAsTheEdgesHTMLPage(t *testing.T) {
	gh, clock, _ := weatherFake(t)
	gh.SetFaults(&fakegithub.FaultModel{Seed: 3, Rate: 0.5})
	c := newRaw(t, gh, 7)
	for _, tt := range []struct {
		kind, contentType string
		status            int
	}{
		{fakegithub.FaultServerError, "application/json", 500},
		{fakegithub.FaultBadGateway, "application/json", 502},
		{fakegithub.FaultEdgeHTML, "text/html", 502},
	} {
		a := firstFault(t, gh, clock, c, tt.kind)
		if a.status != tt.status || !strings.HasPrefix(a.header.Get("Content-Type"), tt.contentType) {
			t.Errorf("%s: %d %q", tt.kind, a.status, a.header.Get("Content-Type"))
		}
		if tt.contentType == "text/html" && (!strings.Contains(a.body, "<html>") || a.header.Get("X-Ratelimit-Remaining") != "") {
			t.Errorf("the edge's page is HTML without the API's headers: %v %s", a.header, a.body)
		}
	}
}

func TestGhostWritesAreCarriedOutAndAnswered502(t *testing.T) {
	gh, _, pr := weatherFake(t)
	gh.SetFaults(&fakegithub.FaultModel{Seed: 1, GhostWrites: 1})
	c := newRaw(t, gh, 7)
	head := pr.HeadSHA()

	if a := c.do("GET", "/repos/acme/shop/pulls/1", ""); a.status != 200 {
		t.Fatalf("a read met a ghost: %d", a.status)
	}
	a := c.do("POST", "/repos/acme/shop/check-runs", `{"name":"mergeguard","head_sha":"`+head+`","status":"completed","conclusion":"success"}`)
	if a.status != 502 {
		t.Fatalf("a ghost write answered %d", a.status)
	}
	if runs := gh.CheckRuns("acme/shop", head); len(runs) != 1 || runs[0].Conclusion != "success" {
		t.Errorf("the ghost write was not carried out: %+v", runs)
	}
	last := gh.Requests()[len(gh.Requests())-1]
	if last.Fault != fakegithub.FaultGhost || last.PR != "acme/shop#1" || !last.Write() {
		t.Errorf("the request log has %+v", last)
	}
}

func TestAnOutageFailsEveryRequestUntilItEnds(t *testing.T) {
	gh, _, _ := weatherFake(t)
	c := newRaw(t, gh, 7)
	gh.SetOutage(true)
	for _, path := range []string{"/repos/acme/shop/pulls/1", "/repos/acme/shop/pulls/1/files", "/installation/repositories"} {
		if a := c.do("GET", path, ""); a.status != 503 || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") {
			t.Errorf("%s during the outage: %d %q", path, a.status, a.header.Get("Content-Type"))
		}
	}
	gh.SetOutage(false)
	if a := c.do("GET", "/repos/acme/shop/pulls/1", ""); a.status != 200 {
		t.Errorf("after the outage: %d", a.status)
	}
	outage := 0
	for _, r := range gh.Requests() {
		if r.Fault == fakegithub.FaultOutage {
			outage++
		}
	}
	if outage != 3 {
		t.Errorf("%d requests logged as refused by the outage, want 3", outage)
	}
}

// The request log says which pull request each request was about, check
// runs (named by commit) included, so tests can hold each pull request to a
// request budget.
func TestTheRequestLogNamesEachRequestsPullRequest(t *testing.T) {
	gh := fakegithub.New(t)
	repo := gh.AddRepo(7, "acme", "shop")
	repo.OpenPR(fakegithub.PRSpec{Title: "one"})
	pr := repo.OpenPR(fakegithub.PRSpec{Title: "two"})
	inst := appClient(t, gh, 7)
	ctx := context.Background()
	if _, err := inst.PullRequest(ctx, "acme", "shop", 2); err != nil {
		t.Fatal(err)
	}
	if _, err := inst.FindCheckRun(ctx, "acme", "shop", pr.HeadSHA(), "mergeguard", gh.AppID()); err != nil {
		t.Fatal(err)
	}
	for _, r := range gh.Requests() {
		if r.Route == "/app/installations/{installation_id}/access_tokens" {
			continue
		}
		if r.PR != "acme/shop#2" || r.Installation != 7 {
			t.Errorf("%s %s: PR %q, installation %d", r.Method, r.Path, r.PR, r.Installation)
		}
	}
}

// The App's client meets the fault model's limits as it would GitHub's:
// once told, it sends nothing more until the limit ends.
func TestTheAppsClientSendsNothingWhileALimitIsInForce(t *testing.T) {
	gh := fakegithub.New(t)
	gh.AddRepo(7, "acme", "shop").OpenPR(fakegithub.PRSpec{Title: "one"})
	app, err := githubapp.New(githubapp.Config{
		AppID: gh.AppID(), PrivateKey: gh.PrivateKey(), BaseURL: gh.URL(),
		Retry: githubapp.RetryPolicy{Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }},
	})
	if err != nil {
		t.Fatal(err)
	}
	inst := app.Installation(7)
	ctx := context.Background()
	// The token first: token requests meet only server errors.
	if _, err := inst.PullRequest(ctx, "acme", "shop", 1); err != nil {
		t.Fatal(err)
	}
	gh.SetFaults(&fakegithub.FaultModel{Seed: 5, Rate: 1})
	var limited *githubapp.RateLimitError
	for i := 0; i < 50 && !errors.As(err, &limited); i++ {
		_, err = inst.PullRequestReviews(ctx, "acme", "shop", 1)
	}
	if limited == nil {
		t.Fatalf("no request met a rate limit (last: %v)", err)
	}
	sent := len(gh.Requests())
	for range 5 {
		if _, err := inst.PullRequest(ctx, "acme", "shop", 1); !errors.As(err, &limited) {
			t.Fatalf("during the limit: %v, want the client to hold the request", err)
		}
	}
	if len(gh.Requests()) != sent || gh.IgnoredLimits() != 0 {
		t.Errorf("%d requests sent during the limit, %d counted as ignoring it", len(gh.Requests())-sent, gh.IgnoredLimits())
	}
}
