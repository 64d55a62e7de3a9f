package coverage

import (
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
)

// Match finds the report's entry for a repository path: the file with
// exactly that path, else the file whose path shares the longest suffix of
// whole path segments with it (a report of "shop/charge.go" matches
// repository path "internal/shop/charge.go"; a JaCoCo
// "com/acme/Charge.java" matches "src/main/java/com/acme/Charge.java"; an
// absolute "/ci/x/internal/shop/charge.go" matches
// "internal/shop/charge.go"). At least the file name must match. Two
// candidates tied for the longest suffix are ambiguous: no match, since
// picking one would report another file's coverage as this one's.
//
// Segments are compared exactly (case matters) and split at '/' and '\',
// so a report that was not normalized still matches. The returned map is
// the report's own; do not modify it.
//
// Repeated lookups are cheap: the first suffix lookup sorts the report's
// paths by their segments read from the end, after which every lookup is a
// binary search (see suffixIndex). A pull request of 3,000 files against a
// report of 100,000 costs one sort, not 3,000 scans. Reports from Parse,
// Normalize and Merge carry the index; a Report written as a literal has
// nowhere to keep one and is scanned on each call.
func (r Report) Match(path string) (lines map[int]int, reportPath string, ok bool) {
	if lines, ok := r.Files[path]; ok {
		return lines, path, true
	}
	if fileName(path) == "" {
		return nil, "", false
	}
	var best string
	if r.index == nil {
		best, ok = scanSuffix(r.Files, path)
	} else {
		best, ok = r.index.get(r.Files).lookup(path)
	}
	if !ok {
		return nil, "", false
	}
	lines, ok = r.Files[best]
	return lines, best, ok
}

// matchIndex holds a report's suffix index once built. Copies of a Report
// share it (it is behind a pointer), so the index built on the first
// Match serves every later one, from any goroutine.
type matchIndex struct {
	built atomic.Pointer[suffixIndex]
}

// get returns an index of files, building one when there is none yet or
// when the one there was built from another map or before files were added
// (Merge adds files to a report that may have been matched already).
// Files changed in place some other way after a Match, replacing one path
// with another, may be missed.
func (m *matchIndex) get(files map[string]map[int]int) *suffixIndex {
	if s := m.built.Load(); s != nil && s.n == len(files) && sameMap(s.files, files) {
		return s
	}
	s := newSuffixIndex(files)
	m.built.Store(s) // two goroutines may both build; either result is right
	return s
}

// sameMap reports whether a and b are the same map (not equal contents).
// Go cannot compare maps, but their reflect pointers identify them.
func sameMap(a, b map[string]map[int]int) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// suffixIndex is a report's paths sorted by their segments read from the
// end ("internal/shop/charge.go" sorts as charge.go, shop, internal).
// Paths sharing their last k segments then sit next to each other, so the
// paths sharing the longest suffix with a query are found around the
// query's position in that order: a binary search, then a look at the
// neighbours.
type suffixIndex struct {
	files map[string]map[int]int // what it was built from
	n     int                    // len(files) then
	paths []string
}

func newSuffixIndex(files map[string]map[int]int) *suffixIndex {
	s := &suffixIndex{files: files, n: len(files), paths: make([]string, 0, len(files))}
	for p := range files {
		s.paths = append(s.paths, p)
	}
	slices.SortFunc(s.paths, compareFromEnd)
	return s
}

// lookup returns the one path sharing the longest suffix (at least the
// file name) with path, or ok false when there is none or a tie.
func (s *suffixIndex) lookup(path string) (best string, ok bool) {
	ps := s.paths
	i := sort.Search(len(ps), func(j int) bool { return compareFromEnd(ps[j], path) >= 0 })
	shared := func(j int) int {
		if j < 0 || j >= len(ps) {
			return 0
		}
		return sharedSuffix(ps[j], path)
	}
	// The longest shared suffix is at i-1 or i; the paths sharing that
	// much form a run around it, so a tie shows in the next neighbour out.
	left, right := shared(i-1), shared(i)
	switch {
	case left == 0 && right == 0, left == right:
		return "", false
	case left > right:
		if shared(i-2) >= left {
			return "", false
		}
		return ps[i-1], true
	default:
		if shared(i+1) >= right {
			return "", false
		}
		return ps[i], true
	}
}

// scanSuffix is lookup without an index, for reports that cannot keep one.
func scanSuffix(files map[string]map[int]int, path string) (best string, ok bool) {
	most, ties := 0, 0
	for p := range files {
		switch k := sharedSuffix(p, path); {
		case k == 0:
		case k > most:
			best, most, ties = p, k, 1
		case k == most:
			ties++
		}
	}
	return best, most > 0 && ties == 1
}

// segmentsFromEnd walks a path's segments from the last one. Both '/' and
// '\' separate, so Windows paths work unnormalized.
type segmentsFromEnd struct {
	rest string
	done bool
}

func (s *segmentsFromEnd) next() (seg string, ok bool) {
	if s.done {
		return "", false
	}
	i := strings.LastIndexAny(s.rest, `/\`)
	if i < 0 {
		s.done = true
		return s.rest, true
	}
	seg, s.rest = s.rest[i+1:], s.rest[:i]
	return seg, true
}

// compareFromEnd orders paths by their segments from the last; a path
// whose segments run out first sorts first.
func compareFromEnd(a, b string) int {
	sa, sb := segmentsFromEnd{rest: a}, segmentsFromEnd{rest: b}
	for {
		x, okA := sa.next()
		y, okB := sb.next()
		switch {
		case !okA && !okB:
			return 0
		case !okA:
			return -1
		case !okB:
			return 1
		}
		if c := strings.Compare(x, y); c != 0 {
			return c
		}
	}
}

// sharedSuffix counts the whole segments a and b end with in common; 0
// when even the file names differ.
func sharedSuffix(a, b string) int {
	sa, sb := segmentsFromEnd{rest: a}, segmentsFromEnd{rest: b}
	n := 0
	for {
		x, okA := sa.next()
		y, okB := sb.next()
		if !okA || !okB || x != y {
			return n
		}
		n++
	}
}

// fileName is a path's last segment.
func fileName(path string) string {
	s := segmentsFromEnd{rest: path}
	name, _ := s.next()
	return name
}
