package config

import (
	"strings"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
)

func freezeSchema(t *testing.T) Schema {
	t.Helper()
	settings, err := ParseSettings("change_freeze", map[string]any{
		"timezone": map[string]any{"default": "UTC", "format": "timezone"},
		"dates": map[string]any{"default": []any{}, "type": "list", "items": map[string]any{
			"type": "object", "required": []any{"start", "end"},
			"keys": map[string]any{
				"start":  map[string]any{"type": "string", "format": "date_time"},
				"end":    map[string]any{"type": "string", "format": "date_time"},
				"reason": map[string]any{"type": "string"},
			},
			"span": map[string]any{"start": "start", "end": "end", "timezone": "timezone"},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return Schema{Rules: map[string]RuleSchema{"change_freeze": {ID: "change_freeze", Settings: settings}}}
}

func TestSpansThatFreezeNothingAreRefusedWhereTheyAreWritten(t *testing.T) {
	tests := []struct {
		name, org, repo string
		// want is "" for a valid configuration; line is where the problem
		// is reported, in the repository's file when repo is set.
		want string
		line int
	}{
		{"whole days", "timezone: Europe/Berlin\n    dates: [{start: 2026-12-21, end: 2027-01-04}]", "", "", 0},
		{"one whole day", "dates: [{start: 2026-12-05, end: 2026-12-05}]", "", "", 0},
		{"reversed dates", "dates:\n      - {start: 2026-12-01, end: 2026-12-02}\n      - {start: 2026-12-10, end: 2026-12-05}", "",
			"mergeguard/config.yaml:3: rules.change_freeze.dates: item 2: 2026-12-10 → 2026-12-05 freezes nothing: it ends before it starts; swap the two", 0},
		{"reversed times on one day", "dates: [{start: 2026-12-05 18:00, end: 2026-12-05 06:00}]", "", "ends before it starts", 3},
		{"no time between", "dates: [{start: 2026-12-05 18:00, end: 2026-12-05 18:00}]", "", "ends when it starts", 3},
		{"a time up to the end of that day", "dates: [{start: 2026-12-05 18:00, end: 2026-12-05}]", "", "", 0},
		{"start skipped past the end", "timezone: Europe/Berlin\n    dates: [{start: 2026-03-29 02:30, end: 2026-03-29 03:10, reason: migration}]", "",
			"mergeguard/config.yaml:4: rules.change_freeze.dates: item 1: 2026-03-29 02:30 → 2026-03-29 03:10 freezes nothing in Europe/Berlin: the clocks skip 02:30 that day, and a skipped time counts from the same distance after the skip, so the freeze would start at 03:30 CEST, not before its end at 03:10 CEST; move the start out of the skipped time", 0},
		{"start skipped onto the end", "timezone: America/New_York\n    dates: [{start: 2026-03-08 02:15, end: 2026-03-08 03:15}]", "", "would start at 03:15 EDT, not before its end at 03:15 EDT", 4},
		{"start skipped, end later", "timezone: Europe/Berlin\n    dates: [{start: 2026-03-29 02:30, end: 2026-03-29 04:00}]", "", "", 0},
		{"the same times elsewhere", "timezone: Asia/Kolkata\n    dates: [{start: 2026-03-29 02:30, end: 2026-03-29 03:10}]", "", "", 0},
		{"the repository's zone empties the organization's span", "dates: [{start: 2026-03-29 02:30, end: 2026-03-29 03:10}]", "timezone: Europe/Berlin",
			".github/mergeguard.yaml:3: rules.change_freeze.timezone: dates: item 1: 2026-03-29 02:30 → 2026-03-29 03:10 freezes nothing in Europe/Berlin", 0},
		{"the repository's span in the organization's zone", "timezone: Europe/Berlin", "dates: [{start: 2026-03-29 02:30, end: 2026-03-29 03:10}]",
			".github/mergeguard.yaml:3: rules.change_freeze.dates: item 1:", 0},
		{"the repository moves both", "dates: [{start: 2026-03-29 02:30, end: 2026-03-29 03:10}]", "timezone: Europe/Berlin\n    dates: [{start: 2026-03-29 02:30, end: 2026-03-29 04:10}]", "", 0},
		{"a zone that is not one is reported once", "timezone: Mars/Olympus\n    dates: [{start: 2026-03-29 02:30, end: 2026-03-29 03:10}]", "", "is not a time zone", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org := parse(t, OrgFile, "rules:\n  change_freeze:\n    "+tt.org+"\n")
			var repo *File
			if tt.repo != "" {
				repo = parse(t, RepoFile, "rules:\n  change_freeze:\n    "+tt.repo+"\n")
			}
			_, err := Resolve(org, repo, freezeSchema(t))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want == "":
			case err == nil:
				t.Fatalf("accepted; want %q", tt.want)
			case !strings.Contains(err.Error(), tt.want) || len(err.(*Error).Problems) != 1:
				t.Fatalf("error\n%v\nwant one problem containing\n%s", err, tt.want)
			case tt.line > 0 && err.(*Error).Problems[0].Line != tt.line:
				t.Fatalf("problem on line %d, want %d: %v", err.(*Error).Problems[0].Line, tt.line, err)
			}
		})
	}
}

func TestARepositorySpanThatFreezesNothingIsDroppedAlone(t *testing.T) {
	org := parse(t, OrgFile, "rules:\n  change_freeze:\n    dates: [{start: 2026-12-21, end: 2027-01-04}]\n")
	repo := parse(t, RepoFile, "rules:\n  change_freeze:\n    dates: [{start: 2026-12-21, end: 2027-01-04}, {start: 2027-02-10, end: 2027-02-01}]\n    timezone: Europe/Berlin\n")
	c, problems, err := ResolvePartial(org, repo, freezeSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 1 || problems[0].Line != 3 || !strings.Contains(problems[0].Message, "item 2: 2027-02-10 → 2027-02-01 freezes nothing") {
		t.Fatalf("problems %+v", problems)
	}
	values := c.Rules["change_freeze"].Values
	if len(values["dates"].([]any)) != 1 || values["timezone"] != "Europe/Berlin" {
		t.Fatalf("the organization's dates and the repository's zone must apply: %+v", values)
	}
}

func TestSpanDeclarationsAreChecked(t *testing.T) {
	keys := map[string]any{
		"start": map[string]any{"type": "string", "format": "date_time"},
		"end":   map[string]any{"type": "string", "format": "date_time"},
		"note":  map[string]any{"type": "string"},
	}
	item := func(span any) map[string]any {
		return map[string]any{"default": []any{}, "type": "list", "items": map[string]any{"type": "object", "keys": keys, "span": span}}
	}
	for name, tt := range map[string]struct {
		decl map[string]any
		want string
	}{
		"not an object":         {item("start"), "span must be an object"},
		"a key that is no date": {item(map[string]any{"start": "note", "end": "end"}), `"note" must be one of the object's keys, with format date_time`},
		"an undeclared key":     {item(map[string]any{"start": "start", "end": "until"}), `"until" must be one of`},
		"no such zone setting":  {item(map[string]any{"start": "start", "end": "end", "timezone": "zone"}), `timezone "zone" must be a setting of the rule with format timezone`},
		"a zone that is no zone": {map[string]any{"zone": map[string]any{"default": "x"}, "dates": item(map[string]any{"start": "start", "end": "end", "timezone": "zone"})},
			`timezone "zone" must be a setting`},
	} {
		decl := tt.decl
		if _, ok := decl["default"]; ok {
			decl = map[string]any{"dates": decl}
		}
		if _, err := ParseSettings("r", decl); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", name, err, tt.want)
		}
	}
	if _, err := ParseSettings("r", map[string]any{"dates": item(map[string]any{"start": "start", "end": "end"})}); err != nil {
		t.Errorf("a span in UTC: %v", err)
	}
}

// TestWallInstant uses the cases lib_test.rego gives lib.instant: the
// configuration and the rules read wall times alike.
func TestWallInstant(t *testing.T) {
	tests := []struct {
		zone, wall, want string
	}{
		{"Europe/Berlin", "2026-07-01 12:00", "2026-07-01T10:00:00Z"},
		{"Europe/Berlin", "2026-03-29 02:30", "2026-03-29T01:30:00Z"},    // skipped: 03:30 CEST
		{"Europe/Berlin", "2026-10-25 02:30", "2026-10-25T00:30:00Z"},    // twice: the first, in CEST
		{"America/New_York", "2026-11-01 01:30", "2026-11-01T05:30:00Z"}, // twice: the first, in EDT
		{"America/New_York", "2026-03-08 02:30", "2026-03-08T07:30:00Z"}, // skipped: 03:30 EDT
		{"Australia/Sydney", "2026-04-05 02:30", "2026-04-04T15:30:00Z"}, // twice: the first, in AEDT
		{"Australia/Sydney", "2026-10-04 02:30", "2026-10-03T16:30:00Z"}, // skipped: 03:30 AEDT
		{"Pacific/Chatham", "2026-09-27 03:00", "2026-09-26T14:15:00Z"},  // skipped (02:45 → 03:45): 04:00 +1345
		{"America/St_Johns", "2026-11-01 01:30", "2026-11-01T04:00:00Z"}, // twice: the first, in NDT
		{"Asia/Kolkata", "2026-03-29 02:30", "2026-03-28T21:00:00Z"},
		{"Africa/Monrovia", "1971-06-01 12:00", "1971-06-01T12:44:30Z"}, // -00:44:30
	}
	for _, tt := range tests {
		loc, err := time.LoadLocation(tt.zone)
		if err != nil {
			t.Fatal(err)
		}
		wall, _ := time.Parse("2006-01-02 15:04", tt.wall)
		if got := decision.WallInstant(wall, loc).UTC().Format(time.RFC3339); got != tt.want {
			t.Errorf("%s in %s: %s, want %s", tt.wall, tt.zone, got, tt.want)
		}
	}
}
