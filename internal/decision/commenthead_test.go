package decision

import (
	"slices"
	"testing"
	"time"
)

func TestHeadWhenWritten(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	// seen: GitHub's updated_at at second from, received 300ms later.
	seen := func(sha string, from int) HeadSighting {
		return HeadSighting{SHA: sha, From: at(from), To: at(from).Add(300 * time.Millisecond)}
	}
	opened := func(sha string, from int) HeadSighting {
		s := seen(sha, from)
		s.Opened = true
		return s
	}
	tests := []struct {
		name       string
		seen       []HeadSighting
		current    string
		written    int
		sha        string
		candidates []string
	}{
		{"opened and commented at once", []HeadSighting{opened("A", 0)}, "A", 0, "A", nil},
		{"head unchanged for a while", []HeadSighting{opened("A", 0), seen("A", 30)}, "A", 600, "A", nil},
		{"pushed long before the comment", []HeadSighting{opened("A", 0), seen("B", 100)}, "B", 600, "B", nil},
		// The reproduction: written on A, B pushed before the command ran.
		{"pushed after the comment", []HeadSighting{opened("A", 0), seen("B", 700)}, "B", 600, "", []string{"A", "B"}},
		{"pushed in the same second as the comment", []HeadSighting{opened("A", 0), seen("B", 600)}, "B", 600, "", []string{"A", "B"}},
		{"pushed seconds before the comment", []HeadSighting{opened("A", 0), seen("B", 595)}, "B", 600, "", []string{"A", "B"}},
		{"pushed just outside the settle period", []HeadSighting{opened("A", 0), seen("B", 589)}, "B", 600, "B", nil},
		{"A seen after the comment, then B pushed", []HeadSighting{opened("A", 0), seen("A", 605), seen("B", 700)}, "B", 600, "A", nil},
		{"A seen in the comment's second is not after it", []HeadSighting{opened("A", 0), seen("A", 600), seen("B", 700)}, "B", 600, "", []string{"A", "B"}},
		{"pushed to B and back to A around the comment", []HeadSighting{opened("A", 0), seen("B", 598), seen("A", 620)}, "A", 600, "", []string{"B", "A"}},
		{"B and back to A long before", []HeadSighting{opened("A", 0), seen("B", 100), seen("A", 200)}, "A", 600, "A", nil},
		{"B seen later does not matter once A is seen after the comment", []HeadSighting{opened("A", 0), seen("A", 610), seen("B", 620), seen("A", 630)}, "A", 600, "A", nil},
		{"nothing seen before the comment", []HeadSighting{seen("C", 650)}, "C", 600, "", []string{"C"}},
		{"nothing seen at all", nil, "C", 600, "", []string{"C"}},
		{"only the head now, seen long ago", []HeadSighting{seen("C", 10)}, "C", 600, "C", nil},
		{"a head received late is not taken as early", []HeadSighting{opened("A", 0), {SHA: "B", From: at(500), To: at(595)}}, "B", 600, "", []string{"A", "B"}},
		{"three heads around the comment", []HeadSighting{opened("A", 0), seen("B", 598), seen("C", 640)}, "C", 600, "", []string{"A", "B", "C"}},
		{"no comment time", []HeadSighting{opened("A", 0)}, "A", -1, "", []string{"A"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			written := at(tt.written)
			if tt.written < 0 {
				written = time.Time{}
			}
			// The order sightings are given in does not matter.
			for _, order := range [][]HeadSighting{tt.seen, reversed(tt.seen)} {
				got := HeadWhenWritten(order, tt.current, written)
				if got.SHA != tt.sha || !slices.Equal(got.Candidates, tt.candidates) {
					t.Fatalf("got %+v, want head %q, candidates %v", got, tt.sha, tt.candidates)
				}
			}
		})
	}
}

func reversed(s []HeadSighting) []HeadSighting {
	r := slices.Clone(s)
	slices.Reverse(r)
	return r
}
