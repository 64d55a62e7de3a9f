// Package policies embeds mergeguard's bundled Rego policies and their tests,
// so the binary carries a working default with no policy repository.
package policies

import "embed"

// FS holds every bundled .rego file (rules and *_test.rego tests).
//
//go:embed *.rego
var FS embed.FS
