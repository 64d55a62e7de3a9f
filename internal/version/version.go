// Package version holds the build's version, set at link time with
// -ldflags "-X github.com/mergeguard/mergeguard/internal/version.Version=v1.2.3".
package version

import "runtime/debug"

// Version is the release version, or "dev" for a local build.
var Version = "dev"

// String returns Version, falling back to the module version recorded by
// `go install module@version` when no link-time version was set.
func String() string {
	if Version != "dev" {
		return Version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return Version
}

// UserAgent is what mergeguard sends to GitHub.
func UserAgent() string { return "mergeguard/" + String() }
