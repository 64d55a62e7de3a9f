package evaluator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mergeguard/mergeguard/internal/codeowners"
	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/facts"
	"github.com/mergeguard/mergeguard/internal/githubapp"
	policyconfig "github.com/mergeguard/mergeguard/internal/policy/config"
)

// codeOwnersRule is the bundled rule that reads CODEOWNERS.
const codeOwnersRule = "code_owners"

// CodeOwnersOn reports whether the code_owners rule is enabled and
// enforcing: only then is CODEOWNERS read, so that repositories that do not
// use the rule spend no request on it.
func CodeOwnersOn(rc policyconfig.RuleConfig) bool {
	on, _ := rc.Values["enforce"].(bool)
	return rc.Enabled && on
}

// codeOwners reads the CODEOWNERS file GitHub uses on the pull request's
// base branch (the first of its three locations; a missing one costs one
// request, conditional when repeated) and gives the changed files their
// owners. When the pull request changes a CODEOWNERS location, the file it
// would leave is read at the head too, so its problems can be shown on its
// lines; only the locations the changes leave unknown are read. With
// GitHub's list of files cut short, a change to CODEOWNERS may be hidden
// and the head's file is not read (the rule fails such a pull request).
func (s *Service) codeOwners(ctx context.Context, gh GitHub, repo decision.Repo, pr decision.PullRequestDetails, files []facts.File, truncated bool) ([]facts.File, *facts.CodeOwners, error) {
	readAt := func(ref string) func(path string) (facts.CodeOwnersFile, bool, error) {
		return func(path string) (facts.CodeOwnersFile, bool, error) {
			content, found, err := gh.FileAt(ctx, repo.Owner, repo.Name, path, ref, codeowners.MaxSize)
			var tooLarge *githubapp.FileTooLargeError
			switch {
			case errors.As(err, &tooLarge):
				return facts.CodeOwnersFile{Path: path, TooLarge: true}, true, nil
			case err != nil:
				return facts.CodeOwnersFile{}, false, err
			}
			return facts.CodeOwnersFile{Path: path, Content: content}, found, nil
		}
	}
	var base facts.CodeOwnersFile
	readBase := readAt(pr.Base.Ref)
	for _, loc := range codeowners.Locations {
		f, found, err := readBase(loc)
		if err != nil {
			// A later location must not win because an earlier one was
			// unreadable.
			return nil, nil, fmt.Errorf("CODEOWNERS of %s: %w", repo, err)
		}
		if found {
			base = f
			break
		}
	}
	var err error
	if base.Reported, err = s.codeOwnersErrors(ctx, gh, repo, base, pr.Base.Ref); err != nil {
		return nil, nil, err
	}
	var head *facts.CodeOwnersFile
	if !truncated && facts.ChangesCodeOwners(files) {
		f, err := facts.HeadCodeOwners(base, files, readAt(pr.Head.SHA))
		if err != nil {
			return nil, nil, fmt.Errorf("CODEOWNERS at %s of %s: %w", decision.ShortSHA(pr.Head.SHA), repo, err)
		}
		if f.Path != base.Path || !bytes.Equal(f.Content, base.Content) {
			if f.Reported, err = s.codeOwnersErrors(ctx, gh, repo, f, pr.Head.SHA); err != nil {
				return nil, nil, err
			}
		}
		head = &f
	}
	files, co := facts.WithCodeOwners(files, base, head)
	return files, co, nil
}

// codeOwnersErrors asks GitHub what its own check finds wrong with the
// CODEOWNERS file at ref: owners that do not exist or may not own files,
// which the file's text cannot show. One request per side read, made only
// when there is a file to check, and conditional when repeated.
func (s *Service) codeOwnersErrors(ctx context.Context, gh GitHub, repo decision.Repo, f facts.CodeOwnersFile, ref string) ([]facts.CodeOwnersProblem, error) {
	if f.Path == "" || f.TooLarge {
		return nil, nil
	}
	errs, err := gh.CodeOwnersErrors(ctx, repo.Owner, repo.Name, ref)
	if err != nil {
		return nil, fmt.Errorf("GitHub's check of %s: %w", f.Path, err)
	}
	var out []facts.CodeOwnersProblem
	for _, e := range errs {
		if e.Path != f.Path {
			continue
		}
		// "Unknown owner on line 3: make sure …": the line is shown
		// with the file's path in front of it already.
		msg := strings.Replace(e.Message, fmt.Sprintf(" on line %d", e.Line), "", 1)
		if msg == "" {
			msg = e.Kind
		}
		out = append(out, facts.CodeOwnersProblem{Line: e.Line, Message: msg})
	}
	return out, nil
}

// mergeTeams adds the slugs in more to teams, keeping them sorted and
// distinct.
func mergeTeams(teams, more []string) []string {
	out := slices.Concat(teams, more)
	slices.Sort(out)
	return slices.Compact(out)
}
