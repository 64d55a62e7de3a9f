package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gobwas/glob"

	"github.com/mergeguard/mergeguard/internal/promotion"
)

// Shape describes what a value inside a setting may be: a list's items, an
// object's keys, a string's format. It lets a rule declare structured
// settings (a list of freeze windows, say) that are checked when the
// configuration is loaded, with the file and line, rather than when a pull
// request is evaluated.
//
//	windows:
//	  default: []
//	  items:
//	    type: object
//	    keys:
//	      start: {type: string, format: weekly_time}
//	      end: {type: string, format: weekly_time}
//	      reason: {type: string}
//	    required: [start, end]
type Shape struct {
	Type     string
	Format   string
	Enum     []string
	Minimum  *float64
	Maximum  *float64
	Items    *Shape
	Keys     map[string]*Shape
	Required []string
	// Span makes the object a stretch of time that must contain an instant.
	Span *Span
}

// Formats a string setting may declare, with what they accept.
var formats = map[string]struct {
	check func(string) error
}{
	// An IANA time zone name, such as Europe/Berlin.
	"timezone": {func(s string) error {
		if s == "" || s == "Local" {
			return fmt.Errorf("%q is not a time zone; use an IANA name such as Europe/Berlin or UTC", s)
		}
		if _, err := time.LoadLocation(s); err != nil {
			return fmt.Errorf("%q is not a time zone; use an IANA name such as Europe/Berlin or UTC", s)
		}
		return nil
	}},
	// A day of the week and a time of day: "Fri 15:00", "friday 9:30".
	"weekly_time": {func(s string) error {
		if _, _, ok := ParseWeeklyTime(s); !ok {
			return fmt.Errorf("%q is not a day and time such as Fri 15:00", s)
		}
		return nil
	}},
	// A date, or a date and time: "2026-12-21", "2026-12-21 18:00".
	"date_time": {func(s string) error {
		if _, err := time.Parse("2006-01-02", s); err == nil {
			return nil
		}
		if _, err := time.Parse("2006-01-02 15:04", s); err == nil {
			return nil
		}
		return fmt.Errorf("%q is not a date such as 2026-12-21, or a date and time such as 2026-12-21 18:00", s)
	}},
	// A path glob: "*" within a folder, "**" across folders.
	"glob": {func(s string) error {
		if s == "" {
			return fmt.Errorf("a glob cannot be empty")
		}
		if _, err := glob.Compile(s, '/'); err != nil {
			return fmt.Errorf("%q is not a valid glob: %v", s, err)
		}
		return nil
	}},
	// A regular expression that reads what a promotion pull request
	// promotes: RE2 syntax, with a named group (?P<version>…) or
	// (?P<sha>…) and no other.
	"promotion_pattern": {func(s string) error {
		if _, err := (promotion.RawConfig{Patterns: []string{s}}).Validate(); err != nil {
			return errors.New(strings.TrimPrefix(err.Error(), "promotion "))
		}
		return nil
	}},
}

var weekdays = []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

var weeklyTime = regexp.MustCompile(`^([A-Za-z]+) +([01]?[0-9]|2[0-3]):([0-5][0-9])$`)

// ParseWeeklyTime reads "Fri 15:00": the day (0 is Sunday, as in Go's
// time.Weekday) and the minute of the day. A day is its three-letter
// abbreviation or its full English name, in any case.
func ParseWeeklyTime(s string) (day, minute int, ok bool) {
	m := weeklyTime.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, 0, false
	}
	name := strings.ToLower(m[1])
	day = slices.IndexFunc(weekdays, func(d string) bool { return name == d || name == d[:3] })
	if day < 0 {
		return 0, 0, false
	}
	var h, mi int
	fmt.Sscanf(m[2]+" "+m[3], "%d %d", &h, &mi)
	return day, h*60 + mi, true
}

func parseShape(raw any, where string) (*Shape, error) {
	d, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s must be an object with a type", where)
	}
	sh := &Shape{}
	sh.Type, _ = d["type"].(string)
	switch sh.Type {
	case TypeInteger, TypeNumber, TypeString, TypeBoolean, TypeList, TypeObject:
	default:
		return nil, fmt.Errorf("%s: type %q: use integer, number, string, boolean, list or object", where, sh.Type)
	}
	sh.Format, _ = d["format"].(string)
	if sh.Format != "" {
		if _, known := formats[sh.Format]; !known || sh.Type != TypeString {
			return nil, fmt.Errorf("%s: format %q: a string may have format %s", where, sh.Format, strings.Join(formatNames(), ", "))
		}
	}
	sh.Minimum, sh.Maximum = number(d["minimum"]), number(d["maximum"])
	if enum, ok := d["enum"].([]any); ok {
		for _, e := range enum {
			sh.Enum = append(sh.Enum, fmt.Sprint(e))
		}
	}
	if items, ok := d["items"]; ok {
		if sh.Type != TypeList {
			return nil, fmt.Errorf("%s: only a list has items", where)
		}
		var err error
		if sh.Items, err = parseShape(items, where+".items"); err != nil {
			return nil, err
		}
	}
	if keys, ok := d["keys"].(map[string]any); ok {
		if sh.Type != TypeObject {
			return nil, fmt.Errorf("%s: only an object has keys", where)
		}
		sh.Keys = map[string]*Shape{}
		for k, v := range keys {
			ks, err := parseShape(v, where+".keys."+k)
			if err != nil {
				return nil, err
			}
			sh.Keys[k] = ks
		}
	}
	if req, ok := d["required"].([]any); ok {
		for _, r := range req {
			name := fmt.Sprint(r)
			if _, declared := sh.Keys[name]; !declared {
				return nil, fmt.Errorf("%s: required key %q is not among its keys", where, name)
			}
			sh.Required = append(sh.Required, name)
		}
	}
	if span, ok := d["span"]; ok {
		var err error
		if sh.Span, err = parseSpan(span, sh, where); err != nil {
			return nil, err
		}
	}
	return sh, nil
}

func formatNames() []string {
	names := make([]string, 0, len(formats))
	for n := range formats {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// validate checks v against the shape. Errors name where in the value the
// problem is ("item 2: start: …").
func (sh *Shape) validate(v any) error {
	if got := typeOf(v); got != sh.Type && !(sh.Type == TypeNumber && got == TypeInteger) {
		return fmt.Errorf("must be %s, not %s", article(sh.Type), article(got))
	}
	if f, ok := toFloat(v); ok {
		if sh.Minimum != nil && f < *sh.Minimum {
			return fmt.Errorf("must be at least %v", *sh.Minimum)
		}
		if sh.Maximum != nil && f > *sh.Maximum {
			return fmt.Errorf("must be at most %v", *sh.Maximum)
		}
	}
	if str, ok := v.(string); ok {
		if len(sh.Enum) > 0 && !slices.Contains(sh.Enum, str) {
			return fmt.Errorf("must be one of %s, not %q", strings.Join(sh.Enum, ", "), str)
		}
		if sh.Format != "" {
			if err := formats[sh.Format].check(str); err != nil {
				return err
			}
		}
	}
	if list, ok := v.([]any); ok && sh.Items != nil {
		for i, e := range list {
			if err := sh.Items.validate(e); err != nil {
				return fmt.Errorf("item %d: %w", i+1, err)
			}
		}
	}
	if obj, ok := v.(map[string]any); ok && sh.Keys != nil {
		for _, k := range sortedKeys(obj) {
			ks, declared := sh.Keys[k]
			if !declared {
				return fmt.Errorf("unknown key %q; the keys are %s", k, strings.Join(sortedKeys(sh.Keys), ", "))
			}
			if err := ks.validate(obj[k]); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		}
		for _, r := range sh.Required {
			if _, ok := obj[r]; !ok {
				return fmt.Errorf("needs %s", r)
			}
		}
	}
	return nil
}
