// Package policy compiles and evaluates mergeguard's Rego policies with OPA.
//
// Policies are compiled once per policy version (the Engine) and evaluated
// many times; evaluation is a pure function of the input document, the
// configuration data and the evaluation instant.
package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Module is one Rego source file.
type Module struct {
	// Path names the file in messages, relative to its policy root.
	Path   string
	Source []byte
	// Bundled marks mergeguard's own policies, compiled into the binary.
	Bundled bool
}

// IsTest reports whether the module holds Rego unit tests, which are run by
// the tester and never loaded into the engine.
func (m Module) IsTest() bool { return strings.HasSuffix(m.Path, "_test.rego") }

// LoadFS reads every .rego file under root in fsys, in a stable order.
func LoadFS(fsys fs.FS, root string) ([]Module, error) {
	var mods []Module
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || path.Ext(p) != ".rego" {
			return nil
		}
		src, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, root), "/")
		if root == "." {
			rel = p
		}
		mods = append(mods, Module{Path: rel, Source: src})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read policies under %s: %w", root, err)
	}
	slices.SortFunc(mods, func(a, b Module) int { return strings.Compare(a.Path, b.Path) })
	return mods, nil
}

// parse parses modules as Rego v1 with METADATA annotations, collecting every
// syntax error rather than stopping at the first file.
func parse(modules []Module) (map[string]*ast.Module, error) {
	return parseEach(modules, nil)
}

// parseEach is parse telling progress, when set, which file it starts.
func parseEach(modules []Module, progress func(file string) error) (map[string]*ast.Module, error) {
	parsed := map[string]*ast.Module{}
	var problems []Problem
	for _, m := range modules {
		if progress != nil {
			if err := progress(m.Path); err != nil {
				return nil, err
			}
		}
		mod, err := ast.ParseModuleWithOpts(m.Path, string(m.Source), ast.ParserOptions{
			ProcessAnnotation: true,
			RegoVersion:       ast.RegoV1,
		})
		if err != nil {
			problems = append(problems, problemsFromAST(err)...)
			continue
		}
		parsed[m.Path] = mod
	}
	if len(problems) > 0 {
		return nil, &CompileError{Problems: problems}
	}
	return parsed, nil
}

// Digest identifies a set of modules by content, so that a verdict can name
// exactly which policy produced it.
func Digest(mods []Module) string { return hex.EncodeToString(sum(mods, false))[:12] }

// workerKey names a compiled policy in a policy worker, which serves every
// organization: the whole hash, and which modules are mergeguard's own, so
// that no policy can be made to pass for another.
func workerKey(mods []Module, opts Options) string {
	return fmt.Sprintf("%x/%s/%s", sum(mods, true), opts.Timeout, opts.Budget)
}

func sum(mods []Module, bundled bool) []byte {
	h := sha256.New()
	for _, m := range mods {
		fmt.Fprintf(h, "%s\x00%d\x00", m.Path, len(m.Source))
		if bundled && m.Bundled {
			h.Write([]byte("bundled\x00"))
		}
		h.Write(m.Source)
	}
	return h.Sum(nil)
}
