package facts

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/mergeguard/mergeguard/internal/codeowners"
)

// CodeOwners is what the input says about the repository's CODEOWNERS
// file (input.pull_request.codeowners): where the base branch has it, the
// lines GitHub would skip, and, when the pull request changes it, the same
// of the version it proposes.
type CodeOwners struct {
	// Path is the location GitHub uses on the base branch; "" when there is
	// no CODEOWNERS file there.
	Path     string              `json:"path"`
	Problems []CodeOwnersProblem `json:"problems"`
	// Head is the file at the pull request's head; nil unless the pull
	// request changes which file applies or what it says.
	Head *CodeOwnersHead `json:"head,omitempty"`
	// Groups are the changed files with owners, grouped by their set of
	// owners and, within a group, by the line that named them. Grouping
	// here rather than in Rego spares the rule building tables over every
	// file: it only walks groups and lines (a few hundred at most).
	Groups []CodeOwnersGroup `json:"groups"`
}

// CodeOwnersGroup is the changed files that have the same owners, whichever
// lines of CODEOWNERS named them.
type CodeOwnersGroup struct {
	// Key identifies the set of owners: Owners joined by spaces.
	Key string `json:"key"`
	// Owners are lower-cased and sorted, each once, since GitHub compares
	// logins and team slugs without regard to case.
	Owners []string `json:"owners"`
	// Lines are the lines of CODEOWNERS that own the group's files, by line
	// number.
	Lines []CodeOwnersGroupLine `json:"lines"`
}

// CodeOwnersGroupLine is a line of CODEOWNERS and the changed files it
// decides the owners of: a file under its path, and a renamed file under
// its old path, so that moving a file out of an owned folder needs that
// folder's owners.
type CodeOwnersGroupLine struct {
	Line    int    `json:"line"`
	Pattern string `json:"pattern"`
	// Files are sorted paths.
	Files []string `json:"files"`
}

// CodeOwnersHead is the CODEOWNERS file a pull request would leave.
type CodeOwnersHead struct {
	// Path is "" when the pull request leaves no CODEOWNERS file.
	Path     string              `json:"path"`
	Problems []CodeOwnersProblem `json:"problems"`
}

// CodeOwnersProblem is a problem on a line of CODEOWNERS (line 0: the whole
// file).
type CodeOwnersProblem struct {
	Line    int    `json:"line"`
	Message string `json:"message"`
	// GitHub is true for a problem GitHub's own check of the file reported
	// (an owner that does not exist or may not own files), which mergeguard
	// cannot see in the text; false for a line GitHub skips as unreadable.
	GitHub bool `json:"github"`
}

// CodeOwnersFile is a CODEOWNERS file as read from one side of a pull
// request.
type CodeOwnersFile struct {
	// Path is its location; "" when no location holds one.
	Path    string
	Content []byte
	// TooLarge is set when the file is larger than codeowners.MaxSize and
	// was not read: GitHub ignores it, so no file has owners.
	TooLarge bool
	// Reported are the problems GitHub's check of the file reported; those
	// on a line the file's reading already finds a problem on are left out.
	Reported []CodeOwnersProblem
}

func (f CodeOwnersFile) parse() (codeowners.File, []CodeOwnersProblem) {
	if f.TooLarge {
		return codeowners.File{}, []CodeOwnersProblem{{Line: 0, Message: fmt.Sprintf(
			"the file is larger than %d bytes; GitHub does not load a CODEOWNERS file of 3 MB or more, so no file has owners", codeowners.MaxSize)}}
	}
	if f.Path == "" {
		return codeowners.File{}, []CodeOwnersProblem{}
	}
	parsed, read := codeowners.Parse(f.Content)
	problems := make([]CodeOwnersProblem, 0, len(read)+len(f.Reported))
	lines := map[int]bool{}
	for _, p := range read {
		problems = append(problems, CodeOwnersProblem{Line: p.Line, Message: p.Message})
		lines[p.Line] = true
	}
	for _, p := range f.Reported {
		if !lines[p.Line] {
			p.GitHub = true
			problems = append(problems, p)
			lines[p.Line] = true
		}
	}
	slices.SortStableFunc(problems, func(a, b CodeOwnersProblem) int { return a.Line - b.Line })
	return parsed, problems
}

// isLocation reports whether path is where GitHub looks for CODEOWNERS.
func isLocation(path string) bool {
	return path != "" && slices.Contains(codeowners.Locations, path)
}

// ChangesCodeOwners reports whether the files add, change, move or remove a
// file at one of CODEOWNERS' locations.
func ChangesCodeOwners(files []File) bool {
	for _, f := range files {
		if isLocation(f.Path) || isLocation(f.PreviousPath) {
			return true
		}
	}
	return false
}

// HeadCodeOwners finds the CODEOWNERS file GitHub would use at the pull
// request's head, given the one it uses at the base and the changed files.
// Which locations hold a file at the head follows from the base and the
// changes for most of them, so read (the file at the head; found false when
// it is not there) is called only for a location the pull request writes,
// or one the base lookup stopped before reaching.
func HeadCodeOwners(base CodeOwnersFile, files []File, read func(path string) (CodeOwnersFile, bool, error)) (CodeOwnersFile, error) {
	written, gone := map[string]bool{}, map[string]bool{}
	for _, f := range files {
		if f.Status == "removed" {
			gone[f.Path] = true
			continue
		}
		written[f.Path] = true
		if f.PreviousPath != "" && f.PreviousPath != f.Path && f.Status != "copied" {
			gone[f.PreviousPath] = true
		}
	}
	// The base lookup went through the locations in order and stopped at
	// base.Path: those before it are known missing at the base, those
	// after it unknown.
	baseAt := slices.Index(codeowners.Locations, base.Path)
	for i, loc := range codeowners.Locations {
		switch {
		case written[loc]:
		case gone[loc]:
			continue
		case base.Path == "" || i < baseAt:
			continue // missing at the base and not added
		case i == baseAt:
			return base, nil // unchanged
		}
		f, found, err := read(loc)
		if err != nil {
			return CodeOwnersFile{}, fmt.Errorf("read %s at the head: %w", loc, err)
		}
		if found {
			f.Path = loc
			return f, nil
		}
	}
	return CodeOwnersFile{}, nil
}

// WithCodeOwners gives each file the line of the base branch's CODEOWNERS
// that decides its owners (and a moved file those of its old path), and
// states the problems of the base's file and, when the pull request changes
// CODEOWNERS, of the head's. The matching is done here, in Go, once per
// file; the rules only look the lines up.
func WithCodeOwners(files []File, base CodeOwnersFile, head *CodeOwnersFile) ([]File, *CodeOwners) {
	parsed, problems := base.parse()
	out := &CodeOwners{Path: base.Path, Problems: problems}
	for i := range files {
		f := &files[i]
		f.Owners = parsed.Owners(f.Path)
		if f.PreviousPath != "" && f.PreviousPath != f.Path {
			f.PreviousOwners = parsed.Owners(f.PreviousPath)
		}
	}
	// A pull request that changes a location whose file GitHub does not use
	// (docs/CODEOWNERS beside .github/CODEOWNERS) leaves the file that
	// applies as it was: its problems stay the base's, not the pull
	// request's doing.
	if head != nil && head.Path == base.Path && head.TooLarge == base.TooLarge && bytes.Equal(head.Content, base.Content) {
		head = nil
	}
	if head != nil {
		_, hp := head.parse()
		out.Head = &CodeOwnersHead{Path: head.Path, Problems: hp}
	}
	out.Groups = ownerGroups(files)
	return files, out
}

// ownerGroups groups the files' paths (and renamed files' old paths) by the
// owners of the line that decides them; lines naming no owner own nothing.
func ownerGroups(files []File) []CodeOwnersGroup {
	type lineFiles struct {
		match *codeowners.Match
		paths []string
	}
	byLine := map[int]*lineFiles{}
	add := func(path string, m *codeowners.Match) {
		if m == nil || len(m.Owners) == 0 {
			return
		}
		l := byLine[m.Line]
		if l == nil {
			l = &lineFiles{match: m}
			byLine[m.Line] = l
		}
		l.paths = append(l.paths, path)
	}
	for _, f := range files {
		add(f.Path, f.Owners)
		if f.PreviousPath != "" && f.PreviousPath != f.Path {
			add(f.PreviousPath, f.PreviousOwners)
		}
	}
	byKey := map[string]*CodeOwnersGroup{}
	for _, l := range byLine {
		owners := make([]string, 0, len(l.match.Owners))
		for _, o := range l.match.Owners {
			owners = append(owners, strings.ToLower(o))
		}
		slices.Sort(owners)
		owners = slices.Compact(owners)
		key := strings.Join(owners, " ")
		g := byKey[key]
		if g == nil {
			g = &CodeOwnersGroup{Key: key, Owners: owners}
			byKey[key] = g
		}
		paths := slices.Clone(l.paths)
		slices.Sort(paths)
		g.Lines = append(g.Lines, CodeOwnersGroupLine{Line: l.match.Line, Pattern: l.match.Pattern, Files: slices.Compact(paths)})
	}
	out := make([]CodeOwnersGroup, 0, len(byKey))
	for _, g := range byKey {
		slices.SortFunc(g.Lines, func(a, b CodeOwnersGroupLine) int { return a.Line - b.Line })
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b CodeOwnersGroup) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// OwningTeams lists the slugs of org's teams that CODEOWNERS names as
// owners of the files, sorted: the only teams whose members the rule
// needs. Other organizations' teams cannot approve here and are left out.
func OwningTeams(files []File, org string) []string {
	seen := map[string]bool{}
	add := func(m *codeowners.Match) {
		if m == nil {
			return
		}
		for _, o := range m.Owners {
			owner, slug, ok := strings.Cut(strings.TrimPrefix(o, "@"), "/")
			if ok && strings.HasPrefix(o, "@") && strings.EqualFold(owner, org) {
				seen[strings.ToLower(slug)] = true
			}
		}
	}
	for _, f := range files {
		add(f.Owners)
		add(f.PreviousOwners)
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// ApplyPatch returns a file's content at the head from its content at the
// base and its changed lines, as `mergeguard eval` needs for a CODEOWNERS
// file it has only at the base and in the diff. ok is false when the lines
// cannot rebuild it: no patch, a cut line, or a patch for other content.
func ApplyPatch(base []byte, f File) (content []byte, ok bool) {
	if f.PatchMissing || f.ParseError != "" || f.Binary || f.Unreadable != "" {
		return nil, false
	}
	var old []string
	if len(base) > 0 {
		old = strings.Split(strings.TrimSuffix(string(base), "\n"), "\n")
	}
	removed := make(map[int]bool, len(f.RemovedLines))
	for _, n := range f.RemovedLines {
		if n < 1 || n > len(old) {
			return nil, false
		}
		removed[n] = true
	}
	added := make(map[int]string, len(f.AddedLines))
	for _, l := range f.AddedLines {
		if l.Truncated {
			return nil, false
		}
		added[l.Line] = l.Text
	}
	total := len(old) - len(removed) + len(added)
	var b strings.Builder
	next := 0 // the next line of old to keep, 0-based
	for n := 1; n <= total; n++ {
		text, ok := added[n]
		if !ok {
			for next < len(old) && removed[next+1] {
				next++
			}
			if next >= len(old) {
				return nil, false
			}
			text = old[next]
			next++
		}
		b.WriteString(text)
		b.WriteByte('\n')
	}
	for next < len(old) && removed[next+1] {
		next++
	}
	if next != len(old) || len(added) != countAdded(added, total) {
		return nil, false
	}
	return []byte(b.String()), true
}

// countAdded counts the added lines numbered within the new file.
func countAdded(added map[int]string, total int) int {
	n := 0
	for l := range added {
		if l >= 1 && l <= total {
			n++
		}
	}
	return n
}
