package checkrun

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
)

// A re-run request rewrites a check run that would show the same thing:
// the update completes it again, says when and at whose request, and sends
// no annotation twice. An evaluation nobody asked for still writes nothing.
func TestARerunRewritesAnUnchangedCheckRun(t *testing.T) {
	gh := &fakeGitHub{}
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	p := &Publisher{State: newState(t), Name: "mergeguard", AppID: 1, Now: func() time.Time { return now }}
	target := Target{Head: decision.Head{PullRequest: decision.PullRequest{Repo: decision.Repo{Owner: "acme", Name: "shop"}, Number: 3}, SHA: "abc"}, RepoID: 1}
	ctx := context.Background()
	v, out := verdict(60, true)
	if _, err := p.Publish(ctx, gh, target, v, out); err != nil {
		t.Fatal(err)
	}

	gh.calls = nil
	now = now.Add(time.Minute)
	asked := target
	asked.Rerun = &decision.Rerun{By: "mira", Via: "Re-run", At: now.Add(-time.Second)}
	res, err := p.Publish(ctx, gh, asked, v, out)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(gh.calls) != "[{update 0 failure}]" || res.Unchanged || !res.Rerun {
		t.Fatalf("a re-run of an unchanged verdict: %v %+v, want one update completing the run again", gh.calls, res)
	}
	const note = "_Re-checked at 2026-03-02 09:01:00 UTC, as @mira asked (Re-run): the verdict is unchanged._\n\n"
	if !strings.HasPrefix(gh.calls[0].summary, note) || !strings.HasSuffix(gh.calls[0].summary, out.Summary) {
		t.Errorf("summary:\n%s\nwant the note, then the verdict's summary", gh.calls[0].summary)
	}

	gh.calls = nil
	if res, err := p.Publish(ctx, gh, target, v, out); err != nil || len(gh.calls) != 0 || !res.Unchanged {
		t.Fatalf("an evaluation nobody asked for: %v %+v %v, want nothing written", gh.calls, res, err)
	}

	// A re-run that finds a new verdict says so by not calling it unchanged.
	v2, out2 := verdict(60, false)
	if _, err := p.Publish(ctx, gh, asked, v2, out2); err != nil {
		t.Fatal(err)
	}
	if len(gh.calls) != 1 || !strings.HasPrefix(gh.calls[0].summary, "_Re-checked at 2026-03-02 09:01:00 UTC, as @mira asked (Re-run)._\n\n") {
		t.Errorf("a re-run with a new verdict: %v\n%s", gh.calls, gh.calls[0].summary)
	}
}
