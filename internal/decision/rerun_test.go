package decision

import (
	"testing"
	"time"
)

func TestARerunsNoteSaysWhenAndAtWhoseRequest(t *testing.T) {
	at := time.Date(2026, 3, 2, 10, 4, 5, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		r         Rerun
		unchanged bool
		want      string
	}{
		{Rerun{By: "mira", Via: "Re-run"}, true, "_Re-checked at 2026-03-02 09:04:05 UTC, as @mira asked (Re-run): the verdict is unchanged._"},
		{Rerun{By: "mira", Via: "`/guard recheck`"}, false, "_Re-checked at 2026-03-02 09:04:05 UTC, as @mira asked (`/guard recheck`)._"},
		{Rerun{By: "mira"}, false, "_Re-checked at 2026-03-02 09:04:05 UTC, as @mira asked._"},
		{Rerun{Via: "Re-run"}, true, "_Re-checked at 2026-03-02 09:04:05 UTC (Re-run): the verdict is unchanged._"},
	}
	for _, tt := range tests {
		if got := tt.r.Note(at, tt.unchanged); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.r, got, tt.want)
		}
	}
}
