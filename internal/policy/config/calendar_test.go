package config

import (
	"strings"
	"testing"
	"time"
)

func TestChangeFreezeCalendar(t *testing.T) {
	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	window := func(start, end, reason string) map[string]any {
		return map[string]any{"start": start, "end": end, "reason": reason}
	}
	for _, tt := range []struct {
		name     string
		values   map[string]any
		from, to string
		want     []string // start/end in UTC, and weekly or dates
	}{
		{
			name:   "a weekend in Berlin across the start of summer time",
			values: map[string]any{"timezone": "Europe/Berlin", "windows": []any{window("Fri 15:00", "Mon 08:00", "weekend")}},
			from:   "2026-03-25T00:00:00Z", to: "2026-04-01T00:00:00Z",
			want: []string{"2026-03-27T14:00:00Z 2026-03-30T06:00:00Z weekly weekend"},
		},
		{
			name:   "a window still running when the range starts",
			values: map[string]any{"windows": []any{window("Fri 15:00", "Mon 08:00", "weekend")}},
			from:   "2026-03-29T12:00:00Z", to: "2026-03-30T00:00:00Z",
			want: []string{"2026-03-27T15:00:00Z 2026-03-30T08:00:00Z weekly weekend"},
		},
		{
			name:   "a skipped start counts from the same distance after the skip",
			values: map[string]any{"timezone": "Europe/Berlin", "windows": []any{window("Sun 02:30", "Sun 04:00", "maintenance")}},
			from:   "2026-03-28T00:00:00Z", to: "2026-03-30T00:00:00Z",
			want: []string{"2026-03-29T01:30:00Z 2026-03-29T02:00:00Z weekly maintenance"},
		},
		{
			name:   "an end equal to the start freezes the whole week",
			values: map[string]any{"windows": []any{window("Mon 00:00", "Mon 00:00", "release cut")}},
			from:   "2026-03-24T00:00:00Z", to: "2026-03-31T00:00:00Z",
			want: []string{
				"2026-03-23T00:00:00Z 2026-03-30T00:00:00Z weekly release cut",
				"2026-03-30T00:00:00Z 2026-04-06T00:00:00Z weekly release cut",
			},
		},
		{
			name: "holidays are whole days in the zone, both included; a time is that moment",
			values: map[string]any{"timezone": "Europe/Berlin", "dates": []any{
				window("2026-12-21", "2027-01-04", "holidays"),
				window("2026-12-18 18:00", "2026-12-19", "party"),
			}},
			from: "2026-12-01T00:00:00Z", to: "2027-02-01T00:00:00Z",
			want: []string{
				"2026-12-18T17:00:00Z 2026-12-19T23:00:00Z dates party",
				"2026-12-20T23:00:00Z 2027-01-04T23:00:00Z dates holidays",
			},
		},
		{
			name:   "dates outside the range are left out",
			values: map[string]any{"dates": []any{window("2026-12-21", "2027-01-04", "holidays")}},
			from:   "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z",
		},
		{name: "nothing configured", values: map[string]any{"timezone": "UTC", "windows": []any{}, "dates": []any{}}, from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ChangeFreezeCalendar(tt.values)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Between(utc(tt.from), utc(tt.to))
			if err != nil {
				t.Fatal(err)
			}
			var lines []string
			for _, o := range got {
				kind := "dates"
				if o.Weekly {
					kind = "weekly"
				}
				lines = append(lines, o.Start.UTC().Format(time.RFC3339)+" "+o.End.UTC().Format(time.RFC3339)+" "+kind+" "+o.Reason)
			}
			if strings.Join(lines, "\n") != strings.Join(tt.want, "\n") {
				t.Fatalf("got\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestChangeFreezeCalendarRefusesWhatDoesNotRead(t *testing.T) {
	for _, values := range []map[string]any{
		{"timezone": "Mars/Olympus"},
		{"windows": "weekends"},
		{"windows": []any{map[string]any{"start": "Caturday 15:00", "end": "Mon 08:00"}}},
		{"dates": []any{"2026-12-24"}},
		{"dates": []any{map[string]any{"start": "Christmas", "end": "2026-12-26"}}},
	} {
		if _, err := ChangeFreezeCalendar(values); err == nil {
			t.Errorf("%v was read as a calendar", values)
		}
	}
	c, _ := ChangeFreezeCalendar(map[string]any{"windows": []any{map[string]any{"start": "Fri 15:00", "end": "Mon 08:00"}}})
	if _, err := c.Between(time.Unix(0, 0), time.Unix(0, 0).AddDate(100, 0, 0)); err == nil {
		t.Error("a century of weekly windows was returned")
	}
}
