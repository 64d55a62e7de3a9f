package command

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	tests := []struct {
		body  string
		want  *Command
		reply string // a substring of the reply; "" with want nil: ignored
	}{
		{"LGTM", nil, ""},
		{"> /guard freeze 2h quoted\nthanks", nil, ""},
		{"```\n/guard freeze 2h in a code block\n```", nil, ""},
		{"/guards freeze", nil, ""},
		{"/guard freeze 2h checkout errors, INC-42", &Command{Kind: Freeze, For: 2 * time.Hour, Reason: "checkout errors, INC-42"}, ""},
		{"Stop!\n  /guard FREEZE 1d12h  db failover  \nmore text", &Command{Kind: Freeze, For: 36 * time.Hour, Reason: "db failover"}, ""},
		{"/guard freeze until Mon 08:00 weekend incident", &Command{Kind: Freeze, Until: "Mon 08:00", Reason: "weekend incident"}, ""},
		{"/guard freeze until 2026-11-23 08:00 db migration", &Command{Kind: Freeze, Until: "2026-11-23 08:00", Reason: "db migration"}, ""},
		{"/guard freeze until 18:00 deploy window", &Command{Kind: Freeze, Until: "18:00", Reason: "deploy window"}, ""},
		{"/guard freeze until 2026-11-23T08:00:00+01:00 x", &Command{Kind: Freeze, Until: "2026-11-23T08:00:00+01:00", Reason: "x"}, ""},
		{"/guard freeze indefinitely outage", &Command{Kind: Freeze, Indefinite: true, Reason: "outage"}, ""},
		{"/guard freeze 90m repo:shop repo:payments checkout", &Command{Kind: Freeze, For: 90 * time.Minute, Repos: []string{"shop", "payments"}, Reason: "checkout"}, ""},
		{"/guard freeze 2h", nil, "needs a reason"},
		{"/guard freeze", nil, "needs how long and why"},
		{"/guard freeze soon outage", nil, "`soon` is not a duration"},
		{"/guard freeze 90d outage", nil, "longer than 31 days"},
		{"/guard freeze until", nil, "`until` needs a time"},
		{"/guard freeze 2h repo:a/b outage", nil, "does not name a repository"},
		{"/guard unfreeze", &Command{Kind: Unfreeze}, ""},
		{"/guard unfreeze #7", &Command{Kind: Unfreeze, ID: 7}, ""},
		{"/guard unfreeze seven", nil, "`seven` is not a freeze number"},
		{"/guard unfreeze 1 2", nil, "Write `/guard unfreeze`"},
		{"/guard help", &Command{Kind: Help}, ""},
		{"/guard", nil, "needs a command"},
		{"/guard deploy`now` please", nil, "`` /guard deploy`now` `` is not a command"},
		{"/guard freeze 2h " + strings.Repeat("x", MaxReason+1), nil, "reason is too long"},
	}
	for _, tt := range tests {
		got := Parse(tt.body)
		switch {
		case tt.want == nil && tt.reply == "":
			if !got.Ignore() {
				t.Errorf("%q: want ignored, got %+v", tt.body, got)
			}
		case tt.want == nil:
			if got.Command != nil || !strings.Contains(got.Reply, tt.reply) {
				t.Errorf("%q: want a reply with %q, got %+v", tt.body, tt.reply, got)
			}
		default:
			if got.Command == nil || !equal(*got.Command, *tt.want) {
				t.Errorf("%q: got %+v (reply %q), want %+v", tt.body, got.Command, got.Reply, tt.want)
			}
		}
	}
}

func equal(a, b Command) bool {
	return a.Kind == b.Kind && a.Rule == b.Rule && a.For == b.For && a.Until == b.Until && a.Indefinite == b.Indefinite &&
		slices.Equal(a.Repos, b.Repos) && a.Reason == b.Reason && a.ID == b.ID
}

func TestResolveUntil(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC) // Fri 17:00 CET
	tests := []struct{ spec, want, err string }{
		{"18:00", "2026-11-27T18:00:00+01:00", ""},
		{"09:00", "2026-11-28T09:00:00+01:00", ""}, // tomorrow
		{"Mon 08:00", "2026-11-30T08:00:00+01:00", ""},
		{"fri 08:00", "2026-12-04T08:00:00+01:00", ""}, // today's has passed
		{"2026-12-01 06:30", "2026-12-01T06:30:00+01:00", ""},
		{"2026-11-28T10:00:00Z", "2026-11-28T11:00:00+01:00", ""},
		{"2026-11-28T10:00Z", "2026-11-28T11:00:00+01:00", ""},
		{"2026-11-01 08:00", "", "already past"},
		{"2028-01-01 00:00", "", "more than a year"},
		{"teatime", "", "is not a time"},
	}
	for _, tt := range tests {
		got, err := ResolveUntil(tt.spec, now, berlin)
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: %v, want error %q", tt.spec, err, tt.err)
			}
		case err != nil || got.In(berlin).Format(time.RFC3339) != tt.want:
			t.Errorf("%s: %v %v, want %s", tt.spec, got.In(berlin).Format(time.RFC3339), err, tt.want)
		}
	}
}

// TestResolveUntilAtClockChanges: a time people type that the clocks show
// twice (when they go back) is its first occurrence, and one they skip
// (when they go forward) is as far after the skip, as in the bundled
// policies' freeze windows, so a freeze and a window written alike end alike.
func TestResolveUntilAtClockChanges(t *testing.T) {
	for _, tt := range []struct {
		zone, now, spec, want string
	}{
		// Berlin, clocks go back at 03:00 CEST on 25 Oct 2026: 02:30 happens twice.
		{"Europe/Berlin", "2026-10-24T12:00:00Z", "2026-10-25 02:30", "2026-10-25T00:30:00Z"},
		{"Europe/Berlin", "2026-10-24T12:00:00Z", "Sun 02:30", "2026-10-25T00:30:00Z"},
		{"Europe/Berlin", "2026-10-24T23:00:00Z", "02:30", "2026-10-25T00:30:00Z"},
		// Berlin, clocks jump from 02:00 to 03:00 on 29 Mar 2026: 02:30 is skipped.
		{"Europe/Berlin", "2026-03-28T12:00:00Z", "2026-03-29 02:30", "2026-03-29T01:30:00Z"},
		// New York, clocks go back at 02:00 EDT on 1 Nov 2026: 01:30 happens twice.
		{"America/New_York", "2026-10-31T12:00:00Z", "2026-11-01 01:30", "2026-11-01T05:30:00Z"},
		// Sydney, clocks go back at 03:00 AEDT on 5 Apr 2026: 02:30 happens twice.
		{"Australia/Sydney", "2026-04-04T00:00:00Z", "2026-04-05 02:30", "2026-04-04T15:30:00Z"},
	} {
		loc, err := time.LoadLocation(tt.zone)
		if err != nil {
			t.Fatal(err)
		}
		now, _ := time.Parse(time.RFC3339, tt.now)
		got, err := ResolveUntil(tt.spec, now, loc)
		if err != nil || got.UTC().Format(time.RFC3339) != tt.want {
			t.Errorf("%s %q at %s: %v %v, want %s", tt.zone, tt.spec, tt.now, got.UTC().Format(time.RFC3339), err, tt.want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for s, want := range map[string]time.Duration{"2h": 2 * time.Hour, "90m": 90 * time.Minute, "1d12h": 36 * time.Hour, "1w": 7 * 24 * time.Hour, "1H30M": 90 * time.Minute} {
		if got, err := ParseDuration(s); err != nil || got != want {
			t.Errorf("%s: %v %v", s, got, err)
		}
	}
	for _, s := range []string{"", "2", "h", "0h", "2x", "-1h", "2h-", "99999999999h"} {
		if _, err := ParseDuration(s); err == nil {
			t.Errorf("%q must not parse", s)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"/guard freeze 2h x", "/guard freeze until Mon 08:00 x", "/guard unfreeze 3", "> /guard help", "```\n/guard\n```", "/guard freeze 1d12h repo:a y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		p := Parse(body)
		if p.Command != nil && p.Reply != "" {
			t.Fatal("a command and a reply at once")
		}
		if p.Command != nil && p.Command.Kind == Freeze {
			c := p.Command
			set := 0
			for _, b := range []bool{c.For > 0, c.Until != "", c.Indefinite} {
				if b {
					set++
				}
			}
			if set != 1 || strings.TrimSpace(c.Reason) == "" || c.For > MaxFreeze {
				t.Fatalf("invalid freeze %+v", c)
			}
		}
		if utf8.ValidString(body) && !utf8.ValidString(p.Reply) {
			t.Fatalf("reply is not valid UTF-8: %q", p.Reply)
		}
		if c := p.Command; c != nil && c.Until != "" {
			ResolveUntil(c.Until, time.Now(), time.UTC) // must not panic
		}
	})
}
