// Package codeowners reads a repository's CODEOWNERS file the way GitHub
// does, so that a rule can ask who owns each changed file and which line of
// the file said so.
//
// GitHub's reading, as its documentation describes it: patterns follow
// .gitignore, the last matching line wins, a pattern without owners leaves
// its files without an owner, and three .gitignore features do not work —
// "!" negation, "[ ]" character ranges and escaping a leading "#" with "\".
// A line GitHub cannot read is skipped while the others still apply; a file
// over 3 MB is not loaded at all. Parse follows the same reading and reports
// every skipped line as a Problem instead of failing.
package codeowners

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// MaxSize is the largest CODEOWNERS file GitHub loads: "CODEOWNERS files must
// be under 3 MB in size".
const MaxSize = 3 << 20

// Locations are where GitHub looks for the file, in the order it looks.
var Locations = []string{".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"}

// Problem is a line GitHub would skip (Line 0: the whole file), and why.
type Problem struct {
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// Match is the line that decides a path's owners. Owners is empty (not nil)
// when that line names none: the path then has no owner, whatever earlier
// lines say.
type Match struct {
	Line    int      `json:"line"`
	Pattern string   `json:"pattern"`
	Owners  []string `json:"owners"`
}

// File is a parsed CODEOWNERS file; the zero File matches nothing.
type File struct {
	rules []rule
	// The index narrows which rules can match a path (see Match), so that
	// a path is checked against a few rules rather than all of them:
	//   - byPrefix: rules anchored at the root, by their leading literal
	//     folders ("services/payments" for /services/payments/**/*.sql);
	//   - byName: one literal name matching at any depth ("logs", "apps/");
	//   - bySuffix: "*.ext" at any depth, by ".ext";
	//   - general: the rest, checked for every path.
	// Each list holds rule numbers in ascending order.
	byPrefix map[string][]int
	byName   map[string][]int
	bySuffix map[string][]int
	general  []int
}

type rule struct {
	Match
	segs []segment
}

// Find returns the CODEOWNERS file GitHub would use: the first of Locations
// that lookup finds. found is false when there is none. lookup reports a
// missing file with found false and a nil error; any error stops the search,
// since a later location must not win because an earlier one was unreadable.
func Find(lookup func(path string) (content []byte, found bool, err error)) (path string, content []byte, found bool, err error) {
	for _, p := range Locations {
		content, found, err := lookup(p)
		if err != nil {
			return "", nil, false, fmt.Errorf("reading %s: %w", p, err)
		}
		if found {
			return p, content, true, nil
		}
	}
	return "", nil, false, nil
}

// Parse reads content as GitHub does. Lines it cannot read are skipped and
// reported; the others apply.
func Parse(content []byte) (File, []Problem) {
	if len(content) >= MaxSize {
		return File{}, []Problem{{Line: 0, Message: fmt.Sprintf("the file is %d bytes; GitHub does not load a CODEOWNERS file of 3 MB or more, so no file has owners", len(content))}}
	}
	content = bytes.TrimPrefix(content, []byte("\ufeff"))
	f := File{byPrefix: map[string][]int{}, byName: map[string][]int{}, bySuffix: map[string][]int{}}
	var problems []Problem
	for n, raw := range bytes.Split(content, []byte("\n")) {
		r, msg, ok := parseLine(string(bytes.TrimSuffix(raw, []byte("\r"))))
		switch {
		case msg != "":
			problems = append(problems, Problem{Line: n + 1, Message: msg})
		case ok:
			r.Line = n + 1
			f.add(r)
		}
	}
	return f, problems
}

// Rules counts the lines that apply.
func (f File) Rules() int { return len(f.rules) }

func (f *File) add(r rule) {
	i := len(f.rules)
	f.rules = append(f.rules, r)
	segs := r.segs
	switch {
	case segs[0].kind == literal:
		// Anchored at the root (unanchored patterns start with "**").
		var prefix []string
		for _, s := range segs {
			if s.kind != literal {
				break
			}
			prefix = append(prefix, s.text)
		}
		key := strings.Join(prefix, "/")
		f.byPrefix[key] = append(f.byPrefix[key], i)
	case len(segs) == 3 && segs[0].kind == anyDepth && segs[1].kind == literal:
		// A bare name such as "logs" or "apps/": a path containing that
		// name at any depth.
		f.byName[segs[1].text] = append(f.byName[segs[1].text], i)
	case len(segs) >= 2 && segs[0].kind == anyDepth && segs[1].kind == glob && simpleSuffix(segs[1].text):
		f.bySuffix[segs[1].text[1:]] = append(f.bySuffix[segs[1].text[1:]], i)
	default:
		f.general = append(f.general, i)
	}
}

// simpleSuffix is true for "*.ext": a star, then a dot and no wildcard or
// escape, the form Match looks up by each name's dotted suffixes.
func simpleSuffix(g string) bool {
	return len(g) > 2 && g[0] == '*' && g[1] == '.' && !strings.ContainsAny(g[1:], `*?\`)
}

// Match returns the last line whose pattern matches path (relative to the
// repository root, with "/" separators), and false when none does.
func (f File) Match(path string) (Match, bool) {
	path = strings.TrimPrefix(path, "/")
	if path == "" || len(f.rules) == 0 {
		return Match{}, false
	}
	parts := strings.Split(path, "/")
	best := -1
	// Each list is in ascending order, so the first match from its end is
	// its last; lists cannot hold a later match once below best.
	try := func(list []int) {
		for k := len(list) - 1; k >= 0 && list[k] > best; k-- {
			if matchSegments(f.rules[list[k]].segs, parts) {
				best = list[k]
				return
			}
		}
	}
	end := 0
	for k, p := range parts {
		end += len(p)
		if k > 0 {
			end++
		}
		try(f.byPrefix[path[:end]])
		try(f.byName[p])
		for d := 0; d < len(p); d++ {
			if p[d] == '.' {
				try(f.bySuffix[p[d:]])
			}
		}
	}
	try(f.general)
	if best < 0 {
		return Match{}, false
	}
	m := f.rules[best].Match
	m.Owners = append([]string{}, m.Owners...)
	return m, true
}

// Owners is Match for the input document: nil (JSON null) when no line
// matches, so that "no line" and "a line naming no owner" stay apart.
func (f File) Owners(path string) *Match {
	m, ok := f.Match(path)
	if !ok {
		return nil
	}
	return &m
}

var (
	// A GitHub login: letters, digits and hyphens, and "_" before the
	// enterprise's short code of a managed user (ana_acme).
	userOwner = regexp.MustCompile(`^@[A-Za-z0-9][A-Za-z0-9_-]*$`)
	// @org/team-slug: slugs are lower-case letters, digits, "-" and "_",
	// but GitHub matches them case-insensitively.
	teamOwner  = regexp.MustCompile(`^@[A-Za-z0-9][A-Za-z0-9_-]*/[A-Za-z0-9_.-]+$`)
	emailOwner = regexp.MustCompile(`^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$`)
)

// parseLine reads one line: ok is false for blank lines and comments, msg
// says why GitHub would skip it.
func parseLine(line string) (r rule, msg string, ok bool) {
	if !utf8.ValidString(line) {
		return r, "the line is not valid UTF-8", false
	}
	line = strings.TrimLeft(line, " \t")
	if line == "" || line[0] == '#' {
		return r, "", false
	}
	pattern, rest := splitPattern(line)
	if strings.HasPrefix(pattern, `\#`) {
		return r, fmt.Sprintf("pattern %q: escaping a leading # with \\ does not work in CODEOWNERS (GitHub reads the line as invalid)", pattern), false
	}
	if strings.HasPrefix(pattern, "!") {
		return r, fmt.Sprintf("pattern %q: negation with ! does not work in CODEOWNERS", pattern), false
	}
	if strings.ContainsAny(pattern, "[]") {
		return r, fmt.Sprintf("pattern %q: character ranges with [ ] do not work in CODEOWNERS", pattern), false
	}
	segs, err := compile(pattern)
	if err != nil {
		return r, fmt.Sprintf("pattern %q: %v", pattern, err), false
	}
	owners := []string{}
	for _, o := range strings.Fields(rest) {
		if strings.HasPrefix(o, "#") {
			break // an inline comment ends the owners
		}
		if !userOwner.MatchString(o) && !teamOwner.MatchString(o) && !emailOwner.MatchString(o) {
			return r, fmt.Sprintf("owner %q is not @user, @org/team or an email address", o), false
		}
		owners = append(owners, o)
	}
	return rule{Match: Match{Pattern: pattern, Owners: owners}, segs: segs}, "", true
}

// splitPattern cuts the pattern (which may contain "\ " escaped spaces) from
// the owners after it.
func splitPattern(line string) (pattern, rest string) {
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++ // the next byte is part of the pattern, even a space
		case ' ', '\t':
			return line[:i], line[i:]
		}
	}
	return line, ""
}

type segKind int

const (
	literal   segKind = iota // a name, compared as is
	glob                     // a name with * or ?
	anyDepth                 // "**": zero or more folders
	oneOrMore                // what a trailing "/" or "/**" adds: something inside
)

type segment struct {
	kind segKind
	text string // literal: the name, unescaped; glob: the pattern, escapes kept
}

// compile turns a pattern into path segments to match, the way GitHub's
// documented examples read them:
//   - a pattern with a "/" at its start or in its middle is anchored at the
//     root; otherwise it matches at any depth ("*.js", "apps/");
//   - a trailing "/" (or "/**") matches what is inside that folder;
//   - a pattern naming a folder matches everything inside it, except when
//     its last part is a bare "*": "docs/*" matches docs/a.md but not
//     docs/build/b.md.
func compile(pattern string) ([]segment, error) {
	if strings.Contains(pattern, "***") {
		return nil, fmt.Errorf("*** is not a pattern")
	}
	if strings.HasSuffix(pattern, `\`) && !strings.HasSuffix(pattern, `\\`) {
		return nil, fmt.Errorf("it ends with an escape (\\) that escapes nothing")
	}
	p := pattern
	anchored := strings.HasPrefix(p, "/")
	p = strings.TrimPrefix(p, "/")
	dir := strings.HasSuffix(p, "/")
	p = strings.TrimSuffix(p, "/")
	if p == "" {
		// "/" names the root itself, which holds no file of its own.
		return []segment{{kind: literal, text: "\x00"}}, nil
	}
	parts := strings.Split(p, "/")
	if len(parts) > 1 {
		anchored = true
	}
	var segs []segment
	if !anchored && parts[0] != "**" {
		segs = append(segs, segment{kind: anyDepth})
	}
	for i, part := range parts {
		switch {
		case part == "":
			return nil, fmt.Errorf("it has an empty folder name (//)")
		case part == "**":
			if i == len(parts)-1 {
				segs = append(segs, segment{kind: oneOrMore})
				dir = false
			} else if len(segs) == 0 || segs[len(segs)-1].kind != anyDepth {
				segs = append(segs, segment{kind: anyDepth})
			}
		case strings.ContainsAny(part, `*?`):
			// "**" inside a name ("a**b") is two ordinary stars, as in
			// .gitignore: it does not cross folders.
			segs = append(segs, segment{kind: glob, text: part})
		default:
			segs = append(segs, segment{kind: literal, text: unescape(part)})
		}
	}
	last := parts[len(parts)-1]
	switch {
	case dir:
		segs = append(segs, segment{kind: oneOrMore})
	case last == "**" || last == "*":
		// Already complete: "**" ends in oneOrMore, a bare "*" names files
		// in that folder only.
	default:
		segs = append(segs, segment{kind: anyDepth})
	}
	return segs, nil
}

func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// matchSegments reports whether the pattern's segments cover the path's
// parts exactly. It tracks the set of path positions each pattern prefix can
// reach (at most 64 parts fit the bitset; deeper paths take the slow
// loop), so patterns with several "**" stay linear, never backtracking.
func matchSegments(segs []segment, parts []string) bool {
	n := len(parts)
	if n >= 64 {
		return matchSlow(segs, parts)
	}
	reach := uint64(1) // bit j: the prefix can end before parts[j]
	all := uint64(1)<<(n+1) - 1
	for _, s := range segs {
		var next uint64
		switch s.kind {
		case anyDepth, oneOrMore:
			low := reach & -reach // lowest reachable position
			if low == 0 {
				return false
			}
			// Every position from the lowest reachable one on (plus one
			// for oneOrMore).
			from := low
			if s.kind == oneOrMore {
				from <<= 1
			}
			next = all &^ (from - 1)
		default:
			for j := 0; j < n; j++ {
				if reach&(1<<j) != 0 && matchName(s, parts[j]) {
					next |= 1 << (j + 1)
				}
			}
		}
		reach = next & all
		if reach == 0 {
			return false
		}
	}
	return reach&(1<<n) != 0
}

func matchSlow(segs []segment, parts []string) bool {
	reach := make([]bool, len(parts)+1)
	reach[0] = true
	for _, s := range segs {
		next := make([]bool, len(parts)+1)
		on := false
		for j := range reach {
			switch s.kind {
			case anyDepth:
				on = on || reach[j]
				next[j] = on
			case oneOrMore:
				next[j] = on
				on = on || reach[j]
			default:
				if j < len(parts) && reach[j] && matchName(s, parts[j]) {
					next[j+1] = true
				}
			}
		}
		reach = next
	}
	return reach[len(parts)]
}

func matchName(s segment, name string) bool {
	if s.kind == literal {
		return s.text == name
	}
	return globMatch(s.text, name)
}

// globMatch matches one name against a pattern where "*" is any run of
// characters, "?" one character and "\x" the character x. It remembers only
// the last "*", so it runs in time proportional to pattern × name.
func globMatch(pattern, name string) bool {
	p, n := 0, 0
	starP, starN := -1, 0
	for n < len(name) {
		if p < len(pattern) {
			switch c := pattern[p]; c {
			case '*':
				starP, starN = p, n
				p++
				continue
			case '?':
				_, size := utf8.DecodeRuneInString(name[n:])
				p++
				n += size
				continue
			case '\\':
				if p+1 < len(pattern) && pattern[p+1] == name[n] {
					p += 2
					n++
					continue
				}
			default:
				if c == name[n] {
					p++
					n++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		// Let the last "*" take one more character and try again.
		_, size := utf8.DecodeRuneInString(name[starN:])
		starN += size
		p, n = starP+1, starN
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
