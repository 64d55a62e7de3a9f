package facts

import (
	"bytes"
	"fmt"

	"github.com/pmezard/go-difflib/difflib"
)

// GitHub sends no patch for a file whose diff is very large. Its added
// lines are still knowable: the file at the base and at the head, diffed
// here. FromContents does that, within bounds: a file larger than
// MaxDiffedBytes or binary at either side stays unknown, and says why.

// MaxDiffedBytes bounds each side of a file diffed from its contents.
// Source files are far smaller; a file this large is generated or data.
const MaxDiffedBytes = 4 << 20

// binarySniff is how much of a file is looked at for a NUL byte, as git
// does to call a file binary.
const binarySniff = 8000

// hunkContext is the unchanged lines around each change in the hunks, as
// in GitHub's patches.
const hunkContext = 3

// maxRefineCells bounds the exact matching of one changed region (its old
// lines times its new lines); see diffLines.
const maxRefineCells = 4_000_000

// TooLarge is the reason a file too large to diff gives; size is -1 when
// it is not known.
func TooLarge(side string, size int) string {
	if size < 0 {
		return fmt.Sprintf("the file is larger at the %s than the %s mergeguard diffs", side, byteSize(MaxDiffedBytes))
	}
	return fmt.Sprintf("the file is %s at the %s, larger than the %s mergeguard diffs", byteSize(size), side, byteSize(MaxDiffedBytes))
}

// FromContents fills in f's hunks and lines from its content at the base
// (nil for an added file) and at the head, for a file GitHub sent no patch
// for. When that is impossible, f.Unreadable says why and its lines stay
// empty: unknown, not absent.
func FromContents(f File, base, head []byte) File {
	switch {
	case len(base) > MaxDiffedBytes:
		f.Unreadable = TooLarge("base", len(base))
	case len(head) > MaxDiffedBytes:
		f.Unreadable = TooLarge("head", len(head))
	case isBinary(base) || isBinary(head):
		f.Unreadable = "the file is binary"
	}
	if f.Unreadable != "" {
		return f
	}
	lines := diffLines(base, head)
	f.Hunks, f.AddedLines, f.RemovedLines = lines.hunks, lines.added, lines.removed
	f.ContentsDiffed, f.Unreadable = true, ""
	return normaliseFile(f)
}

// Unreadable marks a file GitHub sent no patch for whose contents could
// not be diffed, saying why.
func Unreadable(f File, why string) File {
	f.Unreadable = why
	return f
}

func isBinary(b []byte) bool {
	return bytes.IndexByte(b[:min(len(b), binarySniff)], 0) >= 0
}

// fileLines splits content into lines for comparing: each line without its
// "\n", and a last line that lacks one marked, so that it differs from the
// same line with a newline, as in git.
func fileLines(content []byte) (keys []string, texts [][]byte) {
	for len(content) > 0 {
		i := bytes.IndexByte(content, '\n')
		if i < 0 {
			keys = append(keys, string(content)+"\n\\ No newline at end of file")
			texts = append(texts, content)
			break
		}
		keys = append(keys, string(content[:i]))
		texts = append(texts, content[:i])
		content = content[i+1:]
	}
	return keys, texts
}

// op is one run of a diff: old lines [i1, i2) became new lines [j1, j2).
type op struct {
	equal          bool
	i1, i2, j1, j2 int
}

// diffLines diffs two versions of a file by lines. go-difflib finds the
// unchanged runs, treating lines that are very common in the file (blank
// lines, closing braces, "return err") as unable to anchor a match, which
// keeps it fast on large files; each changed region between the anchors
// is then matched again exactly, common lines included, so that a common
// line next to a change is not taken for added. A region too large to
// match exactly (a rewrite of most of a large file) stays as anchored.
func diffLines(base, head []byte) patchLines {
	a, _ := fileLines(base)
	b, texts := fileLines(head)
	var ops []op
	for _, c := range difflib.NewMatcher(a, b).GetOpCodes() {
		o := op{equal: c.Tag == 'e', i1: c.I1, i2: c.I2, j1: c.J1, j2: c.J2}
		if c.Tag != 'r' || (c.I2-c.I1)*(c.J2-c.J1) > maxRefineCells {
			ops = append(ops, o)
			continue
		}
		for _, s := range difflib.NewMatcherWithJunk(a[c.I1:c.I2], b[c.J1:c.J2], false, nil).GetOpCodes() {
			ops = append(ops, op{equal: s.Tag == 'e', i1: c.I1 + s.I1, i2: c.I1 + s.I2, j1: c.J1 + s.J1, j2: c.J1 + s.J2})
		}
	}
	var out patchLines
	for _, o := range ops {
		if o.equal {
			continue
		}
		for i := o.i1; i < o.i2; i++ {
			out.removed = append(out.removed, i+1)
		}
		for j := o.j1; j < o.j2; j++ {
			out.added = append(out.added, newLineFact(j+1, texts[j]))
		}
	}
	out.hunks = hunksOf(ops, len(a), len(b))
	return out
}

// hunksOf groups changes into hunks with hunkContext unchanged lines
// around each, as a unified diff does: changes closer than twice that
// share a hunk.
func hunksOf(ops []op, oldLen, newLen int) []Hunk {
	var (
		hunks []Hunk
		open  bool
		// The open hunk's old and new lines: 0-based, end exclusive.
		oldStart, oldEnd, newStart, newEnd int
	)
	closeHunk := func() {
		oldEnd, newEnd = min(oldEnd+hunkContext, oldLen), min(newEnd+hunkContext, newLen)
		h := Hunk{OldStart: oldStart + 1, OldLines: oldEnd - oldStart, NewStart: newStart + 1, NewLines: newEnd - newStart}
		// A side without lines names the line before it, as diff does.
		if h.OldLines == 0 {
			h.OldStart--
		}
		if h.NewLines == 0 {
			h.NewStart--
		}
		hunks = append(hunks, h)
		open = false
	}
	for _, o := range ops {
		if o.equal {
			continue
		}
		if open && o.i1-oldEnd > 2*hunkContext {
			closeHunk()
		}
		if !open {
			back := min(hunkContext, o.i1, o.j1)
			oldStart, newStart, open = o.i1-back, o.j1-back, true
		}
		oldEnd, newEnd = o.i2, o.j2
	}
	if open {
		closeHunk()
	}
	return hunks
}

// byteSize writes a size for people: 6.5 MiB, 900 KiB, 12 bytes.
func byteSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
