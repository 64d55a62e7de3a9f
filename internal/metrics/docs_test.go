package metrics_test

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mergeguard/mergeguard/internal/metrics"
)

// described is one metric as the code registers it.
type described struct {
	labels []string
	kind   string // counter, gauge, histogram; "" when not a field of Metrics
}

var (
	descName   = regexp.MustCompile(`fqName: "([^"]+)"`)
	descLabels = regexp.MustCompile(`variableLabels: \{([^}]*)\}`)
)

// registered lists every metric on the registry, with the kind of the
// Metrics field that holds it.
func registered(t *testing.T) map[string]described {
	t.Helper()
	m := metrics.New()
	out := map[string]described{}
	describe := func(c prometheus.Collector, kind string) {
		ch := make(chan *prometheus.Desc, 64)
		go func() { c.Describe(ch); close(ch) }()
		for d := range ch {
			s := d.String()
			name := descName.FindStringSubmatch(s)
			if name == nil {
				t.Fatalf("cannot read the metric's name from %s", s)
			}
			var labels []string
			if l := descLabels.FindStringSubmatch(s); l != nil && l[1] != "" {
				labels = strings.Split(l[1], ",")
			}
			sort.Strings(labels)
			if prev, ok := out[name[1]]; !ok || prev.kind == "" {
				out[name[1]] = described{labels: labels, kind: kind}
			}
		}
	}
	describe(m.Registry, "")
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		for i := 0; i < v.NumField(); i++ {
			f := v.Field(i)
			if !f.CanInterface() || f.IsZero() {
				continue
			}
			switch c := f.Interface().(type) {
			case *prometheus.Registry:
			case *prometheus.HistogramVec:
				describe(c, "histogram")
			case *prometheus.CounterVec:
				describe(c, "counter")
			case *prometheus.GaugeVec:
				describe(c, "gauge")
			// A gauge also has a counter's methods; ask for it first.
			case prometheus.Gauge:
				describe(c, "gauge")
			case prometheus.Counter:
				describe(c, "counter")
			case prometheus.Histogram:
				describe(c, "histogram")
			default:
				if f.Kind() == reflect.Pointer && f.Elem().Kind() == reflect.Struct {
					walk(f.Elem())
				}
			}
		}
	}
	walk(reflect.ValueOf(m).Elem())
	return out
}

type row struct {
	kind        string
	labels      []string
	checkLabels bool
}

var (
	codeSpan = regexp.MustCompile("`([^`]+)`")
	metric   = regexp.MustCompile(`\b(mergeguard|go|process)_[a-z0-9_]+`)
)

// TestOperationsGuideMatchesMetrics keeps docs/operations.md honest: its
// table lists every mergeguard metric with its type and labels, and every
// metric it names anywhere (in alerts, say) exists.
func TestOperationsGuideMatchesMetrics(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	reg := registered(t)

	// Tables whose header starts "| metric |"; a "labels" column, where
	// there is one, is checked too.
	rows := map[string]row{}
	var header []string
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "|") {
			header = nil
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if cells[0] == "metric" {
			header = cells
			continue
		}
		name, ok := strings.CutPrefix(cells[0], "`mergeguard_")
		if header == nil || !ok {
			continue
		}
		r := row{checkLabels: slices.Contains(header, "labels")}
		for i, h := range header {
			if i >= len(cells) {
				break
			}
			switch h {
			case "type":
				r.kind = cells[i]
			case "labels":
				for _, l := range codeSpan.FindAllStringSubmatch(cells[i], -1) {
					r.labels = append(r.labels, l[1])
				}
				sort.Strings(r.labels)
			}
		}
		rows["mergeguard_"+strings.TrimSuffix(name, "`")] = r
	}
	for name, d := range reg {
		if !strings.HasPrefix(name, "mergeguard_") {
			continue
		}
		r, ok := rows[name]
		if !ok {
			t.Errorf("%s is registered but not in docs/operations.md's metrics table: add a row saying what it means", name)
			continue
		}
		if d.kind != "" && r.kind != d.kind {
			t.Errorf("docs/operations.md says %s is a %s; it is a %s", name, r.kind, d.kind)
		}
		if r.checkLabels && strings.Join(r.labels, ",") != strings.Join(d.labels, ",") {
			t.Errorf("docs/operations.md gives %s the labels %v; it has %v", name, r.labels, d.labels)
		}
	}
	for name := range rows {
		if _, ok := reg[name]; !ok {
			t.Errorf("docs/operations.md's table lists %s, which internal/metrics does not register", name)
		}
	}

	// Names in prose and alert expressions, histogram series included.
	for _, span := range codeSpan.FindAllStringSubmatch(string(data), -1) {
		for _, name := range metric.FindAllString(span[1], -1) {
			if _, ok := reg[name]; ok {
				continue
			}
			base := name
			for _, suffix := range []string{"_bucket", "_count", "_sum"} {
				base = strings.TrimSuffix(base, suffix)
			}
			if d, ok := reg[base]; ok && base != name && (d.kind == "histogram" || rows[base].kind == "histogram") {
				continue
			}
			t.Errorf("docs/operations.md names the metric %s (in `%s`), which the server does not expose", name, span[1])
		}
	}
}
