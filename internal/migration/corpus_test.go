package migration

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

type corpusCase struct {
	File       string   `json:"file"`
	SquawkRule string   `json:"squawk_rule"`
	Form       string   `json:"form"`
	Checks     []string `json:"checks"`
	NewCheck   bool     `json:"new_check"`
	Squawk     []string `json:"squawk"`
}

const corpusDir = "../../testdata/migration-corpus"

// corpusFile is a SQL file of the corpus and its path in the corpus.
type corpusFile struct {
	Rel string
	SQL []byte
}

// corpusSQL is every SQL file of the corpus, in path order; the test fails
// when there is none.
func corpusSQL(t *testing.T) []corpusFile {
	t.Helper()
	var files []corpusFile
	err := filepath.WalkDir(corpusDir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(p, ".sql") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(corpusDir, p)
		files = append(files, corpusFile{Rel: filepath.ToSlash(rel), SQL: b})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no corpus files")
	}
	return files
}

// TestCorpusReads checks the corpus is whole and that every file reads:
// each file is listed once in expected.json, each listed file exists, the
// forms are consistent, squawk rules are known, and only the files meant
// to hold a parse error have one.
func TestCorpusReads(t *testing.T) {
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
	listed := map[string]bool{}
	for _, c := range exp.Cases {
		if listed[c.File] {
			t.Errorf("%s listed twice", c.File)
		}
		listed[c.File] = true
	}
	var onDisk []string
	err = filepath.WalkDir(corpusDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".sql") {
			rel, _ := filepath.Rel(corpusDir, p)
			onDisk = append(onDisk, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(onDisk)
	for _, f := range onDisk {
		if !listed[f] {
			t.Errorf("%s is not in expected.json", f)
		}
	}
	for _, c := range exp.Cases {
		t.Run(c.File, func(t *testing.T) {
			if (c.Form == "safe") != (len(c.Checks) == 0) || c.Form != "safe" && c.Form != "dangerous" {
				t.Errorf("form %q with checks %v", c.Form, c.Checks)
			}
			if _, ok := SquawkRules[c.SquawkRule]; c.SquawkRule != "" && !ok {
				t.Errorf("squawk rule %q is not in SquawkRules", c.SquawkRule)
			}
			b, err := os.ReadFile(filepath.Join(corpusDir, c.File))
			if err != nil {
				t.Fatal(err)
			}
			f := Project(context.Background(), exp.EvalPath, b, Options{})
			if len(f.Statements) == 0 || f.Limit != nil {
				t.Fatalf("read %d statements, limit %+v", len(f.Statements), f.Limit)
			}
			wantError := false
			for _, ch := range c.Checks {
				wantError = wantError || ch == "unreadable"
			}
			gotError := false
			for _, st := range f.Statements {
				gotError = gotError || st.Kind == "parse_error"
			}
			if gotError != wantError {
				t.Errorf("parse error %v, want %v: %s", gotError, wantError, shape(f))
			}
		})
	}
}
