package facts

import (
	"bytes"
	"fmt"
	"math/rand"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func addedNumbers(f File) []int {
	out := []int{}
	for _, l := range f.AddedLines {
		out = append(out, l.Line)
	}
	return out
}

// The expected hunks and lines are what git diff writes for the same two
// versions (git diff --no-index -U3).
func TestFromContentsDiffsLikeGit(t *testing.T) {
	base := "package shop\n\nfunc A() {\n\treturn\n}\n\nfunc B() {\n\treturn\n}\n\nfunc C() {\n\treturn\n}\n\nfunc D() {\n\treturn\n}\n"
	head := "package shop\n\nfunc A() {\n\tlog()\n\treturn\n}\n\nfunc B() {\n\treturn\n}\n\nfunc C2() {\n\treturn\n}\n\nfunc D() {\n\treturn\n}\n\nfunc E() {\n\treturn\n}\n"
	tests := []struct {
		name          string
		path          string
		base, head    []byte
		hunks         []Hunk
		added         []int
		removed       []int
		firstAddedTxt string
	}{
		// @@ -1,6 +1,7 @@ and @@ -8,10 +9,14 @@.
		{"modified", "shop/a.go", []byte(base), []byte(head),
			[]Hunk{{1, 6, 1, 7}, {8, 10, 9, 14}}, []int{4, 12, 19, 20, 21, 22}, []int{11}, "\tlog()"},
		// @@ -0,0 +1,3 @@
		{"added", "shop/new.go", nil, []byte("package shop\n\nvar x = 1\n"),
			[]Hunk{{0, 0, 1, 3}}, []int{1, 2, 3}, []int{}, "package shop"},
		// @@ -1,2 +1,2 @@: the last line gains its newline, so it changed.
		{"newline at the end", "a.txt", []byte("a\nb"), []byte("a\nb\n"),
			[]Hunk{{1, 2, 1, 2}}, []int{2}, []int{2}, "b"},
		{"unchanged", "a.txt", []byte("a\n"), []byte("a\n"), []Hunk{}, []int{}, []int{}, ""},
		// CRLF: the carriage return is part of the line, as git compares
		// them, and not of the text.
		{"CRLF", "a.cs", []byte("a\r\nb\r\n"), []byte("a\r\nc\r\n"),
			[]Hunk{{1, 2, 1, 2}}, []int{2}, []int{2}, "c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := FromContents(File{Path: tt.path, Status: "modified", PatchMissing: true}, tt.base, tt.head)
			if !f.ContentsDiffed || f.Unreadable != "" {
				t.Fatalf("not diffed: %+v", f)
			}
			if !slices.Equal(f.Hunks, tt.hunks) || !slices.Equal(addedNumbers(f), tt.added) || !slices.Equal(f.RemovedLines, tt.removed) {
				t.Errorf("hunks %v added %v removed %v\nwant %v %v %v", f.Hunks, addedNumbers(f), f.RemovedLines, tt.hunks, tt.added, tt.removed)
			}
			if tt.firstAddedTxt != "" && f.AddedLines[0].Text != tt.firstAddedTxt {
				t.Errorf("first added line %q, want %q", f.AddedLines[0].Text, tt.firstAddedTxt)
			}
		})
	}
}

func TestFromContentsSaysWhyItCannot(t *testing.T) {
	big := bytes.Repeat([]byte("x = 1\n"), MaxDiffedBytes/6+1)
	tests := []struct {
		name       string
		base, head []byte
		want       string
	}{
		{"binary at the head", []byte("a\n"), []byte("PNG\x00\x01"), "the file is binary"},
		{"binary at the base", []byte("\x00\x00"), []byte("a\n"), "the file is binary"},
		{"too large at the head", []byte("a\n"), big, "the file is 4.0 MiB at the head, larger than the 4 MiB mergeguard diffs"},
		{"too large at the base", big, []byte("a\n"), "the file is 4.0 MiB at the base, larger than the 4 MiB mergeguard diffs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := FromContents(File{Path: "x", Status: "modified", PatchMissing: true}, tt.base, tt.head)
			if f.ContentsDiffed || f.Unreadable != tt.want || len(f.AddedLines) != 0 {
				t.Errorf("%+v, want unreadable %q", f, tt.want)
			}
		})
	}
}

// A line common in the file (a closing brace, "return err") next to a
// change is not taken for added: only what changed is.
func TestFromContentsKeepsCommonLinesNextToChanges(t *testing.T) {
	var base, head strings.Builder
	for i := range 400 {
		fmt.Fprintf(&base, "func f%d() error {\n\tif err := g(%d); err != nil {\n\t\treturn err\n\t}\n\treturn nil\n}\n", i, i)
		if i%50 == 7 {
			fmt.Fprintf(&head, "func f%d() error {\n\tif err := g(%d); err != nil {\n\t\tlog(err)\n\t\treturn err\n\t}\n\treturn nil\n}\n", i, i)
			continue
		}
		fmt.Fprintf(&head, "func f%d() error {\n\tif err := g(%d); err != nil {\n\t\treturn err\n\t}\n\treturn nil\n}\n", i, i)
	}
	f := FromContents(File{Path: "a.go", Status: "modified", PatchMissing: true}, []byte(base.String()), []byte(head.String()))
	if len(f.AddedLines) != 8 || len(f.RemovedLines) != 0 {
		t.Fatalf("%d added, %d removed; want the 8 log lines only", len(f.AddedLines), len(f.RemovedLines))
	}
	for _, l := range f.AddedLines {
		if l.Text != "\t\tlog(err)" {
			t.Fatalf("line %d %q was taken for added", l.Line, l.Text)
		}
	}
}

// Whatever the edit, the diff describes it: the head is the base with the
// removed lines taken out and the added ones put in, and the hunks cover
// every change.
func TestFromContentsRebuildsTheHead(t *testing.T) {
	r := rand.New(rand.NewSource(23))
	for range 200 {
		var base []string
		for range r.Intn(60) {
			base = append(base, []string{"}", "", "return nil", fmt.Sprintf("x%d()", r.Intn(40))}[r.Intn(4)])
		}
		head := slices.Clone(base)
		for range r.Intn(8) {
			i := r.Intn(len(head) + 1)
			switch r.Intn(3) {
			case 0:
				head = slices.Insert(head, i, fmt.Sprintf("new%d()", r.Intn(5)))
			case 1:
				if i < len(head) {
					head = slices.Delete(head, i, i+1)
				}
			default:
				if i < len(head) {
					head[i] = "}"
				}
			}
		}
		join := func(ls []string) []byte {
			if len(ls) == 0 {
				return nil
			}
			return []byte(strings.Join(ls, "\n") + "\n")
		}
		f := FromContents(File{Path: "a.go", Status: "modified", PatchMissing: true}, join(base), join(head))
		removed := map[int]bool{}
		for _, l := range f.RemovedLines {
			removed[l] = true
		}
		var kept []string
		for i, l := range base {
			if !removed[i+1] {
				kept = append(kept, l)
			}
		}
		rebuilt := slices.Clone(kept)
		for _, a := range f.AddedLines {
			rebuilt = slices.Insert(rebuilt, a.Line-1, a.Text)
		}
		if !reflect.DeepEqual(rebuilt, head) && !(len(rebuilt) == 0 && len(head) == 0) {
			t.Fatalf("base %q\nhead %q\nadded %v removed %v rebuilds %q", base, head, f.AddedLines, f.RemovedLines, rebuilt)
		}
		for _, a := range f.AddedLines {
			if !slices.ContainsFunc(f.Hunks, func(h Hunk) bool { return a.Line >= h.NewStart && a.Line < h.NewStart+h.NewLines }) {
				t.Fatalf("added line %d is in no hunk %v", a.Line, f.Hunks)
			}
		}
	}
}

// BenchmarkFromContents diffs a file near the size bound (4 MiB, about
// 100,000 lines of Go-like code in which a third of the lines are common
// ones: braces, blank lines, return err) after scattered edits to 10% of
// its lines, and after a rewrite of all of it.
func BenchmarkFromContents(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	common := []string{"\t}", "", "\tif err != nil {", "\t\treturn err", "}", "\treturn nil"}
	line := func(i int) string {
		if r.Intn(3) == 0 {
			return common[r.Intn(len(common))]
		}
		return fmt.Sprintf("\tx%d := compute(%d, %d)", r.Intn(1_000_000), i, r.Intn(1000))
	}
	lines := func() []string {
		var out []string
		for i, size := 0, 0; ; i++ {
			l := line(i)
			if size += len(l) + 1; size > MaxDiffedBytes-64 {
				return out
			}
			out = append(out, l)
		}
	}
	base := lines()
	edited := slices.Clone(base)
	for c := 0; c < len(base)/10; c++ {
		i := r.Intn(len(edited))
		switch r.Intn(3) {
		case 0:
			edited[i] = fmt.Sprintf("\tchanged%d()", c)
		case 1:
			edited = slices.Insert(edited, i, fmt.Sprintf("\tadded%d()", c))
		default:
			edited = slices.Delete(edited, i, i+1)
		}
	}
	rewrite := lines()
	join := func(ls []string) []byte { return []byte(strings.Join(ls, "\n") + "\n") }
	for _, bench := range []struct {
		name string
		head []byte
	}{{"scattered", join(edited)}, {"rewrite", join(rewrite)}} {
		b.Run(bench.name, func(b *testing.B) {
			old := join(base)
			b.SetBytes(int64(len(old) + len(bench.head)))
			b.ReportAllocs()
			for b.Loop() {
				f := FromContents(File{Path: "a.go", Status: "modified", PatchMissing: true}, old, bench.head)
				if !f.ContentsDiffed {
					b.Fatal(f.Unreadable)
				}
			}
		})
	}
}
