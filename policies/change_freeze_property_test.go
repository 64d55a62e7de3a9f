package policies_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/facts"
	"github.com/mergeguard/mergeguard/internal/policy"
	policyconfig "github.com/mergeguard/mergeguard/internal/policy/config"
)

// TestChangeFreezeAgreesWithABruteForceCalendar compares the change-freeze
// rule with the reference calendar (change_freeze_reference_test.go) on
// generated configurations and instants: the verdict, when merges reopen
// (or that they never do, and what ends the freeze), that the reopening is
// a re-evaluation time, and that every re-evaluation time is an instant
// where a freeze starts, ends or is announced. Instants sit at the edges of
// freezes (exactly, and a second or a minute either side) and around the
// changes of the clocks, inside skipped and repeated hours.

var freezeZones = []string{
	"Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata",
	"Pacific/Chatham", "America/St_Johns", "Europe/London", "UTC",
}

const (
	freezeConfigs  = 200
	freezeInstants = 15 // per configuration
	weekMinutes    = 7 * 24 * 60
	whenLayout     = "Mon 2 Jan 2006 15:04 MST"
	dateLayout     = "2006-01-02"
	dateTimeLayout = "2006-01-02 15:04"
)

func genWallMinute(r *rand.Rand) int {
	switch r.IntN(10) {
	case 0, 1, 2: // around the hours clocks change
		return 60 + r.IntN(180)
	case 3:
		return r.IntN(24 * 60)
	default:
		return r.IntN(96) * 15
	}
}

func weeklyText(day, minute int) string {
	return fmt.Sprintf("%s %02d:%02d", time.Weekday(day).String()[:3], minute/60, minute%60)
}

func newWindow(startDay, startMinute, endDay, endMinute int) refWindow {
	length := ((endDay*1440+endMinute-startDay*1440-startMinute)%weekMinutes + weekMinutes) % weekMinutes
	return refWindow{
		start: weeklyText(startDay, startMinute), end: weeklyText(endDay, endMinute),
		day: startDay, minute: startMinute, length: length,
	}
}

// transitions lists the zone's offset changes in 2026 and 2027.
func transitions(loc *time.Location) []time.Time {
	var out []time.Time
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for {
		_, end := t.In(loc).ZoneBounds()
		if end.IsZero() || end.Year() > 2027 {
			return out
		}
		out = append(out, end)
		t = end
	}
}

func genCase(r *rand.Rand) (freezeCase, time.Time) {
	zone := freezeZones[r.IntN(len(freezeZones))]
	loc, err := time.LoadLocation(zone)
	if err != nil {
		panic(err)
	}
	c := freezeCase{zone: zone, loc: loc, notice: time.Duration(r.IntN(9)) * time.Hour}
	// A base instant: a change of the clocks, or any time in 2026-2027.
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.Int64N(int64(2 * 365 * 24 * time.Hour))))
	if ts := transitions(loc); len(ts) > 0 && r.IntN(3) > 0 {
		base = ts[r.IntN(len(ts))]
	}
	switch r.IntN(20) {
	case 0: // the same start and end: the whole week
		d, m := r.IntN(7), genWallMinute(r)
		c.windows = append(c.windows, newWindow(d, m, d, m))
	case 1: // windows that cover the week together
		cuts := []int{r.IntN(weekMinutes)}
		for range r.IntN(3) {
			cuts = append(cuts, r.IntN(weekMinutes))
		}
		slices.Sort(cuts)
		cuts = slices.Compact(cuts)
		for i, from := range cuts {
			to := cuts[(i+1)%len(cuts)]
			c.windows = append(c.windows, newWindow(from/1440, from%1440, to/1440, to%1440))
		}
	default:
		for range r.IntN(4) {
			day := r.IntN(7)
			c.windows = append(c.windows, newWindow(day, genWallMinute(r), (day+r.IntN(4))%7, genWallMinute(r)))
		}
	}
	baseDay := wallOf(base, loc).Truncate(24 * time.Hour)
	for range r.IntN(4) {
		start := baseDay.AddDate(0, 0, r.IntN(41)-20)
		var d refDate
		switch r.IntN(5) {
		case 0: // dates and times, hours apart
			from := start.Add(time.Duration(genWallMinute(r)) * time.Minute)
			d = refDate{from.Format(dateTimeLayout), from.Add(time.Duration(r.IntN(48*60)) * time.Minute).Format(dateTimeLayout)}
		case 1: // a start the clocks may skip, a little before its end
			from := baseDay.Add(time.Duration(60+r.IntN(150)) * time.Minute)
			d = refDate{from.Format(dateTimeLayout), from.Add(time.Duration(5+r.IntN(60)) * time.Minute).Format(dateTimeLayout)}
		case 2: // reversed
			d = refDate{start.Format(dateLayout), start.AddDate(0, 0, -1-r.IntN(5)).Format(dateLayout)}
		default: // days to weeks
			d = refDate{start.Format(dateLayout), start.AddDate(0, 0, r.IntN(30)).Format(dateLayout)}
		}
		c.dates = append(c.dates, d)
	}
	if r.IntN(5) == 0 {
		f := refIncident{start: base.Add(time.Duration(r.IntN(14*24)-7*24) * time.Hour)}
		if r.IntN(3) > 0 {
			f.end = f.start.Add(time.Duration(1+r.IntN(7*24*60)) * time.Minute)
		}
		c.incidents = append(c.incidents, f)
	}
	return c, base
}

// instants picks when to evaluate: at, just before and just after the
// edges of freezes and the changes of the clocks near base, and anywhere
// near base.
func (c freezeCase) instants(r *rand.Rand, base time.Time) []time.Time {
	var edges []time.Time
	for _, w := range c.windows {
		if w.length > 0 {
			for _, iv := range w.occurrences(base, c.loc, 21, 21) {
				edges = append(edges, iv.start, iv.end)
			}
		}
	}
	for _, d := range c.dates {
		iv := d.interval(c.loc)
		edges = append(edges, iv.start, iv.end)
	}
	for _, f := range c.incidents {
		edges = append(edges, f.start, f.end)
	}
	for _, t := range transitions(c.loc) {
		if d := t.Sub(base); d > -30*24*time.Hour && d < 30*24*time.Hour {
			edges = append(edges, t, t.Add(-30*time.Minute), t.Add(30*time.Minute)) // inside an overlap
		}
	}
	nudges := []time.Duration{0, -time.Second, time.Second, -time.Minute, time.Minute}
	out := make([]time.Time, 0, freezeInstants)
	for len(out) < freezeInstants {
		if len(edges) > 0 && r.IntN(4) > 0 {
			if e := edges[r.IntN(len(edges))]; !e.IsZero() {
				out = append(out, e.Add(nudges[r.IntN(len(nudges))]))
			}
			continue
		}
		out = append(out, base.Add(time.Duration(r.Int64N(int64(42*24*time.Hour)))-14*24*time.Hour).Truncate(time.Second))
	}
	return out
}

func (c freezeCase) configJSON() []byte {
	windows := []map[string]string{}
	for i, w := range c.windows {
		windows = append(windows, map[string]string{"start": w.start, "end": w.end, "reason": fmt.Sprintf("window %d", i+1)})
	}
	dates := []map[string]string{}
	for i, d := range c.dates {
		dates = append(dates, map[string]string{"start": d.start, "end": d.end, "reason": fmt.Sprintf("dates %d", i+1)})
	}
	raw, err := json.Marshal(map[string]any{"rules": map[string]any{"change_freeze": map[string]any{
		"timezone": c.zone, "windows": windows, "dates": dates, "notice_hours": int(c.notice / time.Hour),
	}}})
	if err != nil {
		panic(err)
	}
	return raw
}

func TestChangeFreezeAgreesWithABruteForceCalendar(t *testing.T) {
	ctx := context.Background()
	_, compiled := bundled(t)

	// The policy is compiled once and bound to each configuration once, as
	// the server does; each probe evaluates the rule at one instant.
	r := rand.New(rand.NewPCG(19, 2026))
	var probes []freezeProbe
	refused := 0
	for range freezeConfigs {
		c, base := genCase(r)
		engine, err := compiled.Engine(ctx, c.resolve(t, compiled.Schema(), &refused))
		if err != nil {
			t.Fatal(err)
		}
		for _, now := range c.instants(r, base) {
			probes = append(probes, freezeProbe{c: c, engine: engine, now: now})
		}
	}

	// Evaluating the rule is most of the time: spread it over the CPUs.
	var (
		next, frozen, never atomic.Int64
		mu                  sync.Mutex
		failure             string
		wg                  sync.WaitGroup
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(probes) {
					return
				}
				isFrozen, isNever, msg := probes[i].check(ctx)
				if isFrozen {
					frozen.Add(1)
				}
				if isNever {
					never.Add(1)
				}
				if msg != "" {
					mu.Lock()
					if failure == "" {
						failure = msg
					}
					mu.Unlock()
					next.Store(int64(len(probes))) // stop the others
				}
			}
		}()
	}
	wg.Wait()
	if failure != "" {
		t.Fatal(failure)
	}
	cases := len(probes)
	t.Logf("%d cases: %d frozen, %d with no end; %d configurations refused and corrected", cases, frozen.Load(), never.Load(), refused)
	if int(frozen.Load()) < cases/4 || int(never.Load()) < cases/50 || refused < freezeConfigs/10 {
		t.Errorf("the generated cases miss some kinds: %d of %d frozen, %d with no end, %d refused", frozen.Load(), cases, never.Load(), refused)
	}
}

// freezeProbe is one configuration evaluated at one instant.
type freezeProbe struct {
	c      freezeCase
	engine *policy.Engine
	now    time.Time
}

// check evaluates the rule and compares it with the reference; msg says
// how they differ.
func (p freezeProbe) check(ctx context.Context) (isFrozen, isNever bool, msg string) {
	c, now := p.c, p.now
	in := map[string]any{
		"time":         map[string]any{"ns": now.UnixNano()},
		"pull_request": map[string]any{"title": "Add refunds", "labels": []any{}, "base": map[string]any{"ref": "main"}, "commits": []any{}, "commit_count": 1},
		"repository":   map[string]any{"owner": "acme", "name": "shop", "default_branch": "main"},
		"files":        []any{map[string]any{"path": "src/refunds.go"}},
		"reviews":      []any{},
		"teams":        map[string]any{},
		"freezes":      c.inputFreezes(),
	}
	results, err := p.engine.Evaluate(ctx, in, now, "change_freeze")
	if err != nil || len(results) != 1 || results[0].Err != "" {
		return false, false, fmt.Sprintf("%s at %s: %v %+v", c, now, err, results)
	}
	res := results[0]
	var denials []string
	for _, d := range res.Denials {
		denials = append(denials, d.Message)
	}

	reopen, isFrozen, isNever := c.reopen(now, false)
	nextChange, changes := c.nextChange(now)
	fail := func(format string, args ...any) (bool, bool, string) {
		recheck := "none"
		if res.RecheckAt != nil {
			recheck = res.RecheckAt.In(c.loc).Format(time.RFC3339)
		}
		return isFrozen, isNever, fmt.Sprintf("%s\nat %s (%s):\n%s\nreference: frozen %v, reopens %s, never %v, next change %s\ndenials: %q\nre-evaluation: %s",
			c, now.UTC().Format(time.RFC3339Nano), now.In(c.loc).Format(time.RFC3339), fmt.Sprintf(format, args...),
			isFrozen, reopen.In(c.loc).Format(time.RFC3339), isNever, nextChange.In(c.loc).Format(time.RFC3339), denials, recheck)
	}
	if isFrozen != (len(denials) > 0) {
		return fail("the verdict differs")
	}
	if isFrozen {
		want := c.expectedUntil(now, reopen, isNever)
		for _, d := range denials {
			if !strings.HasPrefix(d, "Merges into `main` are frozen until "+want+": ") {
				return fail("the denial should say frozen until %s", want)
			}
		}
	}
	// The server looks again exactly when something next starts, ends or
	// is announced: never later (a flip would be missed), never for
	// nothing.
	switch {
	case !changes && res.RecheckAt != nil:
		return fail("nothing changes, yet a re-evaluation is asked for")
	case changes && (res.RecheckAt == nil || !res.RecheckAt.Equal(nextChange)):
		return fail("the re-evaluation should be at the next change")
	}
	return isFrozen, isNever, ""
}

// expectedUntil is what the denial says after "frozen until".
func (c freezeCase) expectedUntil(now, reopen time.Time, never bool) string {
	if !never {
		return fmt.Sprintf("%s (%s)", reopen.In(c.loc).Format(whenLayout), c.zone)
	}
	const unfreeze = "someone runs `/guard unfreeze` in the policy repository"
	const windows = "the configuration changes (the weekly windows in rules.change_freeze.windows leave no time in the week open, so this freeze has no end)"
	_, _, windowsNever := c.reopen(now, true)
	incident := slices.ContainsFunc(c.incidents, func(f refIncident) bool { return f.end.IsZero() && f.interval().covers(now) })
	switch {
	case !windowsNever:
		return unfreeze
	case incident:
		return unfreeze + " and " + windows
	}
	return windows
}

// resolve loads the case's configuration through the bundled rules'
// declarations. A date window that freezes nothing must be refused, and
// only such a one (the first is named); they are then left out.
func (c *freezeCase) resolve(t *testing.T, schema policyconfig.Schema, refused *int) policyconfig.Config {
	t.Helper()
	var empty []int
	for i, d := range c.dates {
		if iv := d.interval(c.loc); !iv.end.After(iv.start) {
			empty = append(empty, i)
		}
	}
	file, err := policyconfig.Parse("mergeguard/config.yaml", policyconfig.OrgFile, c.configJSON())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := policyconfig.Resolve(file, nil, schema)
	if (err != nil) != (len(empty) > 0) {
		t.Fatalf("%s: dates that freeze nothing: %v; loading the configuration: %v", c, empty, err)
	}
	if err != nil {
		if i := empty[0]; !strings.Contains(err.Error(), fmt.Sprintf("item %d: %s → %s freezes nothing", i+1, c.dates[i].start, c.dates[i].end)) {
			t.Fatalf("%s: the refusal should name item %d: %v", c, i+1, err)
		}
		*refused++
		kept := c.dates[:0]
		for i, d := range c.dates {
			if !slices.Contains(empty, i) {
				kept = append(kept, d)
			}
		}
		c.dates = kept
		return c.resolve(t, schema, refused)
	}
	return cfg
}

func (c freezeCase) inputFreezes() []any {
	out := []any{}
	for i, f := range c.incidents {
		ff := facts.NewFreeze(int64(i+1), "incident", nil, "ic", f.start, f.end)
		out = append(out, map[string]any{
			"id": ff.ID, "reason": ff.Reason, "repositories": []any{}, "created_by": ff.CreatedBy,
			"starts_at": ff.StartsAt, "starts_ns": ff.StartsNS, "ends_at": ff.EndsAt, "ends_ns": ff.EndsNS,
		})
	}
	return out
}

func (c freezeCase) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "zone %s, notice %s", c.zone, c.notice)
	for _, w := range c.windows {
		fmt.Fprintf(&b, "; every %s → %s", w.start, w.end)
	}
	for _, d := range c.dates {
		fmt.Fprintf(&b, "; %s → %s", d.start, d.end)
	}
	for _, f := range c.incidents {
		fmt.Fprintf(&b, "; incident from %s until %s", f.start.Format(time.RFC3339), f.end.Format(time.RFC3339))
	}
	return b.String()
}
