package facts

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParsePatch(t *testing.T) {
	tests := []struct {
		name    string
		patch   string
		added   []Line
		removed []int
		hunks   int
		wantErr string
	}{
		{
			name:    "added and removed lines are numbered in their own file",
			patch:   "@@ -10,3 +10,4 @@ func x() {\n a\n-b\n+c\n+d\n e\n",
			added:   []Line{{Line: 11, Text: "c"}, {Line: 12, Text: "d"}},
			removed: []int{11},
			hunks:   1,
		},
		{
			name:  "two hunks",
			patch: "@@ -1,1 +1,1 @@\n-a\n+b\n@@ -20,1 +20,2 @@\n x\n+y\n",
			added: []Line{{Line: 1, Text: "b"}, {Line: 21, Text: "y"}}, removed: []int{1}, hunks: 2,
		},
		{
			name:  "no newline at end of file",
			patch: "@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+b\n\\ No newline at end of file",
			added: []Line{{Line: 1, Text: "b"}}, removed: []int{1}, hunks: 1,
		},
		{
			name:  "CRLF line endings keep the text without the carriage return",
			patch: "@@ -1,1 +1,1 @@\r\n-a\r\n+b\r\n",
			added: []Line{{Line: 1, Text: "b"}}, removed: []int{1}, hunks: 1,
		},
		{
			name:  "context line with its space stripped",
			patch: "@@ -1,3 +1,3 @@\n a\n\n-b\n+c\n",
			added: []Line{{Line: 3, Text: "c"}}, removed: []int{3}, hunks: 1,
		},
		{
			name:  "new file",
			patch: "@@ -0,0 +1,2 @@\n+package x\n+\n",
			added: []Line{{Line: 1, Text: "package x"}, {Line: 2, Text: ""}}, hunks: 1,
		},
		{
			name:    "hunk shorter than its header says",
			patch:   "@@ -1,5 +1,5 @@\n a\n-b\n+c\n",
			wantErr: "has 2 old and 2 new lines",
		},
		{
			name:    "garbage inside a hunk",
			patch:   "@@ -1,2 +1,2 @@\n a\ngarbage\n-b\n+c\n",
			wantErr: "unreadable patch",
		},
		{
			name:    "no hunk header",
			patch:   "hello\n",
			wantErr: "unreadable patch",
		},
		{
			name:  "empty patch",
			patch: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePatch(tt.patch)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got.hunks) != tt.hunks {
				t.Errorf("%d hunks, want %d", len(got.hunks), tt.hunks)
			}
			if !slices.Equal(got.added, tt.added) {
				t.Errorf("added %+v, want %+v", got.added, tt.added)
			}
			if !slices.Equal(got.removed, tt.removed) {
				t.Errorf("removed %v, want %v", got.removed, tt.removed)
			}
		})
	}
}

func TestLongLinesAreCutOnARuneBoundary(t *testing.T) {
	long := strings.Repeat("é", MaxLineBytes) // 2 bytes each
	got, err := parsePatch("@@ -0,0 +1,1 @@\n+" + long + "\n")
	if err != nil {
		t.Fatal(err)
	}
	l := got.added[0]
	if !l.Truncated || len(l.Text) > MaxLineBytes || !utf8.ValidString(l.Text) {
		t.Fatalf("truncated=%v len=%d valid=%v", l.Truncated, len(l.Text), utf8.ValidString(l.Text))
	}
}

func TestNonUTF8BytesBecomeReplacementCharacters(t *testing.T) {
	got, err := parsePatch("@@ -0,0 +1,1 @@\n+caf\xe9\n")
	if err != nil {
		t.Fatal(err)
	}
	if got.added[0].Text != "caf\uFFFD" {
		t.Fatalf("text %q", got.added[0].Text)
	}
}

func FuzzParsePatch(f *testing.F) {
	for _, seed := range []string{
		"@@ -10,3 +10,4 @@ func x() {\n a\n-b\n+c\n+d\n e\n",
		"@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+b\n\\ No newline at end of file",
		"@@ -1,5 +1,5 @@\n a\n-b\n+c\n",
		"@@ -0,0 +1,2 @@\n+package x\n+\n",
		"@@ -1,1 +1,1 @@\r\n-a\r\n+b\r\n",
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, patch string) {
		got, err := parsePatch(patch)
		if err != nil {
			return
		}
		// Every reported line lies inside a hunk the header announced.
		for _, l := range got.added {
			if l.Line < 0 || len(l.Text) > MaxLineBytes || !utf8.ValidString(l.Text) {
				t.Fatalf("bad added line %+v", l)
			}
		}
		adds, dels := 0, 0
		for _, h := range got.hunks {
			if h.NewLines < 0 || h.OldLines < 0 {
				t.Fatalf("negative hunk size %+v", h)
			}
			adds += h.NewLines
			dels += h.OldLines
		}
		if len(got.added) > adds || len(got.removed) > dels {
			t.Fatalf("%d added/%d removed lines exceed hunk sizes %d/%d", len(got.added), len(got.removed), adds, dels)
		}
	})
}
