// Package policies embeds mergeguard's bundled Rego policies and their tests,
// so the binary carries a working default with no policy repository.
package policies

import (
	"embed"
	"fmt"
	"os"
	"path"
	"path/filepath"

	"github.com/mergeguard/mergeguard/internal/policy"
)

// FS holds every bundled .rego file (rules and *_test.rego tests).
//
//go:embed *.rego
var FS embed.FS

// Modules returns the bundled modules, marked as bundled so that a custom
// policy cannot add to their packages.
func Modules() ([]policy.Module, error) {
	mods, err := policy.LoadFS(FS, ".")
	for i := range mods {
		mods[i].Bundled = true
	}
	return mods, err
}

// Export writes the bundled library and rules (not their tests) into dir as
// .rego files, so that OPA's own tools can load them next to a policy
// repository's rules: `opa test DIR mergeguard/policies`. It returns the
// files written. Files of the same names are replaced; others are left.
func Export(dir string) ([]string, error) {
	mods, err := Modules()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("export the bundled policies: %w", err)
	}
	var written []string
	for _, m := range mods {
		if m.IsTest() {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(path.Base(m.Path)))
		if err := os.WriteFile(p, m.Source, 0o644); err != nil {
			return written, fmt.Errorf("export the bundled policies: %w", err)
		}
		written = append(written, p)
	}
	return written, nil
}
