package coverage

import (
	"reflect"
	"testing"
)

func TestNormalizePath(t *testing.T) {
	tests := []struct {
		name, repo, in, want string
	}{
		// Go module paths.
		{"module prefix", "acme/shop", "github.com/acme/shop/internal/charge/charge.go", "internal/charge/charge.go"},
		{"module prefix, case differs", "Acme/Shop", "github.com/acme/shop/main.go", "main.go"},
		{"GitHub Enterprise host", "acme/shop", "github.acme.corp/acme/shop/internal/x.go", "internal/x.go"},
		{"module in a subdirectory", "acme/shop", "github.com/acme/shop/tools/gen/main.go", "tools/gen/main.go"},
		{"major version suffix kept", "acme/shop", "github.com/acme/shop/v2/charge.go", "v2/charge.go"},
		{"another repository's module", "acme/shop", "github.com/acme/other/x.go", "github.com/acme/other/x.go"},
		{"vanity import path kept", "uber-go/zap", "go.uber.org/zap/logger.go", "go.uber.org/zap/logger.go"},
		{"GOPATH-less package", "acme/shop", "_/home/runner/work/shop/shop/internal/x.go", "internal/x.go"},

		// CI workspaces.
		{"GitHub Actions, Linux", "acme/shop", "/home/runner/work/shop/shop/src/cart.js", "src/cart.js"},
		{"GitHub Actions, macOS", "acme/shop", "/Users/runner/work/shop/shop/src/cart.js", "src/cart.js"},
		{"GitHub Actions, Windows", "acme/shop", `D:\a\shop\shop\src\Shop\Charge.cs`, "src/Shop/Charge.cs"},
		{"Cobertura filename joined to a Windows source", "acme/shop", `D:\a\shop\shop\src/Shop\Charge.cs`, "src/Shop/Charge.cs"},
		{"GitHub Actions, container job", "acme/shop", "/__w/shop/shop/lib/a.py", "lib/a.py"},
		{"GitHub Actions, self-hosted", "acme/shop", "/opt/actions-runner/_work/shop/shop/a.c", "a.c"},
		{"repository dir named like the repository", "acme/shop", "/home/runner/work/shop/shop/shop/charge.py", "shop/charge.py"},
		{"subdirectory named like the repository", "acme/shop", "/home/runner/work/shop/shop/cmd/shop/main.go", "cmd/shop/main.go"},
		{"container action workspace", "acme/shop", "/github/workspace/src/a.ts", "src/a.ts"},
		{"GitLab builds dir", "acme/shop", "/builds/acme/shop/app/models/user.rb", "app/models/user.rb"},
		{"GOPATH checkout", "acme/shop", "/go/src/github.com/acme/shop/pkg/a.go", "pkg/a.go"},
		{"any checkout named after the repository", "acme/shop", "/var/lib/jenkins/workspace/shop/src/a.c", "src/a.c"},
		{"absolute without the repository name kept", "acme/shop", "/ci/x/internal/shop.go", "/ci/x/internal/shop.go"},
		{"absolute ending in the name kept", "acme/shop", "/src/shop", "/src/shop"},
		{"file URI", "acme/shop", "file:///home/runner/work/shop/shop/lib/main.dart", "lib/main.dart"},

		// Relative paths are only cleaned.
		{"dot slash", "acme/shop", "./src/a.js", "src/a.js"},
		{"dot dot", "acme/shop", "src/../lib/./a.js", "lib/a.js"},
		{"doubled slashes", "acme/shop", "src//a.js", "src/a.js"},
		{"backslashes", "acme/shop", `src\lib\a.js`, "src/lib/a.js"},
		{"relative dir named like the repository kept", "acme/shop", "shop/charge.py", "shop/charge.py"},
		{"leading dot dot kept", "acme/shop", "../shared/a.js", "../shared/a.js"},

		// Without a usable repository, only cleaning.
		{"no repository", "", "/home/runner/work/shop/shop/a.go", "/home/runner/work/shop/shop/a.go"},
		{"repository without owner", "shop", "./a.go", "a.go"},
		{"nothing left", "acme/shop", "./", "./"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Report{Files: map[string]map[int]int{tt.in: lines(1, 1)}}
			got := r.Normalize(tt.repo)
			if _, ok := got.Files[tt.want]; !ok || len(got.Files) != 1 {
				t.Errorf("Normalize(%q) of %q = %q, want %q", tt.repo, tt.in, sortedKeys(got.Files), tt.want)
			}
		})
	}
}

func TestNormalizeCombinesDuplicates(t *testing.T) {
	first := lines(1, 1, 2, 0)
	r := Report{Files: map[string]map[int]int{
		"/home/runner/work/shop/shop/a.py": first,
		"./a.py":                           lines(2, 4, 3, 0),
		"b.py":                             lines(1, 0),
	}}
	got := r.Normalize("acme/shop")
	want := map[string]map[int]int{
		"a.py": lines(1, 1, 2, 4, 3, 0), // the same run twice: the max
		"b.py": lines(1, 0),
	}
	if !reflect.DeepEqual(got.Files, want) {
		t.Errorf("got %v, want %v", got.Files, want)
	}
	if !reflect.DeepEqual(first, lines(1, 1, 2, 0)) {
		t.Errorf("Normalize changed its input's lines: %v", first)
	}
	if _, _, ok := got.Match("a.py"); !ok {
		t.Error("normalized report does not match its own path")
	}
}
