package store_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/testsupport/dbtest"
)

// Each evaluation keeps its input document, compressed and bounded; replay
// reads the latest one of each pull request, and the audit retention
// removes them with the rest of the record.
func TestEvaluationInputsAreStoredForReplay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		start := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
		noise := make([]byte, 400<<10)
		if _, err := rand.Read(noise); err != nil {
			t.Fatal(err)
		}
		huge := fmt.Sprintf(`{"version": 1, "blob": %q}`, base64.StdEncoding.EncodeToString(noise))
		// A large but repetitive document compresses well and is kept.
		large := `{"version": 1, "files": [` + strings.Repeat(`{"path": "a.go", "added_lines": [{"line": 1, "content": "x := 1"}]},`, 20000) + `{}]}`
		record := func(at time.Duration, repo string, number int, sha, doc string) {
			t.Helper()
			var input []byte
			if doc != "" {
				input = []byte(doc)
			}
			err := db.InTx(ctx, func(tx store.Tx) error {
				return store.RecordEvaluation(ctx, tx, store.Evaluation{
					At: start.Add(at), Repo: repo, Number: number, HeadSHA: sha, Policy: "bundled", Trigger: "pull_request.synchronize",
					Conclusion: "failure", Rules: map[string]string{"required_reviewers": "fail"}, Input: input, InputVersion: 1,
				})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		record(0, "acme/shop", 7, "old", `{"version": 1, "head": "old"}`)
		record(time.Hour, "acme/shop", 7, "new", `{"version": 1, "head": "new"}`)
		record(2*time.Hour, "acme/shop", 8, "big", huge)
		record(3*time.Hour, "acme/shop", 9, "none", "")
		record(4*time.Hour, "Acme/Web", 10, "web", large)
		record(-48*time.Hour, "acme/shop", 11, "ancient", `{"version": 1}`)

		read := func(f store.InputFilter) ([]store.StoredInput, store.InputStats) {
			t.Helper()
			var got []store.StoredInput
			var st store.InputStats
			err := db.InTx(ctx, func(tx store.Tx) error {
				var err error
				if got, err = store.LatestInputs(ctx, tx, f); err != nil {
					return err
				}
				st, err = store.MissingInputs(ctx, tx, f)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return got, st
		}
		summary := func(in []store.StoredInput) string {
			var parts []string
			for _, s := range in {
				parts = append(parts, fmt.Sprintf("%s#%d@%s(v%d)", s.Repo, s.Number, s.HeadSHA, s.Version))
			}
			return strings.Join(parts, " ")
		}

		got, st := read(store.InputFilter{Since: start.Add(-time.Hour)})
		if s := summary(got); s != "acme/web#10@web(v1) acme/shop#7@new(v1)" {
			t.Errorf("latest inputs: %s", s)
		}
		if len(got) == 2 && (string(got[0].Document) != large || string(got[1].Document) != `{"version": 1, "head": "new"}` || got[1].Rules["required_reviewers"] != "fail") {
			t.Errorf("documents are not read back as stored: %.80s / %s %v", got[0].Document, got[1].Document, got[1].Rules)
		}
		if st != (store.InputStats{TooLarge: 1, NotStored: 1}) {
			t.Errorf("missing inputs %+v, want one too large and one not stored", st)
		}
		for name, tt := range map[string]struct {
			f    store.InputFilter
			want string
		}{
			"repository": {store.InputFilter{Since: start.Add(-time.Hour), Repo: "ACME/shop"}, "acme/shop#7@new(v1)"},
			"owner":      {store.InputFilter{Since: start.Add(-72 * time.Hour), Owner: "acme", Limit: 2}, "acme/web#10@web(v1) acme/shop#7@new(v1)"},
			"since":      {store.InputFilter{Since: start.Add(90 * time.Minute)}, "acme/web#10@web(v1)"},
			"older":      {store.InputFilter{Since: start.Add(-72 * time.Hour)}, "acme/web#10@web(v1) acme/shop#7@new(v1) acme/shop#11@ancient(v1)"},
		} {
			if got, _ := read(tt.f); summary(got) != tt.want {
				t.Errorf("%s: %s, want %s", name, summary(got), tt.want)
			}
		}

		// The audit retention prunes the documents with their records.
		if _, err := store.Prune(ctx, db, start.Add(24*time.Hour), store.Retention{Deliveries: time.Hour, State: time.Hour, Audit: 22 * time.Hour}); err != nil {
			t.Fatal(err)
		}
		if got, _ := read(store.InputFilter{Since: start.Add(-72 * time.Hour)}); summary(got) != "acme/web#10@web(v1)" {
			t.Errorf("after pruning: %s", summary(got))
		}
	})
}
