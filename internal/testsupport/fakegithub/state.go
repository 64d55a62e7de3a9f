package fakegithub

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Repo is a repository in the fake.
type Repo struct {
	s             *Server
	id            int64
	owner, name   string
	installation  int64
	defaultBranch string
	private       bool
	pulls         map[int]*PR
	nextNumber    int
	// orphans are commits that a force-push removed from a branch.
	orphans map[string]bool
	// trees holds each commit's files (CommitFiles), branches their heads.
	trees    map[string]map[string]string
	messages map[string]string
	branches map[string]string
	created  time.Time
	// issues are the repository's plain issues; they share the number
	// sequence (nextNumber) with pulls, as on GitHub.
	issues map[int]*issue
	// comments are the issue comments on the repository's issues and pull
	// requests, oldest first.
	comments []*comment
	archived bool
	// deployments are the repository's deployments, oldest first;
	// deploymentsDenied answers their listing 403.
	deployments       []*Deployment
	deploymentsDenied bool
}

// File is a changed file of a pull request, as the list-files API shows it.
type File struct {
	Path         string
	PreviousPath string
	// Status is added, modified, removed, renamed, copied, changed or unchanged.
	Status string
	// Patch is the unified diff hunks; "" means GitHub sent none.
	Patch string
	// Additions and Deletions are counted from Patch when zero.
	Additions, Deletions int
}

// Review is a submitted pull request review.
type Review struct {
	ID        int64
	Login     string
	UserType  string
	State     string
	CommitSHA string
	Submitted time.Time
}

// PR is a pull request in the fake.
type PR struct {
	repo   *Repo
	id     int64
	Number int
	Title  string
	Body   string
	Author string
	// AuthorType is "User" or "Bot".
	AuthorType string
	// AuthorAssociation is the author's relation to the repository
	// (default MEMBER).
	AuthorAssociation string
	BaseRef           string
	HeadRef           string
	Draft             bool
	Labels            []string
	state             string
	headSHA           string
	baseSHA           string
	files             []File
	reviews           []Review
	// requestedUsers and requestedTeams are the pending review requests
	// (logins, team slugs), in the order they were made.
	requestedUsers []string
	requestedTeams []string
	// reviewRequests are the review requests received, as sent.
	reviewRequests []ReviewRequest
	commits        []commit
	created        time.Time
	updated        time.Time
}

type commit struct {
	sha     string
	message string
	// touched are the paths this commit changed.
	touched []string
}

// PRSpec describes a pull request to open.
type PRSpec struct {
	Number     int
	Title      string
	Body       string
	Author     string
	AuthorType string
	// AuthorAssociation is OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR, … (default MEMBER).
	AuthorAssociation string
	BaseRef           string
	HeadRef           string
	HeadSHA           string
	// BaseSHA is the base commit (default: a fixed fake SHA with no
	// files); give one CommitFiles made for the contents API to serve
	// the files at the base.
	BaseSHA string
	Draft   bool
	Labels  []string
	Files   []File
	// CommitMessage is the head commit's message.
	CommitMessage string
}

// AddRepo creates a repository visible to an installation.
func (s *Server) AddRepo(installationID int64, owner, name string) *Repo {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.installations[installationID] == nil {
		s.installations[installationID] = &installation{id: installationID, account: owner}
	}
	r := &Repo{
		s: s, id: s.id(), owner: owner, name: name, installation: installationID,
		defaultBranch: "main", private: true, pulls: map[int]*PR{}, nextNumber: 1, orphans: map[string]bool{},
		trees: map[string]map[string]string{}, messages: map[string]string{}, branches: map[string]string{},
		issues:  map[int]*issue{},
		created: time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC),
	}
	s.repos[lower(owner+"/"+name)] = r
	return r
}

func (s *Server) repo(owner, name string) *Repo { return s.repos[lower(owner+"/"+name)] }

// ID is the repository's ID.
func (r *Repo) ID() int64 { return r.id }

// FullName is owner/name.
func (r *Repo) FullName() string { return r.owner + "/" + r.name }

// Installation is the ID of the installation that can see the repository.
func (r *Repo) Installation() int64 { return r.installation }

// OpenPR opens a pull request.
func (r *Repo) OpenPR(spec PRSpec) *PR {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if spec.Number == 0 {
		spec.Number = r.nextNumber
	}
	r.nextNumber = max(r.nextNumber, spec.Number+1)
	now := r.s.now().UTC().Truncate(time.Second)
	pr := &PR{
		repo: r, id: r.s.id(), Number: spec.Number, Title: spec.Title, Body: spec.Body,
		Author: spec.Author, AuthorType: spec.AuthorType, AuthorAssociation: spec.AuthorAssociation, BaseRef: spec.BaseRef, HeadRef: spec.HeadRef,
		Draft: spec.Draft, Labels: spec.Labels, state: "open", headSHA: spec.HeadSHA,
		baseSHA: FakeSHA("base", r.FullName()), files: spec.Files, created: now, updated: now,
	}
	if pr.Author == "" {
		pr.Author = "octo-dev"
	}
	if pr.AuthorType == "" {
		pr.AuthorType = "User"
	}
	if pr.AuthorAssociation == "" {
		pr.AuthorAssociation = "MEMBER"
	}
	if pr.BaseRef == "" {
		pr.BaseRef = r.defaultBranch
	}
	if pr.HeadRef == "" {
		pr.HeadRef = fmt.Sprintf("feature-%d", spec.Number)
	}
	if pr.headSHA == "" {
		pr.headSHA = FakeSHA("head", r.FullName(), fmt.Sprint(spec.Number))
	}
	if spec.BaseSHA != "" {
		pr.baseSHA = spec.BaseSHA
	}
	msg := spec.CommitMessage
	if msg == "" {
		msg = spec.Title
	}
	pr.commits = []commit{{sha: pr.headSHA, message: msg, touched: paths(spec.Files)}}
	r.pulls[pr.Number] = pr
	return pr
}

// PR returns a pull request by number.
func (r *Repo) PR(number int) *PR {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	return r.pulls[number]
}

// HeadSHA is the pull request's current head commit.
func (p *PR) HeadSHA() string {
	p.repo.s.mu.Lock()
	defer p.repo.s.mu.Unlock()
	return p.headSHA
}

// Repo is the pull request's repository.
func (p *PR) Repo() *Repo { return p.repo }

// Push adds a commit on top of the head. The files it changes replace the
// pull request's entries for the same paths (or are added), as the pull
// request's diff would change.
func (p *PR) Push(sha, message string, files ...File) {
	p.repo.s.mu.Lock()
	defer p.repo.s.mu.Unlock()
	p.headSHA = sha
	p.upsertFiles(files)
	p.commits = append(p.commits, commit{sha: sha, message: message, touched: paths(files)})
	p.updated = p.repo.s.now().UTC().Truncate(time.Second)
}

// ForcePush replaces the pull request's history with a single new commit;
// the old commits still exist but are no longer in the branch.
func (p *PR) ForcePush(sha, message string, files ...File) {
	p.repo.s.mu.Lock()
	defer p.repo.s.mu.Unlock()
	for _, c := range p.commits {
		p.repo.orphans[c.sha] = true
	}
	p.headSHA = sha
	p.upsertFiles(files)
	p.commits = []commit{{sha: sha, message: message, touched: paths(p.files)}}
	p.updated = p.repo.s.now().UTC().Truncate(time.Second)
}

func (p *PR) upsertFiles(files []File) {
	for _, f := range files {
		replaced := false
		for i := range p.files {
			if p.files[i].Path == f.Path {
				p.files[i], replaced = f, true
			}
		}
		if !replaced {
			p.files = append(p.files, f)
		}
	}
}

func paths(files []File) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.Path
	}
	return out
}

// Review submits a review on the current head. state is APPROVED,
// CHANGES_REQUESTED or COMMENTED.
func (p *PR) Review(login, state string) Review {
	p.repo.s.mu.Lock()
	defer p.repo.s.mu.Unlock()
	rv := Review{ID: p.repo.s.id(), Login: login, UserType: "User", State: strings.ToUpper(state), CommitSHA: p.headSHA, Submitted: p.repo.s.now().UTC().Truncate(time.Second)}
	if strings.HasSuffix(login, "[bot]") {
		rv.UserType = "Bot"
	}
	p.reviews = append(p.reviews, rv)
	p.updated = rv.Submitted // a review updates the pull request
	p.fulfilRequests(login)
	return rv
}

// ReviewOn submits a review on a given commit, which need not exist (GitHub
// keeps reviews on commits that were force-pushed away).
func (p *PR) ReviewOn(login, state, sha string) Review {
	rv := p.Review(login, state)
	p.repo.s.mu.Lock()
	defer p.repo.s.mu.Unlock()
	for i := range p.reviews {
		if p.reviews[i].ID == rv.ID {
			p.reviews[i].CommitSHA = sha
		}
	}
	rv.CommitSHA = sha
	return rv
}

// DismissReview marks a review as dismissed, as GitHub does.
func (p *PR) DismissReview(id int64) {
	p.repo.s.mu.Lock()
	defer p.repo.s.mu.Unlock()
	for i := range p.reviews {
		if p.reviews[i].ID == id {
			p.reviews[i].State = "DISMISSED"
		}
	}
}

// Close closes the pull request.
func (p *PR) Close() {
	p.repo.s.mu.Lock()
	defer p.repo.s.mu.Unlock()
	p.state = "closed"
}

// Delete removes the pull request, so the API answers 404 for it.
func (p *PR) Delete() {
	p.repo.s.mu.Lock()
	defer p.repo.s.mu.Unlock()
	delete(p.repo.pulls, p.Number)
}

// FakeSHA derives a stable 40-hex commit SHA from parts.
func FakeSHA(parts ...string) string {
	sum := sha1.Sum([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:])
}

func countPatch(patch string) (adds, dels int) {
	for _, l := range strings.Split(patch, "\n") {
		switch {
		case strings.HasPrefix(l, "+"):
			adds++
		case strings.HasPrefix(l, "-"):
			dels++
		}
	}
	return adds, dels
}
