package report

import (
	"fmt"
	"strings"

	"github.com/mergeguard/mergeguard/internal/replay"
	"github.com/mergeguard/mergeguard/internal/text"
)

// maxReplayLinks caps the pull requests linked per list in the policy
// check's replay section.
const maxReplayLinks = 20

// ReplaySection is the replay of a proposed policy for the policy
// repository's check run. It is read by the policy pull request's author,
// who may not see every repository: it holds counts, and links only to
// pull requests in repositories Linkable allows, never a rule's messages
// (they quote other repositories' content).
type ReplaySection struct {
	Report replay.Report
	// Days and Max are the window and cap of the inputs replayed; Missing
	// counts pull requests evaluated in it with no stored input.
	Days, Max, Missing int
	// Linkable reports whether the author can read a repository.
	Linkable func(repo string) bool
	// WebURL is GitHub's web address, e.g. https://github.com/.
	WebURL string
	// Skipped, when set, says why there is no replay.
	Skipped string
}

// Replay renders the section as markdown, for Context.Appendix.
func Replay(s ReplaySection) string {
	var b strings.Builder
	b.WriteString("### Replay on recent pull requests\n\n")
	if s.Skipped != "" {
		fmt.Fprintf(&b, "%s\n", line(s.Skipped))
		return b.String()
	}
	r := s.Report
	fmt.Fprintf(&b, "The policy as of this pull request was replayed on the latest evaluation of %d %s evaluated in the last %d days (at most %d), and compared with the policy in use. "+
		"Each was judged at its own `input.time`, the time it was evaluated, with the organization's configuration.\n\n",
		r.Inputs, text.Plural(r.Inputs, "pull request", "pull requests"), s.Days, s.Max)
	fmt.Fprintf(&b, "**Would newly block %d %s and unblock %d.**", len(r.NewlyBlocked), text.Plural(len(r.NewlyBlocked), "pull request", "pull requests"), len(r.NewlyUnblocked))
	if n := len(r.Predating); n > 0 {
		fmt.Fprintf(&b, " %d more changed only because their stored input predates a field the new policy reads; they are counted apart.", n)
	}
	if s.Missing > 0 {
		fmt.Fprintf(&b, " %d evaluated %s no stored input and %s not replayed.", s.Missing, text.Plural(s.Missing, "pull request has", "pull requests have"), text.Plural(s.Missing, "was", "were"))
	}
	if n := len(r.Failures); n > 0 {
		fmt.Fprintf(&b, " %d could not be replayed.", n)
	}
	b.WriteString("\n\n")
	if len(r.Rules) > 0 {
		b.WriteString("| Rule | Newly blocking | Newly passing | Predating inputs |\n| --- | --- | --- | --- |\n")
		for _, c := range r.Rules {
			fmt.Fprintf(&b, "| `%s` | %d | %d | %d |\n", c.Rule, c.NewlyBlocking, c.NewlyPassing, c.PredatingInput)
		}
		b.WriteString("\n")
	}
	// Readability is asked of GitHub per repository, once each, and only
	// until the rows and links are capped.
	readable := map[string]bool{}
	canRead := func(repo string) bool {
		ok, seen := readable[repo]
		if !seen {
			ok = s.Linkable != nil && s.Linkable(repo)
			readable[repo] = ok
		}
		return ok
	}
	if len(r.Repos) > 0 {
		// A repository the author cannot read is not named: its name alone
		// can be private. Those rows, and any past the cap, are summed.
		b.WriteString("| Repository | Newly blocked | Newly unblocked |\n| --- | --- | --- |\n")
		var others, otherBlocked, otherUnblocked, named int
		for _, c := range r.Repos {
			if named < maxReplayLinks && canRead(c.Repo) {
				named++
				fmt.Fprintf(&b, "| %s | %d | %d |\n", cell(c.Repo), c.NewlyBlocked, c.NewlyUnblocked)
				continue
			}
			others++
			otherBlocked += c.NewlyBlocked
			otherUnblocked += c.NewlyUnblocked
		}
		if others > 0 {
			fmt.Fprintf(&b, "| %d other %s, not named | %d | %d |\n", others, text.Plural(others, "repository", "repositories"), otherBlocked, otherUnblocked)
		}
		b.WriteString("\n")
	}
	links := func(title string, cs []replay.Change) {
		var shown []string
		hidden, looked := 0, 0
		for _, c := range cs {
			if len(shown) == maxReplayLinks {
				break
			}
			looked++
			if !canRead(c.Repo) {
				hidden++
				continue
			}
			shown = append(shown, fmt.Sprintf("[%s#%d](%s%s/pull/%d)", c.Repo, c.Number, s.WebURL, c.Repo, c.Number))
		}
		if len(cs) == 0 {
			return
		}
		fmt.Fprintf(&b, "%s: %s", title, strings.Join(shown, ", "))
		if more := len(cs) - looked; more > 0 {
			fmt.Fprintf(&b, " and %d more", more)
		}
		if hidden > 0 {
			fmt.Fprintf(&b, " (%d in repositories you cannot read, not linked)", hidden)
		}
		b.WriteString(".\n\n")
	}
	links("Newly blocked", r.NewlyBlocked)
	links("Newly unblocked", r.NewlyUnblocked)
	b.WriteString("_The rules' messages are not shown here: they quote other repositories' pull requests. An operator sees them with `mergeguard replay`._\n")
	return b.String()
}
