package policy

import (
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// forbiddenBuiltins are removed from the capabilities policies compile
// against. A policy that calls one fails to compile with "undefined function",
// so a sandbox escape is caught when the policy is loaded, not when it runs.
var forbiddenBuiltins = map[string]string{
	"http.send":          "policies cannot reach the network",
	"net.lookup_ip_addr": "policies cannot reach the network",
	"opa.runtime":        "policies cannot read the server's environment or configuration",
	"time.now_ns":        "rules read input.time instead of the clock, so that a verdict can be reproduced and simulated",
	"rand.intn":          "a verdict must not depend on chance",
	"uuid.rfc4122":       "a verdict must not depend on chance",
	// ECDSA and RSA-PSS signatures are randomized: the same token signed
	// twice differs. A merge gate has no use for signing tokens.
	"io.jwt.encode_sign":     "signing draws random numbers (ES*, PS* algorithms), so a verdict could not be reproduced",
	"io.jwt.encode_sign_raw": "signing draws random numbers (ES*, PS* algorithms), so a verdict could not be reproduced",
	"trace":                  "use print() for debugging output",
	"json.match_schema":      "JSON schemas can reference files on the server (file:// $ref)",
	"json.verify_schema":     "JSON schemas can reference files on the server (file:// $ref)",
	// OPA verifies certificate validity against the server's clock, not the
	// evaluation time, so a verdict could not be reproduced with --at.
	"crypto.x509.parse_and_verify_certificates":              "certificate verification reads the server's clock; rules read input.time",
	"crypto.x509.parse_and_verify_certificates_with_options": "certificate verification reads the server's clock; rules read input.time",
}

// clockBuiltins are the builtins OPA marks non-deterministic that read
// nothing but the evaluation instant, which the engine pins to the
// evaluation's time (input.time) with rego.EvalTime. Every other
// non-deterministic builtin is forbidden (TestBuiltinsAreDeterministic).
var clockBuiltins = map[string]string{
	"io.jwt.decode_verify": "checks exp and nbf against the evaluation instant unless the constraints give a time",
}

// Capabilities returns the sandboxed OPA capabilities: this OPA version's
// builtins minus the forbidden ones, and no network access for schema
// fetching either.
func Capabilities() *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion()
	kept := caps.Builtins[:0]
	for _, b := range caps.Builtins {
		if _, bad := forbiddenBuiltins[b.Name]; bad {
			continue
		}
		kept = append(kept, b)
	}
	caps.Builtins = kept
	caps.AllowNet = []string{}
	return caps
}

// explainForbidden adds the reason to OPA's "undefined function" message when
// a policy calls a builtin the sandbox removed.
func explainForbidden(msg string) string {
	for name, why := range forbiddenBuiltins {
		if strings.Contains(msg, "undefined function "+name) {
			return msg + " (not available to mergeguard policies: " + why + ")"
		}
	}
	return msg
}
