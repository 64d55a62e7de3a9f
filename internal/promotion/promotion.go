// Package promotion reads what a promotion pull request promotes: a pull
// request that changes configured paths (deploy/production/**) names the
// version or commit it sends to production in its added lines, and
// configured regular expressions with a named group `version` or `sha` read
// it from there. The bake_time rule then asks GitHub's deployment history
// about that version. The package is pure: files in, a Result out.
package promotion

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/gobwas/glob"
)

// Names of the capture groups a pattern may use.
const (
	GroupVersion = "version"
	GroupSHA     = "sha"
)

// Limits on the configuration, so that a configuration cannot make every
// evaluation slow: patterns are matched against every added line of every
// promotion file.
const (
	MaxPaths         = 50
	MaxPatterns      = 20
	MaxPatternLength = 1000
	// MaxMatches bounds the matches a Result lists; the version and the
	// problems still account for every line.
	MaxMatches = 20
	// MaxValueLength bounds an extracted version or SHA: a value longer than
	// this is not a version but a pattern that captured too much.
	MaxValueLength = 200
)

// RawConfig is the configuration as written (rules.bake_time's
// promotion_paths and promotion_patterns).
type RawConfig struct {
	Paths    []string `json:"paths"`
	Patterns []string `json:"patterns"`
}

// Config is a validated configuration; only Validate makes one.
type Config struct {
	paths    []string
	globs    []*glob.Pattern
	patterns []*regexp.Regexp
}

// Validate checks the configuration once, when it is loaded, so that a
// mistake is reported where it was written rather than on every pull
// request: every path a glob, every pattern a regular expression with a
// named group version or sha and no other named group.
func (r RawConfig) Validate() (Config, error) {
	var c Config
	if len(r.Paths) > MaxPaths {
		return Config{}, fmt.Errorf("promotion paths: %d given, at most %d", len(r.Paths), MaxPaths)
	}
	if len(r.Patterns) > MaxPatterns {
		return Config{}, fmt.Errorf("promotion patterns: %d given, at most %d", len(r.Patterns), MaxPatterns)
	}
	if len(r.Paths) > 0 && len(r.Patterns) == 0 {
		return Config{}, fmt.Errorf("promotion patterns: none given, so nothing says what a change to the promotion paths promotes; add a regular expression with a named group (?P<version>…) or (?P<sha>…)")
	}
	for i, p := range r.Paths {
		if strings.TrimSpace(p) == "" {
			return Config{}, fmt.Errorf("promotion path %d is empty", i+1)
		}
		g, err := glob.Compile(gitignoreStyle(p), '/')
		if err != nil {
			return Config{}, fmt.Errorf("promotion path %q is not a valid glob: %w", p, err)
		}
		c.paths = append(c.paths, p)
		c.globs = append(c.globs, g)
	}
	for _, p := range r.Patterns {
		if len(p) > MaxPatternLength {
			return Config{}, fmt.Errorf("promotion pattern %q…: longer than %d bytes", p[:40], MaxPatternLength)
		}
		re, err := regexp.Compile(p)
		if err != nil {
			return Config{}, fmt.Errorf("promotion pattern %q is not a regular expression: %w", p, err)
		}
		var named []string
		for _, n := range re.SubexpNames() {
			if n == "" {
				continue
			}
			if n != GroupVersion && n != GroupSHA {
				return Config{}, fmt.Errorf("promotion pattern %q: group %q is neither (?P<version>…) nor (?P<sha>…)", p, n)
			}
			if slices.Contains(named, n) {
				return Config{}, fmt.Errorf("promotion pattern %q: group %q appears twice", p, n)
			}
			named = append(named, n)
		}
		if len(named) == 0 {
			return Config{}, fmt.Errorf("promotion pattern %q has no named group: write (?P<version>…) or (?P<sha>…) around what it promotes", p)
		}
		c.patterns = append(c.patterns, re)
	}
	return c, nil
}

// Configured reports whether the configuration recognises any promotion:
// with no paths, no pull request is a promotion (the rule is off).
func (c Config) Configured() bool { return len(c.globs) > 0 }

// gitignoreStyle rewrites "**/" as "{**/,}" so that "**/" also matches no
// folder, as the bundled Rego helpers (lib.matches) do: the Go side and the
// rule must agree on which files are promotion files.
func gitignoreStyle(p string) string {
	inner := strings.ReplaceAll(p, "/**/", "/{**/,}")
	if strings.HasPrefix(inner, "**/") {
		return "{**/,}" + inner[3:]
	}
	return inner
}

// Line is an added line, in new-file numbering.
type Line struct {
	Number int
	Text   string
}

// File is a changed file: its path (and the path it was renamed from) and
// its added lines.
type File struct {
	Path         string
	PreviousPath string
	AddedLines   []Line
	// LinesUnknown is true when the diff's lines are not known (GitHub sent
	// no patch and the contents could not be diffed): a promotion file whose
	// lines are unknown cannot be read, which is a problem, not "nothing".
	LinesUnknown bool
}

// Match is one added line that names what is promoted.
type Match struct {
	Path    string `json:"path"`
	Line    int    `json:"line"`
	Version string `json:"version,omitempty"`
	SHA     string `json:"sha,omitempty"`
}

// Problem kinds.
const (
	// NoMatch: a promotion file has added lines, but no pattern matches any.
	NoMatch = "no_match"
	// Conflict: the added lines name several different versions or SHAs.
	Conflict = "conflict"
	// Unreadable: a promotion file's added lines are unknown.
	Unreadable = "unreadable"
)

// Problem is why the promoted version cannot be told.
type Problem struct {
	Kind    string `json:"kind"`
	Path    string `json:"path,omitempty"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

// Result is what a pull request promotes. It is the input document's
// `promotion` object as it is.
type Result struct {
	// Files are the changed promotion files; none means the pull request
	// is no promotion.
	Files []string `json:"files"`
	// Version and SHA are what is promoted, when the added lines agree on
	// one of each; empty otherwise.
	Version  string    `json:"version"`
	SHA      string    `json:"sha"`
	Matches  []Match   `json:"matches"`
	Problems []Problem `json:"problems"`
}

// Promotes reports whether the pull request changes a promotion file.
func (r Result) Promotes() bool { return len(r.Files) > 0 }

// promotionFile reports whether path (or the path the file was renamed
// from) matches a promotion glob.
func (c Config) promotionFile(f File) bool {
	for _, g := range c.globs {
		if g.Match(f.Path) || f.PreviousPath != "" && g.Match(f.PreviousPath) {
			return true
		}
	}
	return false
}

// Extract reads what the changed files promote. A removed promotion file
// (no added lines) promotes nothing and is no problem; a promotion file
// with added lines none of which says what is promoted is, as are added
// lines that disagree.
func (c Config) Extract(files []File) Result {
	r := Result{Files: []string{}, Matches: []Match{}, Problems: []Problem{}}
	versions := map[string]Match{}
	shas := map[string]Match{}
	var versionOrder, shaOrder []string
	for _, f := range files {
		if !c.promotionFile(f) {
			continue
		}
		r.Files = append(r.Files, f.Path)
		if f.LinesUnknown {
			r.Problems = append(r.Problems, Problem{Kind: Unreadable, Path: f.Path,
				Message: fmt.Sprintf("The changes to `%s` are too large for GitHub to show, so what it promotes cannot be read.", f.Path)})
			continue
		}
		found := false
		for _, l := range f.AddedLines {
			for _, re := range c.patterns {
				m, ok := match(re, l.Text)
				if !ok {
					continue
				}
				found = true
				m.Path, m.Line = f.Path, l.Number
				if len(r.Matches) < MaxMatches {
					r.Matches = append(r.Matches, m)
				}
				if _, seen := versions[m.Version]; m.Version != "" && !seen {
					versions[m.Version] = m
					versionOrder = append(versionOrder, m.Version)
				}
				if _, seen := shas[m.SHA]; m.SHA != "" && !seen {
					shas[m.SHA] = m
					shaOrder = append(shaOrder, m.SHA)
				}
			}
		}
		if !found && len(f.AddedLines) > 0 {
			r.Problems = append(r.Problems, Problem{Kind: NoMatch, Path: f.Path, Line: f.AddedLines[0].Number,
				Message: fmt.Sprintf("`%s` is a promotion file, but none of its added lines matches a promotion pattern (%s), so what it promotes cannot be told. Fix the patterns in rules.bake_time.promotion_patterns, or the file.", f.Path, c.patternList())})
		}
	}
	r.Version = agree(&r, "versions", versionOrder, versions)
	r.SHA = agree(&r, "commits", shaOrder, shas)
	return r
}

// match applies one pattern to one line. A match whose named groups
// captured nothing (an optional group) or too much names nothing.
func match(re *regexp.Regexp, text string) (Match, bool) {
	sub := re.FindStringSubmatch(text)
	if sub == nil {
		return Match{}, false
	}
	var m Match
	for i, name := range re.SubexpNames() {
		v := strings.TrimSpace(sub[i])
		if v == "" || len(v) > MaxValueLength {
			continue
		}
		switch name {
		case GroupVersion:
			m.Version = v
		case GroupSHA:
			m.SHA = strings.ToLower(v)
		}
	}
	return m, m.Version != "" || m.SHA != ""
}

// agree returns the one value the lines name, or records a conflict.
func agree(r *Result, what string, order []string, first map[string]Match) string {
	switch len(order) {
	case 0:
		return ""
	case 1:
		return order[0]
	}
	var named []string
	for _, v := range order {
		m := first[v]
		named = append(named, fmt.Sprintf("`%s` (%s:%d)", v, m.Path, m.Line))
	}
	a := first[order[1]]
	r.Problems = append(r.Problems, Problem{Kind: Conflict, Path: a.Path, Line: a.Line,
		Message: fmt.Sprintf("This pull request promotes %d different %s: %s. Promote one at a time, so that each one's bake time can be checked.", len(order), what, strings.Join(named, ", "))})
	return ""
}

func (c Config) patternList() string {
	var s []string
	for _, re := range c.patterns {
		s = append(s, "`"+re.String()+"`")
	}
	return strings.Join(s, ", ")
}
