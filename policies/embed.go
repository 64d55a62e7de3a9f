// Package policies embeds mergeguard's bundled Rego policies and their tests,
// so the binary carries a working default with no policy repository.
package policies

import (
	"embed"

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
