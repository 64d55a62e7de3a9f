package ui_test

import (
	"errors"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/testsupport/uifake"
	"github.com/mergeguard/mergeguard/internal/ui"
)

func TestCachedAuthorizer(t *testing.T) {
	now := fixtureNow
	inner := &uifake.Authorizer{Members: map[string][]string{"acme": {"alice"}}, Readers: map[string][]string{"acme/shop": {"alice"}}}
	c := ui.NewCachedAuthorizer(inner, time.Minute, func() time.Time { return now })
	steps := []struct {
		name      string
		advance   time.Duration
		ask       func() (bool, error)
		want      bool
		wantAsked int
		wantErr   bool
		fail      error
	}{
		{name: "first question goes to GitHub", ask: func() (bool, error) { return c.IsMember(t.Context(), "acme", "alice") }, want: true, wantAsked: 1},
		{name: "same question, other case, answered from memory", ask: func() (bool, error) { return c.IsMember(t.Context(), "ACME", "Alice") }, want: true, wantAsked: 1},
		{name: "a no is remembered too", ask: func() (bool, error) { return c.CanRead(t.Context(), "acme/vault", "alice") }, want: false, wantAsked: 2},
		{name: "a no, again", ask: func() (bool, error) { return c.CanRead(t.Context(), "acme/vault", "alice") }, want: false, wantAsked: 2},
		{name: "membership is not read access", ask: func() (bool, error) { return c.CanRead(t.Context(), "acme", "alice") }, want: false, wantAsked: 3},
		{name: "expired answers are asked again", advance: time.Minute, ask: func() (bool, error) { return c.IsMember(t.Context(), "acme", "alice") }, want: true, wantAsked: 4},
		{name: "errors pass through", advance: time.Minute, fail: errors.New("down"), ask: func() (bool, error) { return c.CanRead(t.Context(), "acme/shop", "alice") }, wantErr: true, wantAsked: 5},
		{name: "errors are not remembered", ask: func() (bool, error) { return c.CanRead(t.Context(), "acme/shop", "alice") }, want: true, wantAsked: 6},
	}
	for _, s := range steps {
		now = now.Add(s.advance)
		inner.Err = s.fail
		got, err := s.ask()
		if (err != nil) != s.wantErr || got != s.want || inner.Asked != s.wantAsked {
			t.Errorf("%s: got %v, %v after %d questions; want %v, error %v, %d questions", s.name, got, err, inner.Asked, s.want, s.wantErr, s.wantAsked)
		}
	}
}

func TestChanges(t *testing.T) {
	base := ui.Evaluation{HeadSHA: "aaaaaaaa11", Policy: "pppppppp11", Trigger: "opened", Conclusion: "failure",
		Rules: []ui.RuleResult{{ID: "a", Outcome: "fail"}, {ID: "b", Outcome: "pass"}}}
	tests := []struct {
		name string
		cur  func(e ui.Evaluation) ui.Evaluation
		want []string
	}{
		{name: "re-run", cur: func(e ui.Evaluation) ui.Evaluation { e.Trigger = "sweep"; return e }, want: []string{"nothing changed (re-run: sweep)"}},
		{name: "new head fixes a rule", cur: func(e ui.Evaluation) ui.Evaluation {
			e.HeadSHA, e.Conclusion = "bbbbbbbb22", "success"
			e.Rules = []ui.RuleResult{{ID: "a", Outcome: "pass"}, {ID: "b", Outcome: "pass"}}
			return e
		}, want: []string{"new head bbbbbbb (was aaaaaaa)", "a: pass (was fail)", "conclusion success (was failure)"}},
		{name: "policy adds and drops rules", cur: func(e ui.Evaluation) ui.Evaluation {
			e.Policy = "qqqqqqqq22"
			e.Rules = []ui.RuleResult{{ID: "a", Outcome: "fail"}, {ID: "c", Outcome: "fail"}}
			return e
		}, want: []string{"policy qqqqqqq (was ppppppp)", "c: fail (new rule)", "b: no longer evaluated"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ui.Changes(base, tc.cur(base))
			if len(got) != len(tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("change %d: %q, want %q", i, got[i], tc.want[i])
				}
			}
		})
	}
}
