package coverage

import (
	"fmt"
	"testing"
)

func TestMatch(t *testing.T) {
	files := map[string]map[int]int{
		"internal/shop/charge.go":       lines(1, 1),
		"shop/cart.go":                  lines(2, 1),
		"/ci/x/internal/shop/refund.go": lines(3, 1),
		"com/acme/Charge.java":          lines(4, 1),
		"a/util.go":                     lines(5, 1),
		"b/util.go":                     lines(6, 1),
		"x/a/doc.go":                    lines(7, 1),
		"y/b/doc.go":                    lines(8, 1),
		`C:\w\shop\src\Program.cs`:      lines(9, 1),
		"README":                        lines(10, 1),
	}
	tests := []struct {
		name, path, want string // want "" = no match
	}{
		{"exact", "internal/shop/charge.go", "internal/shop/charge.go"},
		{"report path is a suffix", "internal/shop/cart.go", "shop/cart.go"},
		{"absolute report path", "internal/shop/refund.go", "/ci/x/internal/shop/refund.go"},
		{"JaCoCo package path", "src/main/java/com/acme/Charge.java", "com/acme/Charge.java"},
		{"Windows report path", "src/Program.cs", `C:\w\shop\src\Program.cs`},
		{"file name alone is enough when unique", "other/dir/charge.go", "internal/shop/charge.go"},
		{"longest suffix wins", "pkg/a/util.go", "a/util.go"},
		{"tie is ambiguous", "c/util.go", ""},
		{"tie on a longer suffix is still decided by the longest", "z/b/doc.go", "y/b/doc.go"},
		{"tie at the longest suffix", "doc.go", ""},
		{"file name must match", "internal/shop/charge_test.go", ""},
		{"directory alone does not match", "internal/shop", ""},
		{"no file name", "internal/shop/", ""},
		{"empty", "", ""},
		{"file without directory", "docs/README", "README"},
		{"case matters", "internal/shop/Charge.go", ""},
	}
	indexed := Report{Files: files, index: new(matchIndex)}
	scanned := Report{Files: files} // a literal: no index, scanned
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range []Report{indexed, scanned} {
				got, reportPath, ok := r.Match(tt.path)
				if tt.want == "" {
					if ok {
						t.Errorf("Match(%q) = %q, want no match (index %v)", tt.path, reportPath, r.index != nil)
					}
					continue
				}
				if !ok || reportPath != tt.want {
					t.Errorf("Match(%q) = %q, %v, want %q (index %v)", tt.path, reportPath, ok, tt.want, r.index != nil)
					continue
				}
				if fmt.Sprint(got) != fmt.Sprint(files[tt.want]) {
					t.Errorf("Match(%q) lines = %v, want %v", tt.path, got, files[tt.want])
				}
			}
		})
	}
}

// TestMatchAfterMerge: the index built by a first Match must see files a
// later Merge adds, including through copies of the report.
func TestMatchAfterMerge(t *testing.T) {
	var r Report
	r.Merge(Report{Files: map[string]map[int]int{"a/x.go": lines(1, 1)}})
	copyBefore := r
	if _, p, ok := r.Match("src/a/x.go"); !ok || p != "a/x.go" {
		t.Fatalf("first match: %q %v", p, ok)
	}
	r.Merge(Report{Files: map[string]map[int]int{"b/y.go": lines(1, 1), "c/x.go": lines(1, 0)}})
	if _, p, ok := r.Match("src/b/y.go"); !ok || p != "b/y.go" {
		t.Errorf("file added by Merge: %q %v", p, ok)
	}
	if _, p, ok := r.Match("x.go"); ok {
		t.Errorf("x.go is ambiguous after the merge, got %q", p)
	}
	// A copy made before the Merge shares the map and sees the same.
	if _, p, ok := copyBefore.Match("src/b/y.go"); !ok || p != "b/y.go" {
		t.Errorf("copy: %q %v", p, ok)
	}
	// A report whose Files were replaced must not use the old index.
	other := r
	other.Files = map[string]map[int]int{"z/q.go": lines(1, 1)}
	if _, p, ok := other.Match("q.go"); !ok || p != "z/q.go" {
		t.Errorf("replaced Files: %q %v", p, ok)
	}
}

func TestMatchFixtures(t *testing.T) {
	// What diffcover asks after the upload handler normalized the report.
	tests := []struct {
		file, path, want string
	}{
		{"go-coverpkg.out", "internal/charge/charge.go", "internal/charge/charge.go"},
		{"lcov-nyc.info", "src/lib/price.js", "src/lib/price.js"},
		{"cobertura-coveragepy.xml", "src/shop/api/routes.py", "src/shop/api/routes.py"},
		{"jacoco.xml", "shop-core/src/main/java/com/acme/shop/util/Money.java", "com/acme/shop/util/Money.java"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			r, _, err := Parse(fixture(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if _, p, ok := r.Normalize("acme/shop").Match(tt.path); !ok || p != tt.want {
				t.Errorf("Match(%q) = %q, %v, want %q", tt.path, p, ok, tt.want)
			}
		})
	}
}

// TestMatchScale: 100,000 report files, 3,000 suffix lookups (the case
// the index is for). The index is built by the first lookup and reused by
// every other, through the copies Match's value receiver makes.
func TestMatchScale(t *testing.T) {
	files := make(map[string]map[int]int, 100_000)
	for i := range 100_000 {
		files[fmt.Sprintf("com/acme/p%d/F%d.java", i%500, i)] = lines(1, 1)
	}
	r := Report{Files: files, index: new(matchIndex)}
	var built *suffixIndex
	for i := range 3000 {
		k := (i * 37) % 100_000
		want := fmt.Sprintf("com/acme/p%d/F%d.java", k%500, k)
		if _, p, ok := r.Match("module/src/main/java/" + want); !ok || p != want {
			t.Fatalf("Match: %q %v, want %q", p, ok, want)
		}
		if i == 0 {
			built = r.index.built.Load()
		} else if r.index.built.Load() != built {
			t.Fatalf("lookup %d rebuilt the index", i)
		}
	}
}

// TestMatchConcurrent: copies of one report matched from several goroutines
// share one index without a race (run with -race).
func TestMatchConcurrent(t *testing.T) {
	r, _, err := Parse(fixture(t, "jacoco.xml"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan string)
	for range 8 {
		go func(r Report) {
			_, p, _ := r.Match("core/src/main/java/com/acme/shop/Charge.java")
			done <- p
		}(r)
	}
	for range 8 {
		if p := <-done; p != "com/acme/shop/Charge.java" {
			t.Errorf("Match = %q", p)
		}
	}
}
