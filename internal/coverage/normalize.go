package coverage

import (
	"maps"
	"path"
	"strings"
)

// Normalize rewrites paths to repository-relative paths for repository repo
// ("owner/name"). Reports name files the way the tool saw them — an import
// path, an absolute path on the CI machine — and pull requests name them
// relative to the repository root; Normalize closes the gap where it can
// tell how, and otherwise leaves the path for Match's suffix rule.
//
// Every path has backslashes turned into slashes, a "file://" scheme and
// Go's "_" marker for packages outside any module removed, and is cleaned
// (path.Clean: no "./", no "a/../", no doubled slashes). Then, comparing
// owner and name without regard to case, as GitHub does:
//
//   - A relative path that starts with a Go module path of the repository,
//     "<host>/<owner>/<name>/" where the host has a dot (github.com, a
//     GitHub Enterprise host), loses that prefix. A module in a
//     subdirectory keeps the directory ("github.com/o/n/tools/x.go" becomes
//     "tools/x.go"), which is the file's path; so does a major-version
//     suffix ("v2/…"), which is right for the major-subdirectory layout and
//     still matches by suffix otherwise.
//   - An absolute path ("/…", "C:/…") loses the first of these prefixes
//     found, tried in this order:
//     1. "/github/workspace/", where container actions mount the checkout;
//     2. everything through the first "/<name>/<name>/", the GitHub
//     Actions checkout (/home/runner/work/<name>/<name>/,
//     D:\a\<name>\<name>\, /__w/<name>/<name>/, <runner>/_work/<name>/<name>/);
//     3. everything through the first "/<owner>/<name>/" (GitLab's
//     /builds/<owner>/<name>/, Travis, a GOPATH's src/github.com/<owner>/<name>/);
//     4. everything through the first "/<name>/", a checkout named after
//     the repository anywhere else. The first occurrence, not the last,
//     because the repository may well contain a directory of its own name
//     (cmd/<name>/), while the checkout's parents rarely have it.
//     An absolute path without the name is kept as it is.
//
// Relative paths other than module paths are kept: they are already
// relative to something, most likely the repository root, and a directory
// named like the repository inside it must not be cut.
//
// Two report paths that become one (the same file written two ways) have
// their lines combined, keeping the larger count per line, since they are
// the same run described twice, and their branches combined.
//
// The result shares the per-file line maps with r (a report can have
// millions of lines, and the caller replaces r with the result); modify
// one or the other, not both.
func (r Report) Normalize(repo string) Report {
	owner, name, _ := strings.Cut(repo, "/")
	if strings.Contains(name, "/") || owner == "" || name == "" {
		owner, name = "", "" // not owner/name: only clean the paths
	}
	out := r.rename(func(p string) string { return normalizePath(p, owner, name) }, maxHits)
	out.index = new(matchIndex)
	return out
}

// rename gives every file the path to(path). Files that get one path have
// their lines combined with how and their branches combined; the line maps
// of files that keep theirs to themselves are shared with r, not copied.
func (r Report) rename(to func(string) string, how combine) Report {
	out := Report{Files: make(map[string]map[int]int, len(r.Files))}
	if len(r.Branches) > 0 {
		out.Branches = make(map[string]map[int]Branches, len(r.Branches))
	}
	var owned map[string]bool // maps made here, safe to change
	for p, lines := range r.Files {
		np := to(p)
		branches := r.Branches[p]
		prev, dup := out.Files[np]
		if !dup {
			out.Files[np] = lines
			if branches != nil {
				out.Branches[np] = branches
			}
			continue
		}
		if !owned[np] {
			if owned == nil {
				owned = map[string]bool{}
			}
			prev = maps.Clone(prev)
			if prev == nil {
				prev = map[int]int{}
			}
			out.Files[np], owned[np] = prev, true
			if b := out.Branches[np]; b != nil {
				out.Branches[np] = maps.Clone(b)
			}
		}
		for l, h := range lines {
			if old, ok := prev[l]; ok {
				prev[l] = how(old, h)
			} else {
				prev[l] = h
			}
		}
		if len(branches) == 0 {
			continue
		}
		mine := out.Branches[np]
		if mine == nil {
			mine = make(map[int]Branches, len(branches))
			out.Branches[np] = mine
		}
		for l, b := range branches {
			mine[l] = mine[l].combine(b)
		}
	}
	return out
}

// normalizePath applies Normalize's rules to one path; owner and name are
// "" when the repository is unknown.
func normalizePath(p, owner, name string) string {
	orig := p
	p = strings.ReplaceAll(p, `\`, "/")
	p = strings.TrimPrefix(p, "file://")
	// Go names a package outside GOPATH and modules "_" + its directory.
	if strings.HasPrefix(p, "_") && isAbs(p[1:]) {
		p = p[1:]
	}
	p = path.Clean(p)
	if p == "." || p == "/" {
		return orig // nothing left that names a file; keep what the tool wrote
	}
	if name == "" {
		return p
	}
	segs := strings.Split(p, "/")
	if !isAbs(p) {
		if len(segs) > 3 && strings.Contains(segs[0], ".") && strings.EqualFold(segs[1], owner) && strings.EqualFold(segs[2], name) {
			return strings.Join(segs[3:], "/")
		}
		return p
	}
	if rest, ok := strings.CutPrefix(p, "/github/workspace/"); ok {
		return rest
	}
	// Each rule needs at least one segment after the prefix: the file.
	for _, prefix := range [][]string{{name, name}, {owner, name}, {name}} {
		if i := findSegments(segs, prefix); i >= 0 && i+len(prefix) < len(segs) {
			return strings.Join(segs[i+len(prefix):], "/")
		}
	}
	return p
}

// findSegments returns the index of the first run of segments equal
// (without regard to case) to want, or -1.
func findSegments(segs, want []string) int {
next:
	for i := 0; i+len(want) <= len(segs); i++ {
		for j, w := range want {
			if !strings.EqualFold(segs[i+j], w) {
				continue next
			}
		}
		return i
	}
	return -1
}

// isAbs reports whether a slash-separated path is absolute on Unix or
// Windows ("/x", "C:/x"); Normalize runs on Linux but reports come from
// every OS.
func isAbs(p string) bool {
	if strings.HasPrefix(p, "/") {
		return true
	}
	return len(p) >= 3 && p[1] == ':' && p[2] == '/' &&
		('a' <= p[0] && p[0] <= 'z' || 'A' <= p[0] && p[0] <= 'Z')
}
