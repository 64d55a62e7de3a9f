package checkrun

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
)

// GitHub may carry out an update and lose its answer (a 502 after the
// write, or the process stopping before it records what it wrote). The
// run's output is then in doubt: the next evaluation must write, even if
// its verdict is the one recorded before the lost update. Otherwise the
// check could keep showing a verdict nobody holds any more: a pass where
// the rules now fail.
func TestAnUpdateWhoseAnswerWasLostIsWrittenAgain(t *testing.T) {
	gh := &fakeGitHub{}
	p := &Publisher{State: newState(t), Name: "mergeguard", AppID: 1, Now: time.Now}
	target := Target{Head: decision.Head{PullRequest: decision.PullRequest{Repo: decision.Repo{Owner: "acme", Name: "shop"}, Number: 3}, SHA: "abc"}, RepoID: 1}
	ctx := context.Background()
	blocked, blockedOut := verdict(0, true)
	if _, err := p.Publish(ctx, gh, target, blocked, blockedOut); err != nil {
		t.Fatal(err)
	}
	// The approval arrives; GitHub shows "success" but answers 502.
	passed, passedOut := verdict(0, false)
	gh.calls, gh.failAt = nil, 1
	if _, err := p.Publish(ctx, gh, target, passed, passedOut); err == nil {
		t.Fatal("the lost update was reported as written")
	}
	// The approval is dismissed: the verdict is the one recorded before.
	gh.calls, gh.failAt = nil, 0
	res, err := p.Publish(ctx, gh, target, blocked, blockedOut)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(gh.calls) != "[{update 0 failure}]" || res.Unchanged {
		t.Fatalf("after a lost update: %v %+v, want the blocking verdict written again", gh.calls, res)
	}
}
