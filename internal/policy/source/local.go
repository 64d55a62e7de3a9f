package source

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/policy"
	policyconfig "github.com/mergeguard/mergeguard/internal/policy/config"
)

// ReadDir reads a policy folder from disk. dir is a checkout of a policy
// repository (holding the layout's folder, e.g. mergeguard/), or a folder of
// .rego files, which then stands for the policies folder.
func ReadDir(dir string, layout Layout) (Folder, error) {
	switch fi, err := os.Stat(dir); {
	case errors.Is(err, fs.ErrNotExist):
		return Folder{}, fmt.Errorf("policy folder %s does not exist: give a checkout of the policy repository, or a folder of .rego files", dir)
	case err != nil:
		return Folder{}, fmt.Errorf("read policies from %s: %w", dir, err)
	case !fi.IsDir():
		return Folder{}, fmt.Errorf("%s is a file, not a folder: give a checkout of the policy repository, or a folder of .rego files", dir)
	}
	folder := Folder{Files: Files{}}
	files := folder.Files
	root := filepath.Join(dir, filepath.FromSlash(layout.dir()))
	checkout := true
	total := 0
	if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
		root, checkout = dir, false
	}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		var repoPath string
		switch {
		case checkout:
			repoPath = path.Join(layout.dir(), rel)
		case path.Ext(rel) == ".rego":
			repoPath = path.Join(layout.PoliciesDir(), rel)
		case rel == "config.yaml":
			repoPath = layout.ConfigPath()
		}
		if repoPath == "" || !layout.Contains(repoPath) {
			if checkout {
				folder.note(layout, repoPath)
			} else if why := looseConfig(layout, rel); why != "" {
				folder.Unread = append(folder.Unread, fmt.Sprintf("%s is not read: %s.", filepath.Join(dir, filepath.FromSlash(rel)), why))
			}
			return nil
		}
		if len(files) == maxPolicyFiles {
			return fmt.Errorf("more than %d policy files under %s", maxPolicyFiles, dir)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if total += len(b); total > maxFolderBytes {
			return errors.New(tooLarge(layout).Message)
		}
		files[repoPath] = b
		return nil
	})
	if err != nil {
		return Folder{}, fmt.Errorf("read policies from %s: %w", dir, err)
	}
	if checkout {
		folder.Unread = append(folder.Unread, strayOutside(dir, layout)...)
	}
	if len(files) == 0 {
		return Folder{}, fmt.Errorf("%s holds no policy: expected %s/config.yaml or %s/**/*.rego (a checkout of the policy repository), or .rego files%s",
			dir, layout.dir(), layout.PoliciesDir(), unreadHint(folder.Unread))
	}
	return folder, nil
}

// maxStrayScan bounds the files strayOutside looks at, so that a checkout
// holding much else is not read in full.
const maxStrayScan = 10_000

// strayOutside names policy files of a checkout outside its policy folder
// (rules in policies/ at the top, a config.yaml beside mergeguard/), which
// the server would not read either. Only a local checkout is scanned: in a
// policy repository on GitHub, other Rego (conftest policies) may be
// meant for other tools, and a notice on every check run would be noise.
func strayOutside(dir string, layout Layout) []string {
	var out []string
	seen := 0
	skip := filepath.Join(dir, filepath.FromSlash(layout.dir()))
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // unreadable parts are not policy the server reads either
		}
		if seen++; seen > maxStrayScan {
			return filepath.SkipAll
		}
		if d.IsDir() {
			if p == skip || p != dir && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		name := strings.ToLower(d.Name())
		if path.Ext(name) == ".rego" || name == "config.yaml" || name == "config.yml" {
			out = append(out, fmt.Sprintf("%s is not read: mergeguard reads only the policy folder %s/ (rules under %s/, configuration in %s).",
				p, layout.dir(), layout.PoliciesDir(), layout.ConfigPath()))
		}
		return nil
	})
	return out
}

// looseConfig says why a configuration file in a folder of .rego files (no
// policy folder of the layout's name) is not read, or "" when it is read or
// is not configuration. The typical case is a checkout whose policy folder
// has another name (policy/config.yaml): its rules are still found, so
// without this its configuration would be dropped silently.
func looseConfig(layout Layout, rel string) string {
	ext := strings.ToLower(path.Ext(rel))
	if rel == "config.yaml" || ext != ".yaml" && ext != ".yml" {
		return ""
	}
	if path.Dir(rel) == "." {
		return "the configuration is read from config.yaml only"
	}
	top, _, _ := strings.Cut(rel, "/")
	return fmt.Sprintf("there is no %s/ folder here, so this is read as a folder of .rego files with its configuration in config.yaml at the top; if %s/ is the policy folder, give --policy-folder %s (the server reads MERGEGUARD_POLICY_FOLDER)",
		layout.dir(), top, top)
}

func problemLines(ps []Problem) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return strings.Join(out, "\n  ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func unreadHint(unread []string) string {
	if len(unread) == 0 {
		return ""
	}
	return " (" + strings.Join(unread, " ") + ")"
}

// Local is policy read from disk, for `mergeguard eval` and `mergeguard test`.
type Local struct {
	// PolicyDir is a checkout of the policy repository, or "" for the
	// bundled policy alone.
	PolicyDir string
	// ConfigFile replaces the organization's configuration.
	ConfigFile string
	// RepoConfigFile is a repository's own configuration.
	RepoConfigFile string
	Layout         Layout
	Bundled        []policy.Module
	Timeout        time.Duration
	// Workers run the policy isolated, within a memory limit; nil runs it
	// in this process.
	Workers *policy.Workers
	// DefaultMode applies when no configuration sets mode, as the server's
	// MERGEGUARD_MODE does.
	DefaultMode decision.Mode
}

// ErrBrokenPolicy is returned, wrapped with the problems, when local policy
// does not compile or its configuration is not valid.
var ErrBrokenPolicy = errors.New("the policy is not usable")

// Resolve builds the local policy and configuration.
func (l Local) Resolve(ctx context.Context) (Resolved, error) {
	folder := Folder{Files: Files{}}
	label := "bundled@" + policy.Digest(l.Bundled)
	if l.PolicyDir != "" {
		var err error
		if folder, err = ReadDir(l.PolicyDir, l.Layout); err != nil {
			return Resolved{}, err
		}
		label = "local:" + l.PolicyDir
	}
	if l.ConfigFile != "" {
		b, err := os.ReadFile(l.ConfigFile)
		if err != nil {
			return Resolved{}, fmt.Errorf("read configuration: %w", err)
		}
		folder.Files[l.Layout.ConfigPath()] = b
		label += " with " + l.ConfigFile
	}
	v := Build(ctx, label, "", folder, l.Layout, l.Bundled, policy.Options{Timeout: l.Timeout, Workers: l.Workers})
	if !v.OK() {
		// One problem a line: a terminal shows them as a list, where "; "
		// ran several into one line.
		return Resolved{}, fmt.Errorf("%w (%d %s):\n  %s", ErrBrokenPolicy, len(v.Problems), plural(len(v.Problems), "problem", "problems"), problemLines(v.Problems))
	}
	var repoFile *policyconfig.File
	if l.RepoConfigFile != "" {
		b, err := os.ReadFile(l.RepoConfigFile)
		if err != nil {
			return Resolved{}, fmt.Errorf("read repository configuration: %w", err)
		}
		if repoFile, err = policyconfig.Parse(filepath.ToSlash(l.RepoConfigFile), policyconfig.RepoFile, b); err != nil {
			return Resolved{}, fmt.Errorf("%w: %v", ErrBrokenPolicy, err)
		}
	}
	cfg, err := policyconfig.Resolve(v.Org, repoFile, v.Policy.Schema())
	if err != nil {
		return Resolved{}, fmt.Errorf("%w: %v", ErrBrokenPolicy, err)
	}
	mode := l.DefaultMode
	if mode == "" {
		mode = decision.Enforce
	}
	res, err := bind(ctx, v, repoFile, cfg, mode)
	res.Label = label
	return res, err
}

// Fixed always resolves to one policy: a live pull request evaluated with a
// local policy folder.
type Fixed struct {
	Resolved Resolved
	Source   *Source
}

// Prepare has nothing to read: the policy is fixed.
func (f Fixed) Prepare(context.Context, GitHub, string, string, string) error { return nil }

// Resolve returns the fixed policy.
func (f Fixed) Resolve(context.Context, GitHub, For) (Resolved, error) { return f.Resolved, nil }

// PolicyRepo is the policy repository's name.
func (f Fixed) PolicyRepo() string { return f.Source.PolicyRepo() }

// CheckCommit checks a policy repository commit.
func (f Fixed) CheckCommit(ctx context.Context, gh GitHub, owner, repo, sha string) (CheckResult, error) {
	return f.Source.CheckCommit(ctx, gh, owner, repo, sha)
}
