package config

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
)

// Span declares that an object is a stretch of time from one of its keys to
// another, both dates or dates and times (format date_time) in the time zone
// another setting of the rule names:
//
//	dates:
//	  items:
//	    type: object
//	    keys:
//	      start: {type: string, format: date_time}
//	      end: {type: string, format: date_time}
//	    span: {start: start, end: end, timezone: timezone}
//
// A date alone starts at the beginning of that day and ends at the end of
// it. A span that contains no instant — its end before its start, or its
// start skipped by the clocks going forward to after its end — is refused
// when the configuration is loaded: it would freeze nothing.
type Span struct {
	Start, End string
	// Zone is the rule's setting that names the time zone; empty means UTC.
	Zone string
}

func parseSpan(raw any, sh *Shape, where string) (*Span, error) {
	d, ok := raw.(map[string]any)
	if !ok || sh.Type != TypeObject {
		return nil, fmt.Errorf("%s: span must be an object {start, end, timezone} on an object", where)
	}
	sp := &Span{}
	sp.Start, _ = d["start"].(string)
	sp.End, _ = d["end"].(string)
	sp.Zone, _ = d["timezone"].(string)
	for _, k := range []string{sp.Start, sp.End} {
		if ks, declared := sh.Keys[k]; !declared || ks.Format != "date_time" {
			return nil, fmt.Errorf("%s: span: %q must be one of the object's keys, with format date_time", where, k)
		}
	}
	return sp, nil
}

// zones lists the settings the spans in sh take their time zone from.
func (sh *Shape) zones() []string {
	if sh == nil {
		return nil
	}
	var out []string
	if sh.Span != nil {
		out = append(out, sh.Span.Zone)
	}
	out = append(out, sh.Items.zones()...)
	for _, k := range sortedKeys(sh.Keys) {
		out = append(out, sh.Keys[k].zones()...)
	}
	return out
}

// checkSpans refuses a span in v that contains no instant; zone gives the
// location a zone setting names, or false when it is not a time zone (that
// problem is reported with the setting itself).
func (sh *Shape) checkSpans(v any, zone func(setting string) (*time.Location, bool)) error {
	if sh == nil {
		return nil
	}
	switch x := v.(type) {
	case []any:
		for i, e := range x {
			if err := sh.Items.checkSpans(e, zone); err != nil {
				return fmt.Errorf("item %d: %w", i+1, err)
			}
		}
	case map[string]any:
		if sp := sh.Span; sp != nil {
			start, okStart := x[sp.Start].(string)
			end, okEnd := x[sp.End].(string)
			if loc, ok := zone(sp.Zone); ok && okStart && okEnd {
				if err := emptySpan(start, end, loc); err != nil {
					return err
				}
			}
		}
		for _, k := range sortedKeys(sh.Keys) {
			if err := sh.Keys[k].checkSpans(x[k], zone); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		}
	}
	return nil
}

// emptySpan says why the span from start to end contains no instant in
// loc, if it does not.
func emptySpan(start, end string, loc *time.Location) error {
	from, okFrom := spanWall(start, false)
	to, okTo := spanWall(end, true)
	if !okFrom || !okTo {
		return nil // not a date: reported by the format check
	}
	switch {
	case to.Before(from):
		return fmt.Errorf("%s → %s freezes nothing: it ends before it starts; swap the two", start, end)
	case to.Equal(from):
		return fmt.Errorf("%s → %s freezes nothing: it ends when it starts; give an end after the start", start, end)
	}
	if s, e := decision.WallInstant(from, loc), decision.WallInstant(to, loc); !e.After(s) {
		return fmt.Errorf("%s → %s freezes nothing in %s: the clocks skip %s that day, and a skipped time counts from the same distance after the skip, so the freeze would start at %s, not before its end at %s; move the start out of the skipped time",
			start, end, loc, from.Format("15:04"), s.In(loc).Format("15:04 MST"), e.In(loc).Format("15:04 MST"))
	}
	return nil
}

// spanWall reads a date_time value as a wall time (fields in UTC): a date
// alone is the start of that day, or with isEnd the end of it.
func spanWall(s string, isEnd bool) (time.Time, bool) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		if isEnd {
			t = t.AddDate(0, 0, 1)
		}
		return t, true
	}
	t, err := time.Parse("2006-01-02 15:04", s)
	return t, err == nil
}

// checkSpans refuses a value for path that leaves one of the rule's spans
// without an instant: the spans path holds, in the time zone this file or
// the configuration so far sets, or — when path is the time zone — the
// spans the configuration so far holds, in the new zone.
func (c *Config) checkSpans(f *File, path string, val any, s Schema) error {
	id, key, ok := strings.Cut(strings.TrimPrefix(path, "rules."), ".")
	if !ok || !strings.HasPrefix(path, "rules.") {
		return nil
	}
	settings := s.Rules[id].Settings
	value := func(k string) any {
		if k == key {
			return val
		}
		if v, ok := f.Values["rules."+id+"."+k]; ok {
			return v
		}
		return c.Rules[id].Values[k]
	}
	zone := func(k string) (*time.Location, bool) {
		if k == "" {
			return time.UTC, true
		}
		name, ok := value(k).(string)
		if !ok || formats["timezone"].check(name) != nil {
			return nil, false
		}
		loc, err := time.LoadLocation(name)
		return loc, err == nil
	}
	if err := settings[key].Shape.checkSpans(val, zone); err != nil {
		return err
	}
	for _, other := range sortedKeys(settings) {
		if _, inFile := f.Values["rules."+id+"."+other]; other == key || inFile || !slices.Contains(settings[other].Shape.zones(), key) {
			continue // a setting in this file is checked on its own
		}
		if err := settings[other].Shape.checkSpans(value(other), zone); err != nil {
			return fmt.Errorf("%s: %w", other, err)
		}
	}
	return nil
}
