package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

const corpusDir = "../../testdata/migration-corpus"

type corpusCase struct {
	File       string   `json:"file"`
	SquawkRule string   `json:"squawk_rule"`
	Form       string   `json:"form"`
	Checks     []string `json:"checks"`
	Squawk     []string `json:"squawk"`
}

// checkName finds the check a migration_safety message names: every
// finding's message says "... (check): advice".
var checkName = regexp.MustCompile(`\(([a-z_]+)\): `)

// TestMigrationCorpus runs every file of the migration corpus through
// `mergeguard eval` as a new db/migrations/0001_x.sql in a pull request of
// its own (the diff is all the eval directory has: the path a user takes),
// and checks the migration rule reports exactly the expected checks. It
// then holds mergeguard to parity with squawk 2.66 on the same files
// (expected.json records squawk's verdicts): every dangerous case squawk
// catches, mergeguard catches, and mergeguard flags no more safe cases
// than squawk.
func TestMigrationCorpus(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(corpusDir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp struct {
		EvalPath string       `json:"eval_path"`
		Cases    []corpusCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &exp); err != nil {
		t.Fatal(err)
	}
	pr, err := os.ReadFile(filepath.Join("..", "..", "testdata", "prs", "unreviewed", "pull_request.json"))
	if err != nil {
		t.Fatal(err)
	}
	var p parity
	for _, c := range exp.Cases {
		sql, err := os.ReadFile(filepath.Join(corpusDir, filepath.FromSlash(c.File)))
		if err != nil {
			t.Fatal(err)
		}
		got := evalMigration(t, pr, exp.EvalPath, sql)
		want := slices.Clone(c.Checks)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: mergeguard eval reports %v, want %v", c.File, got, want)
		}
		p.add(c, len(got) > 0)
	}
	t.Log(p.String())
	if p.dangerSquawk > p.dangerBoth {
		t.Errorf("parity: mergeguard misses %d dangerous case(s) squawk catches: %s", p.dangerSquawk-p.dangerBoth, strings.Join(p.missed, ", "))
	}
	if p.safeMergeguard > p.safeSquawk {
		t.Errorf("parity: mergeguard flags %d safe case(s), squawk %d", p.safeMergeguard, p.safeSquawk)
	}
}

// parity counts, over the cases that correspond to a squawk rule, who
// catches the dangerous ones and who flags the safe ones.
type parity struct {
	danger, dangerSquawk, dangerMergeguard, dangerBoth int
	safe, safeSquawk, safeMergeguard                   int
	missed                                             []string
}

func (p *parity) add(c corpusCase, flagged bool) {
	if c.SquawkRule == "" {
		return
	}
	squawk := slices.Contains(c.Squawk, c.SquawkRule)
	switch c.Form {
	case "dangerous":
		p.danger++
		if squawk {
			p.dangerSquawk++
		}
		if flagged {
			p.dangerMergeguard++
		}
		if squawk && flagged {
			p.dangerBoth++
		}
		if squawk && !flagged {
			p.missed = append(p.missed, c.File)
		}
	case "safe":
		p.safe++
		if squawk {
			p.safeSquawk++
		}
		if flagged {
			p.safeMergeguard++
		}
	}
}

func (p parity) String() string {
	return fmt.Sprintf("dangerous cases caught: mergeguard %d/%d, squawk %d/%d; safe cases flagged: mergeguard %d/%d, squawk %d/%d",
		p.dangerMergeguard, p.danger, p.dangerSquawk, p.danger, p.safeMergeguard, p.safe, p.safeSquawk, p.safe)
}

// evalMigration writes an eval directory whose diff adds path with sql
// and returns the checks the migration rule reports on it, sorted.
func evalMigration(t *testing.T, pr []byte, path string, sql []byte) []string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pull_request.json"), pr, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "diff.patch"), newFileDiff(path, sql), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runMain(t, nil, "eval", "--format", "json", dir)
	if code != 0 && code != 1 {
		t.Fatalf("eval of %s: exit %d\n%s", path, code, errOut)
	}
	var res struct {
		Rules []struct {
			ID       string                     `json:"id"`
			Denials  []struct{ Message string } `json:"denials"`
			Warnings []struct{ Message string } `json:"warnings"`
		} `json:"rules"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("eval --format json: %v\n%s", err, out)
	}
	set := map[string]bool{}
	for _, r := range res.Rules {
		if r.ID != "migration_safety" {
			continue
		}
		for _, m := range append(r.Denials, r.Warnings...) {
			if strings.Contains(m.Message, " ignored here: ") {
				continue
			}
			if sm := checkName.FindStringSubmatch(m.Message); sm != nil {
				set[sm[1]] = true
			}
		}
	}
	got := make([]string, 0, len(set))
	for c := range set {
		got = append(got, c)
	}
	sort.Strings(got)
	return got
}

// newFileDiff is the unified diff, as git prints it, of a new file.
func newFileDiff(path string, content []byte) []byte {
	text := string(content)
	noEOL := !strings.HasSuffix(text, "\n")
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	var b strings.Builder
	fmt.Fprintf(&b, "diff --git a/%s b/%s\nnew file mode 100644\nindex 0000000..1111111\n--- /dev/null\n+++ b/%s\n@@ -0,0 +1,%d @@\n", path, path, path, len(lines))
	for _, l := range lines {
		b.WriteString("+" + l + "\n")
	}
	if noEOL {
		b.WriteString("\\ No newline at end of file\n")
	}
	return []byte(b.String())
}
