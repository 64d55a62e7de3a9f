package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
)

func TestWebViewQueries(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
		shop := store.PRRef{RepoID: 1, Repo: "acme/shop", Number: 42}
		err := db.InTx(ctx, func(tx store.Tx) error {
			evals := []store.Evaluation{
				{At: at(0), Repo: "acme/shop", Number: 42, HeadSHA: "h1", Policy: "p1", Trigger: "opened", Conclusion: "failure", Rules: map[string]string{"coverage": "fail"}},
				{At: at(10), Repo: "acme/vault", Number: 7, HeadSHA: "v1", Policy: "p1", Trigger: "opened", Conclusion: "success", Rules: map[string]string{"coverage": "pass"}},
				{At: at(20), Repo: "acme/shop", Number: 42, HeadSHA: "h2", Policy: "p2", Trigger: "synchronize", Conclusion: "success", Rules: map[string]string{"coverage": "overridden"}},
				{At: at(30), Repo: "acme/vault", Number: 7, HeadSHA: "v1", Policy: "p1", Trigger: "sweep", Conclusion: "success", Rules: map[string]string{"coverage": "pass"}},
				{At: at(40), Repo: "globex/web", Number: 1, HeadSHA: "g1", Policy: "q9", Trigger: "opened", Conclusion: "success", Rules: map[string]string{}},
			}
			for _, e := range evals {
				if err := store.RecordEvaluation(ctx, tx, e); err != nil {
					return err
				}
			}
			if _, err := store.AddOverride(ctx, tx, "o1", shop, decision.Override{Rule: "coverage", By: "alice", Reason: "e2e covers it", At: at(15), HeadSHA: "h2"}); err != nil {
				return err
			}
			if _, err := store.AddHold(ctx, tx, "h1", shop, decision.Hold{By: "bob", Reason: "wait", At: at(5)}); err != nil {
				return err
			}
			if _, err := store.ReleaseHolds(ctx, tx, shop, "bob", at(18)); err != nil {
				return err
			}
			if _, err := store.AddHold(ctx, tx, "h2", shop, decision.Hold{By: "carol", Reason: "again", At: at(25)}); err != nil {
				return err
			}
			for _, a := range []store.AuditEntry{
				{At: at(15), Owner: "acme", Repo: "acme/shop", Actor: "alice", Action: "override", Subject: "acme/shop#42", Details: map[string]any{"rule": "coverage", "reason": "e2e covers it"}},
				{At: at(22), Owner: "acme", Actor: "carol", Action: "freeze.start", Subject: "freeze 1", Details: map[string]any{"reason": "outage"}},
				{At: at(35), Owner: "acme", Repo: "acme/shop", Actor: "alice", Action: "merge", Subject: "acme/shop#42", Details: map[string]any{"conclusion": "success", "head_sha": "h2"}},
				{At: at(36), Owner: "acme", Repo: "acme/vault", Actor: "alice", Action: "merge", Subject: "acme/vault#7", Details: map[string]any{"conclusion": "failure"}},
			} {
				if err := store.Audit(ctx, tx, a); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		read := func(fn func(tx store.Tx) error) {
			t.Helper()
			if err := db.InTx(ctx, fn); err != nil {
				t.Fatal(err)
			}
		}

		read(func(tx store.Tx) error {
			evals, err := store.PullRequestEvaluations(ctx, tx, "ACME/Shop", 42, 0)
			if err != nil {
				return err
			}
			if len(evals) != 2 || evals[0].HeadSHA != "h2" || evals[0].Rules["coverage"] != "overridden" || evals[1].Policy != "p1" {
				t.Errorf("evaluations of shop#42: %+v", evals)
			}
			one, err := store.PullRequestEvaluations(ctx, tx, "acme/shop", 42, 1)
			if err != nil {
				return err
			}
			if len(one) != 1 || one[0].HeadSHA != "h2" {
				t.Errorf("limit 1: %+v", one)
			}
			overrides, holds, err := store.PullRequestInterventionHistory(ctx, tx, "acme/shop", 42)
			if err != nil {
				return err
			}
			if len(overrides) != 1 || overrides[0].Actor != "alice" || overrides[0].HeadSHA != "h2" || !overrides[0].At.Equal(at(15)) {
				t.Errorf("overrides: %+v", overrides)
			}
			if len(holds) != 2 || holds[0].ReleasedBy != "bob" || !holds[0].ReleasedAt.Equal(at(18)) || !holds[1].ReleasedAt.IsZero() {
				t.Errorf("holds: %+v", holds)
			}
			return nil
		})

		tests := []struct {
			name string
			f    store.TimelineFilter
			want []string // kind@minute, newest first
		}{
			{name: "everything", f: store.TimelineFilter{AuditFilter: store.AuditFilter{Owner: "acme"}},
				want: []string{"merge@36", "merge@35", "evaluation@30", "freeze.start@22", "evaluation@20", "policy.change@20", "override@15", "evaluation@10", "evaluation@0"}},
			{name: "merges only", f: store.TimelineFilter{AuditFilter: store.AuditFilter{Owner: "acme"}, Kinds: []string{"merge"}},
				want: []string{"merge@36", "merge@35"}},
			{name: "a limit counts the kinds asked for", f: store.TimelineFilter{AuditFilter: store.AuditFilter{Owner: "acme", Limit: 2}, Kinds: []string{"override", "policy.change"}},
				want: []string{"policy.change@20", "override@15"}},
			{name: "one repository keeps organization-wide entries", f: store.TimelineFilter{AuditFilter: store.AuditFilter{Owner: "acme", Repo: "acme/vault"}, Kinds: []string{"merge", "freeze.start", "evaluation"}},
				want: []string{"merge@36", "evaluation@30", "freeze.start@22", "evaluation@10"}},
			{name: "bypasses", f: store.TimelineFilter{AuditFilter: store.AuditFilter{Owner: "acme", Bypasses: true}},
				want: []string{"merge@36", "evaluation@20", "override@15"}},
			{name: "time range", f: store.TimelineFilter{AuditFilter: store.AuditFilter{Owner: "acme", Since: at(15), Until: at(30)}},
				want: []string{"freeze.start@22", "evaluation@20", "policy.change@20", "override@15"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				read(func(tx store.Tx) error {
					recs, err := store.Timeline(ctx, tx, tc.f)
					if err != nil {
						return err
					}
					var got []string
					for _, r := range recs {
						got = append(got, fmt.Sprintf("%s@%d", r.Kind, int(r.At.Sub(t0).Minutes())))
					}
					if strings.Join(got, " ") != strings.Join(tc.want, " ") {
						t.Errorf("got  %v\nwant %v", got, tc.want)
					}
					for _, r := range recs {
						if r.Kind == "policy.change" && (r.SHA != "p2" || r.Detail["previous"] != "p1") {
							t.Errorf("policy change: %+v", r)
						}
					}
					return nil
				})
			})
		}
	})
}
