// Package deploy_test checks the deployment files against the code they
// deploy: they parse, their probes hit routes the server answers, their
// ports are the ones the settings make it listen on, and every variable
// they set is one mergeguard reads.
package deploy_test

import (
	"bytes"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/mergeguard/mergeguard/internal/metrics"
	"github.com/mergeguard/mergeguard/internal/server"
	"github.com/mergeguard/mergeguard/internal/settings"
)

// docs parses every YAML document in a file.
func docs(t *testing.T, path string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []map[string]any
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if doc != nil {
			out = append(out, doc)
		}
	}
}

// at walks maps by key and lists by index ("0").
func at(v any, keys ...string) any {
	for _, k := range keys {
		switch c := v.(type) {
		case map[string]any:
			v = c[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			v = c[i]
		default:
			return nil
		}
	}
	return v
}

func str(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}

func TestFilesParse(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("kubernetes", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	files = append(files, "docker-compose.yml")
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			ds := docs(t, f)
			if len(ds) == 0 {
				t.Fatal("empty")
			}
			if strings.HasPrefix(f, "kubernetes") {
				for _, d := range ds {
					if str(d["apiVersion"]) == "" || str(d["kind"]) == "" {
						t.Errorf("a document without apiVersion and kind: %v", d)
					}
				}
			}
		})
	}

	k := docs(t, filepath.Join("kubernetes", "kustomization.yaml"))[0]
	for _, r := range at(k, "resources").([]any) {
		if _, err := os.Stat(filepath.Join("kubernetes", str(r))); err != nil {
			t.Errorf("kustomization lists %v: %v", r, err)
		}
		if str(r) == "secret.yaml" {
			t.Error("the Secret template must not be applied with the rest: it holds placeholders")
		}
	}
}

// kinds reads the Kubernetes manifests by kind.
func kinds(t *testing.T) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	files, _ := filepath.Glob(filepath.Join("kubernetes", "*.yaml"))
	for _, f := range files {
		for _, d := range docs(t, f) {
			out[str(d["kind"])] = d
		}
	}
	for _, kind := range []string{"Deployment", "Service", "Secret", "PodDisruptionBudget"} {
		if out[kind] == nil {
			t.Fatalf("no %s in deploy/kubernetes", kind)
		}
	}
	return out
}

func TestDeploymentMatchesTheServer(t *testing.T) {
	k := kinds(t)
	dep := k["Deployment"]
	pod := at(dep, "spec", "template", "spec")
	c := at(pod, "containers", "0")

	ports := map[string]int{}
	for _, p := range at(c, "ports").([]any) {
		ports[str(at(p, "name"))] = at(p, "containerPort").(int)
	}
	env := map[string]string{}
	for _, e := range at(c, "env").([]any) {
		env[str(at(e, "name"))] = str(at(e, "value"))
	}
	for variable, port := range map[string]string{"MERGEGUARD_ADDR": "http", "MERGEGUARD_METRICS_ADDR": "metrics"} {
		_, p, err := net.SplitHostPort(env[variable])
		if err != nil || p != strconv.Itoa(ports[port]) {
			t.Errorf("%s=%q, but container port %s is %d", variable, env[variable], port, ports[port])
		}
	}

	// The probes ask routes the server answers 200 when healthy.
	srv := server.New(server.Config{
		Webhook: http.NotFoundHandler(),
		Metrics: metrics.New(),
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	for _, probe := range []string{"readinessProbe", "livenessProbe"} {
		path, port := str(at(c, probe, "httpGet", "path")), str(at(c, probe, "httpGet", "port"))
		if _, ok := ports[port]; !ok || port != "http" {
			t.Errorf("%s uses port %q; the probes belong on the http port", probe, port)
		}
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			t.Errorf("%s asks %s, which the server answers %d", probe, path, rec.Code)
		}
	}
	if at(c, "readinessProbe", "httpGet", "path") != "/readyz" || at(c, "livenessProbe", "httpGet", "path") != "/healthz" {
		t.Error("readiness is /readyz (dependencies), liveness /healthz (the process): swapping them restarts pods when the database is down")
	}

	// Security: non-root, read-only root file system, no privilege.
	if at(pod, "securityContext", "runAsNonRoot") != true || at(c, "securityContext", "readOnlyRootFilesystem") != true ||
		at(c, "securityContext", "allowPrivilegeEscalation") != false || at(c, "securityContext", "capabilities", "drop", "0") != "ALL" {
		t.Error("the container must run as non-root, read-only, without privilege escalation and capabilities")
	}
	if at(c, "resources", "limits", "memory") == nil || at(c, "resources", "requests", "cpu") == nil {
		t.Error("set resource requests and a memory limit (docs/operations.md, Sizing)")
	}
	// MERGEGUARD_SHUTDOWN_TIMEOUT defaults to 30s: the pod must get longer.
	if g, _ := at(pod, "terminationGracePeriodSeconds").(int); g <= 30 {
		t.Errorf("terminationGracePeriodSeconds %d leaves running evaluations no time to finish", g)
	}
	if str(at(c, "envFrom", "0", "secretRef", "name")) != str(at(k["Secret"], "metadata", "name")) {
		t.Error("the container's environment must come from the Secret template's Secret")
	}

	// Selectors: the Deployment's, the Service's and the budget's pick the
	// pods the template labels.
	labels := at(dep, "spec", "template", "metadata", "labels").(map[string]any)
	for name, sel := range map[string]any{
		"Deployment":          at(dep, "spec", "selector", "matchLabels"),
		"Service":             at(k["Service"], "spec", "selector"),
		"PodDisruptionBudget": at(k["PodDisruptionBudget"], "spec", "selector", "matchLabels"),
	} {
		m, _ := sel.(map[string]any)
		if len(m) == 0 {
			t.Errorf("%s has no selector", name)
		}
		for key, v := range m {
			if labels[key] != v {
				t.Errorf("%s selects %s=%v, which the pods do not carry", name, key, v)
			}
		}
	}
	for _, p := range at(k["Service"], "spec", "ports").([]any) {
		if _, ok := ports[str(at(p, "targetPort"))]; !ok {
			t.Errorf("Service port %v targets %v, which the container does not name", at(p, "name"), at(p, "targetPort"))
		}
	}
	if r, _ := at(dep, "spec", "replicas").(int); r > 1 && at(k["PodDisruptionBudget"], "spec", "minAvailable") == nil {
		t.Error("several replicas: the budget should keep some available")
	}
}

// settingNames are the variables mergeguard reads: the values of the Env*
// constants in internal/settings.
func settingNames(t *testing.T) map[string]bool {
	t.Helper()
	fset := token.NewFileSet()
	dir := filepath.Join("..", "internal", "settings")
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	names := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			for i, id := range vs.Names {
				if !strings.HasPrefix(id.Name, "Env") || i >= len(vs.Values) {
					continue
				}
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					v, _ := strconv.Unquote(lit.Value)
					names[v] = true
				}
			}
			return true
		})
	}
	if !names["MERGEGUARD_APP_ID"] || !names["MERGEGUARD_CONFIG_FILE"] {
		t.Fatalf("found no settings in %s: %v", dir, names)
	}
	return names
}

var variable = regexp.MustCompile(`\bMERGEGUARD_[A-Z0-9_]+\b`)

// TestVariablesAreSettings catches a misspelt variable, which mergeguard
// would silently ignore.
func TestVariablesAreSettings(t *testing.T) {
	known := settingNames(t)
	files, _ := filepath.Glob(filepath.Join("kubernetes", "*.yaml"))
	for _, f := range append(files, "docker-compose.yml") {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range variable.FindAllString(string(data), -1) {
			if !known[v] {
				t.Errorf("%s names %s, which mergeguard does not read", f, v)
			}
		}
	}
}

// TestMemoryLimitFitsTheServerAndItsPolicyWorkers holds the manifest to the
// sizing rule in docs/operations.md: the server's share (GOMEMLIMIT is 75%
// of it) plus every policy worker at its limit, which is the policy memory
// limit plus one 64 MiB heap arena plus about 32 MiB it has before any
// policy runs.
func TestMemoryLimitFitsTheServerAndItsPolicyWorkers(t *testing.T) {
	c := at(kinds(t)["Deployment"], "spec", "template", "spec", "containers", "0")
	env := map[string]string{}
	for _, e := range at(c, "env").([]any) {
		env[str(at(e, "name"))] = str(at(e, "value"))
	}
	p, err := settings.PolicyFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	limit, soft := bytesOf(t, str(at(c, "resources", "limits", "memory"))), bytesOf(t, env["GOMEMLIMIT"])
	need := soft*4/3 + int64(p.PolicyWorkers)*(p.PolicyMemory+96<<20)
	if limit < need {
		t.Errorf("memory limit %d MiB; the server (GOMEMLIMIT %d MiB) and %d policy workers of %d MiB need %d MiB",
			limit>>20, soft>>20, p.PolicyWorkers, p.PolicyMemory>>20, need>>20)
	}
}

// bytesOf reads a Kubernetes quantity (1Gi) or a Go memory limit (192MiB).
func bytesOf(t *testing.T, q string) int64 {
	t.Helper()
	for suffix, unit := range map[string]int64{"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30} {
		if num, ok := strings.CutSuffix(strings.TrimSuffix(q, "B"), suffix); ok {
			if n, err := strconv.ParseInt(num, 10, 64); err == nil {
				return n * unit
			}
		}
	}
	t.Fatalf("cannot read the size %q", q)
	return 0
}
