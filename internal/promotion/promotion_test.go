package promotion

import (
	"strings"
	"testing"
)

const (
	imagePattern = `image: ghcr\.io/acme/shop:(?P<version>\S+)`
	refPattern   = `ref: (?P<sha>[0-9a-fA-F]{40})`
	sha1         = "0123456789abcdef0123456789abcdef01234567"
	sha2         = "fedcba9876543210fedcba9876543210fedcba98"
)

func valid(t *testing.T, paths, patterns []string) Config {
	t.Helper()
	c, err := RawConfig{Paths: paths, Patterns: patterns}.Validate()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name     string
		paths    []string
		patterns []string
		wantErr  string
	}{
		{"version group", []string{"deploy/production/**"}, []string{imagePattern}, ""},
		{"sha group", []string{"deploy/production/**"}, []string{refPattern}, ""},
		{"both groups in one pattern", []string{"deploy/**"}, []string{`(?P<version>v\S+)@(?P<sha>[0-9a-f]{40})`}, ""},
		{"nothing configured is off", nil, nil, ""},
		{"no named group", []string{"deploy/**"}, []string{`image: (\S+)`}, "has no named group"},
		{"another named group", []string{"deploy/**"}, []string{`image: (?P<tag>\S+)`}, `group "tag" is neither`},
		{"group twice", []string{"deploy/**"}, []string{`(?P<version>a)|(?P<version>b)`}, "appears twice"},
		{"not a regular expression", []string{"deploy/**"}, []string{`image: (?P<version>\S+`}, "is not a regular expression"},
		{"paths without patterns", []string{"deploy/**"}, nil, "none given"},
		{"bad glob", []string{"deploy/[prod"}, []string{imagePattern}, "is not a valid glob"},
		{"empty path", []string{" "}, []string{imagePattern}, "is empty"},
		{"pattern too long", []string{"deploy/**"}, []string{"(?P<version>" + strings.Repeat("a", MaxPatternLength) + ")"}, "longer than"},
		{"too many patterns", []string{"deploy/**"}, make([]string, MaxPatterns+1), "at most"},
		{"too many paths", make([]string, MaxPaths+1), []string{imagePattern}, "at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := RawConfig{Paths: tt.paths, Patterns: tt.patterns}.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if c.Configured() != (len(tt.paths) > 0) {
					t.Errorf("Configured() = %v", c.Configured())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func lines(texts ...string) []Line {
	var ls []Line
	for i, s := range texts {
		ls = append(ls, Line{Number: i + 10, Text: s})
	}
	return ls
}

func TestExtract(t *testing.T) {
	c := valid(t, []string{"deploy/production/**", "**/prod.yaml"}, []string{imagePattern, refPattern})
	tests := []struct {
		name         string
		files        []File
		wantFiles    int
		wantVersion  string
		wantSHA      string
		wantProblems []string // kinds
		wantIn       string   // in the first problem's message
	}{
		{name: "not a promotion", files: []File{{Path: "src/main.go", AddedLines: lines("image: ghcr.io/acme/shop:v9")}}},
		{name: "version", files: []File{{Path: "deploy/production/shop.yaml", AddedLines: lines("spec:", "  image: ghcr.io/acme/shop:v1.42.0")}},
			wantFiles: 1, wantVersion: "v1.42.0"},
		{name: "sha, lower-cased", files: []File{{Path: "deploy/production/shop.yaml", AddedLines: lines("ref: " + strings.ToUpper(sha1))}},
			wantFiles: 1, wantSHA: sha1},
		{name: "version and sha", files: []File{{Path: "deploy/production/shop.yaml", AddedLines: lines("image: ghcr.io/acme/shop:v1.42.0", "ref: "+sha1)}},
			wantFiles: 1, wantVersion: "v1.42.0", wantSHA: sha1},
		{name: "**/ matches no folder", files: []File{{Path: "prod.yaml", AddedLines: lines("image: ghcr.io/acme/shop:v2")}},
			wantFiles: 1, wantVersion: "v2"},
		{name: "renamed out of the promotion folder", files: []File{{Path: "old/shop.yaml", PreviousPath: "deploy/production/shop.yaml", AddedLines: lines("image: ghcr.io/acme/shop:v3")}},
			wantFiles: 1, wantVersion: "v3"},
		{name: "the same version twice agrees", files: []File{
			{Path: "deploy/production/a.yaml", AddedLines: lines("image: ghcr.io/acme/shop:v1.42.0")},
			{Path: "deploy/production/b.yaml", AddedLines: lines("image: ghcr.io/acme/shop:v1.42.0")},
		}, wantFiles: 2, wantVersion: "v1.42.0"},
		{name: "several versions", files: []File{
			{Path: "deploy/production/a.yaml", AddedLines: lines("image: ghcr.io/acme/shop:v1.42.0")},
			{Path: "deploy/production/b.yaml", AddedLines: lines("image: ghcr.io/acme/shop:v1.43.0")},
		}, wantFiles: 2, wantProblems: []string{Conflict}, wantIn: "2 different versions: `v1.42.0` (deploy/production/a.yaml:10), `v1.43.0` (deploy/production/b.yaml:10)"},
		{name: "several commits", files: []File{{Path: "deploy/production/a.yaml", AddedLines: lines("ref: "+sha1, "ref: "+sha2)}},
			wantFiles: 1, wantProblems: []string{Conflict}, wantIn: "2 different commits"},
		{name: "matches nothing", files: []File{{Path: "deploy/production/shop.yaml", AddedLines: lines("replicas: 3")}},
			wantFiles: 1, wantProblems: []string{NoMatch}, wantIn: "none of its added lines matches"},
		{name: "a removed promotion file promotes nothing", files: []File{{Path: "deploy/production/old.yaml"}},
			wantFiles: 1},
		{name: "lines unknown", files: []File{{Path: "deploy/production/huge.yaml", LinesUnknown: true}},
			wantFiles: 1, wantProblems: []string{Unreadable}, wantIn: "too large"},
		{name: "an empty capture names nothing", files: []File{{Path: "deploy/production/shop.yaml", AddedLines: lines("image: ghcr.io/acme/shop: ")}},
			wantFiles: 1, wantProblems: []string{NoMatch}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.Extract(tt.files)
			if len(r.Files) != tt.wantFiles || r.Promotes() != (tt.wantFiles > 0) {
				t.Errorf("files %v, want %d", r.Files, tt.wantFiles)
			}
			if r.Version != tt.wantVersion || r.SHA != tt.wantSHA {
				t.Errorf("version %q sha %q, want %q %q", r.Version, r.SHA, tt.wantVersion, tt.wantSHA)
			}
			var kinds []string
			for _, p := range r.Problems {
				kinds = append(kinds, p.Kind)
			}
			if strings.Join(kinds, ",") != strings.Join(tt.wantProblems, ",") {
				t.Fatalf("problems %+v, want kinds %v", r.Problems, tt.wantProblems)
			}
			if tt.wantIn != "" && !strings.Contains(r.Problems[0].Message, tt.wantIn) {
				t.Errorf("problem %q does not say %q", r.Problems[0].Message, tt.wantIn)
			}
		})
	}
}

func TestExtractLocatesMatches(t *testing.T) {
	c := valid(t, []string{"deploy/production/**"}, []string{imagePattern})
	r := c.Extract([]File{{Path: "deploy/production/shop.yaml", AddedLines: []Line{{Number: 7, Text: "image: ghcr.io/acme/shop:v1"}}}})
	if len(r.Matches) != 1 || r.Matches[0] != (Match{Path: "deploy/production/shop.yaml", Line: 7, Version: "v1"}) {
		t.Fatalf("matches %+v", r.Matches)
	}
}

func TestExtractBoundsMatches(t *testing.T) {
	c := valid(t, []string{"deploy/**"}, []string{imagePattern})
	var texts []string
	for range 3 * MaxMatches {
		texts = append(texts, "image: ghcr.io/acme/shop:v1")
	}
	r := c.Extract([]File{{Path: "deploy/a.yaml", AddedLines: lines(texts...)}})
	if len(r.Matches) != MaxMatches || r.Version != "v1" || len(r.Problems) != 0 {
		t.Fatalf("%d matches, version %q, problems %v", len(r.Matches), r.Version, r.Problems)
	}
}

// FuzzExtract: whatever the lines say, extraction does not panic, a
// version is only reported when no conflict is, and every reported value
// is one that a line contains.
func FuzzExtract(f *testing.F) {
	f.Add("deploy/production/shop.yaml", "image: ghcr.io/acme/shop:v1.42.0", "ref: "+sha1)
	f.Add("deploy/production/a.yaml", "image: ghcr.io/acme/shop:v1", "image: ghcr.io/acme/shop:v2")
	f.Add("deploy/x", "", "\x00\xff")
	c, err := RawConfig{Paths: []string{"deploy/**"}, Patterns: []string{imagePattern, refPattern}}.Validate()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, path, a, b string) {
		r := c.Extract([]File{{Path: path, AddedLines: []Line{{Number: 1, Text: a}, {Number: 2, Text: b}}}})
		conflict := false
		for _, p := range r.Problems {
			if p.Message == "" {
				t.Fatalf("problem without a message: %+v", p)
			}
			conflict = conflict || p.Kind == Conflict
		}
		if r.Version != "" && !strings.Contains(a, r.Version) && !strings.Contains(b, r.Version) {
			t.Fatalf("version %q is in no line", r.Version)
		}
		if r.SHA != "" && !strings.Contains(strings.ToLower(a), r.SHA) && !strings.Contains(strings.ToLower(b), r.SHA) {
			t.Fatalf("sha %q is in no line", r.SHA)
		}
		if !r.Promotes() && (len(r.Matches) > 0 || len(r.Problems) > 0) {
			t.Fatalf("not a promotion, yet %+v", r)
		}
		if len(r.Matches) > 0 && !conflict && r.Version == "" && r.SHA == "" {
			t.Fatalf("matches %+v but nothing promoted", r.Matches)
		}
	})
}
