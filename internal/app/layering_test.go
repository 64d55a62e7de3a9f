package app_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestIntakeAndPublisherDoNotLinkTheDatabase keeps the webhook intake and
// the check-run publisher free of River and the database drivers: they
// declare what they need in their own (or the domain's) types, and the
// composition root adapts the queue and the store to it.
func TestIntakeAndPublisherDoNotLinkTheDatabase(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH; cannot list the packages' dependencies")
	}
	forbidden := []string{"github.com/riverqueue/", "github.com/jackc/", "sqlite"}
	for _, pkg := range []string{"./internal/webhook", "./internal/intake", "./internal/checkrun"} {
		out, err := exec.Command(goTool, "list", "-deps", "../../"+strings.TrimPrefix(pkg, "./")).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, f := range forbidden {
				if strings.Contains(dep, f) {
					t.Errorf("%s links %s: declare the dependency as an interface in the package's own types instead", pkg, dep)
				}
			}
		}
	}
}

// TestDomainImportsOnlyTheStandardLibrary keeps decision, the types every
// other package shares, free of any dependency but the standard library.
func TestDomainImportsOnlyTheStandardLibrary(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH; cannot list the package's dependencies")
	}
	out, err := exec.Command(goTool, "list", "-deps", "../../internal/decision").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		first, _, _ := strings.Cut(dep, "/")
		if strings.Contains(first, ".") && dep != "github.com/mergeguard/mergeguard/internal/decision" {
			t.Errorf("decision depends on %s: the domain package may use the standard library only", dep)
		}
	}
}
