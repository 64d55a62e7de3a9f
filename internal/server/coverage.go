// The coverage endpoint receives coverage reports from CI:
//
//	POST /api/v1/coverage?repo=owner/name&sha=SHA[&flag=unit]
//	Authorization: Bearer <GitHub Actions OIDC ID token, or an upload token>
//	body: the report (any format coverage.Parse reads, told apart by
//	      content; Content-Encoding: gzip accepted)
//
// A report is parsed before anything is stored: a malformed one is
// answered 400, an oversized one 413, each with a message naming the
// problem. A stored report re-evaluates the pull requests whose head is
// that commit.

package server

import (
	"compress/gzip"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/mergeguard/mergeguard/internal/coverage"
	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/httpjson"
	"github.com/mergeguard/mergeguard/internal/oidcauth"
	"github.com/mergeguard/mergeguard/internal/settings"
	"github.com/mergeguard/mergeguard/internal/store"
	"github.com/mergeguard/mergeguard/internal/text"
)

// CoverageVerifier checks GitHub Actions ID tokens.
type CoverageVerifier interface {
	Verify(ctx context.Context, raw string) (oidcauth.Claims, error)
}

// CoverageHeads says which commit is a pull request's head, for uploads from
// pull_request workflows, whose token names the merge commit.
type CoverageHeads interface {
	PullRequestHead(ctx context.Context, repo string, number int) (string, error)
}

// CoverageHandler serves POST /api/v1/coverage.
type CoverageHandler struct {
	DB *store.DB
	// Verifier is nil when OIDC is off.
	Verifier CoverageVerifier
	Tokens   []settings.UploadToken
	Heads    CoverageHeads
	// Reevaluate queues the pull requests of repo whose head is sha.
	Reevaluate func(ctx context.Context, repo, sha string) (int, error)
	MaxBytes   int64
	Now        func() time.Time
	Log        *slog.Logger
	// verifying bounds ID-token checks: a token naming an unknown key makes
	// the verifier fetch the issuer's keys, and anyone can send one.
	verifying *rate.Limiter
	once      sync.Once
}

var (
	repoPattern = regexp.MustCompile(`^[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}$`)
	shaPattern  = regexp.MustCompile(`^[0-9a-fA-F]{40}$`)
	flagPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
	pullRef     = regexp.MustCompile(`^refs/pull/([0-9]+)/merge$`)
)

// CoverageUpload is what the answer says about a stored report.
type CoverageUpload struct {
	Repo         string `json:"repo"`
	SHA          string `json:"sha"`
	Flag         string `json:"flag"`
	Format       string `json:"format"`
	Files        int    `json:"files"`
	Lines        int    `json:"lines"`
	PullRequests int    `json:"pull_requests"`
}

func (h *CoverageHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		h.Log.Info("coverage upload refused", "status", status, "reason", msg, "remote", r.RemoteAddr)
		httpjson.Write(w, status, map[string]string{"error": msg})
	}
	q := r.URL.Query()
	repo, sha, flag := q.Get("repo"), strings.ToLower(q.Get("sha")), q.Get("flag")
	switch {
	case !repoPattern.MatchString(repo):
		fail(http.StatusBadRequest, "repo=%q: give the repository as owner/name", text.Clip(repo, 80))
		return
	case !shaPattern.MatchString(sha):
		fail(http.StatusBadRequest, "sha=%q: give the full 40-character commit SHA the report is for", text.Clip(sha, 80))
		return
	case flag != "" && !flagPattern.MatchString(flag):
		fail(http.StatusBadRequest, "flag=%q: use letters, digits, '.', '_' or '-' (at most 64)", text.Clip(flag, 80))
		return
	}

	by, status, err := h.authenticate(r, repo, sha)
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="mergeguard coverage"`)
		fail(status, "%v", err)
		return
	}

	body, err := h.readBody(w, r)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig) || errors.Is(err, errTooLarge):
		fail(http.StatusRequestEntityTooLarge, "the report is larger than %d MiB (MERGEGUARD_COVERAGE_MAX_BYTES); upload only the packages the repository's pull requests change, or ask the operator to raise the limit", h.MaxBytes>>20)
		return
	case err != nil:
		fail(http.StatusBadRequest, "could not read the report: %v", err)
		return
	}
	report, format, err := coverage.Parse(body)
	if err != nil {
		fail(http.StatusBadRequest, "the report cannot be used: %v", err)
		return
	}
	report = report.Normalize(repo)
	data, err := coverage.Encode(report)
	if err != nil {
		fail(http.StatusInternalServerError, "could not store the report: %v", err)
		return
	}
	up := CoverageUpload{Repo: repo, SHA: sha, Flag: flag, Format: string(format), Files: len(report.Files)}
	for _, lines := range report.Files {
		up.Lines += len(lines)
	}
	err = h.DB.InTx(r.Context(), func(tx store.Tx) error {
		return store.SaveCoverage(r.Context(), tx, store.CoverageReport{
			Repo: repo, SHA: sha, Flag: flag, Format: up.Format, Files: up.Files, Lines: up.Lines,
			Data: data, UploadedBy: by, UploadedAt: h.Now(),
		})
	})
	if err != nil {
		h.Log.Error("could not store a coverage report", "repo", repo, "sha", sha, "err", err)
		httpjson.Write(w, http.StatusServiceUnavailable, map[string]string{"error": "the report could not be stored; upload it again shortly"})
		return
	}
	if up.PullRequests, err = h.Reevaluate(r.Context(), repo, sha); err != nil {
		// Stored: the next event, or the wait's end, evaluates with it.
		h.Log.Warn("stored coverage, but could not queue the pull requests at that commit", "repo", repo, "sha", sha, "err", err)
	}
	h.Log.Info("coverage uploaded", "repo", repo, "sha", sha, "flag", flag, "format", format, "files", up.Files, "lines", up.Lines, "by", by, "pull_requests", up.PullRequests)
	httpjson.Write(w, http.StatusCreated, up)
}

// authenticate accepts an upload token whose scope covers the repository,
// or a GitHub Actions ID token from a workflow of that repository for that
// commit. It returns who uploaded, for the record.
func (h *CoverageHandler) authenticate(r *http.Request, repo, sha string) (string, int, error) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	raw = strings.TrimSpace(raw)
	if !ok || raw == "" {
		return "", http.StatusUnauthorized, errors.New("send Authorization: Bearer with a GitHub Actions ID token (permissions: id-token: write) or an upload token")
	}
	for _, t := range h.Tokens {
		if subtle.ConstantTimeCompare([]byte(raw), []byte(t.Token)) == 1 {
			if !t.Allows(repo) {
				return "", http.StatusForbidden, fmt.Errorf("this upload token is for %s, not %s", t.Scope, repo)
			}
			return "token:" + t.Scope, 0, nil
		}
	}
	if strings.Count(raw, ".") != 2 {
		return "", http.StatusUnauthorized, errors.New("the token is not a known upload token; use one from MERGEGUARD_UPLOAD_TOKENS, or a GitHub Actions ID token")
	}
	if h.Verifier == nil {
		return "", http.StatusUnauthorized, errors.New("this server does not accept GitHub Actions ID tokens (MERGEGUARD_OIDC_ISSUER is off): upload with a token from MERGEGUARD_UPLOAD_TOKENS, or ask the operator to turn ID tokens on")
	}
	h.once.Do(func() { h.verifying = rate.NewLimiter(20, 40) })
	if !h.verifying.Allow() {
		return "", http.StatusTooManyRequests, errors.New("too many ID tokens to check right now; upload again in a few seconds")
	}
	claims, err := h.Verifier.Verify(r.Context(), raw)
	var oerr *oidcauth.Error
	switch {
	case errors.As(err, &oerr) && oerr.Temporary():
		return "", http.StatusServiceUnavailable, fmt.Errorf("the ID token could not be checked now (%s); upload again shortly", oerr.Detail)
	case err != nil:
		return "", http.StatusUnauthorized, fmt.Errorf("the ID token was refused: %v", err)
	case !strings.EqualFold(claims.Repository, repo):
		return "", http.StatusForbidden, fmt.Errorf("the ID token is from a workflow of %s, not %s", claims.Repository, repo)
	}
	if !strings.EqualFold(claims.SHA, sha) {
		// A pull_request workflow's token names the merge commit GitHub
		// made; its report is for the pull request's head.
		m := pullRef.FindStringSubmatch(claims.Ref)
		if m == nil || h.Heads == nil {
			return "", http.StatusForbidden, fmt.Errorf("the ID token is for commit %s, not %s", decision.ShortSHA(claims.SHA), decision.ShortSHA(sha))
		}
		n, _ := strconv.Atoi(m[1])
		head, err := h.Heads.PullRequestHead(r.Context(), repo, n)
		if err != nil {
			return "", http.StatusServiceUnavailable, fmt.Errorf("could not check pull request #%d's head: %v", n, err)
		}
		if !strings.EqualFold(head, sha) {
			return "", http.StatusForbidden, fmt.Errorf("the ID token is for pull request #%d, whose head is %s, not %s", n, decision.ShortSHA(head), decision.ShortSHA(sha))
		}
	}
	return "actions:" + claims.Actor + "@" + claims.Workflow, 0, nil
}

var errTooLarge = errors.New("report too large")

// readBody reads the report within MaxBytes, after decompression when it
// is sent gzipped.
func (h *CoverageHandler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body := io.Reader(http.MaxBytesReader(w, r.Body, h.MaxBytes))
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(body)
		if err != nil {
			return nil, fmt.Errorf("Content-Encoding is gzip, but the body is not: %w", err)
		}
		defer zr.Close()
		body = zr
	}
	data, err := io.ReadAll(io.LimitReader(body, h.MaxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > h.MaxBytes {
		return nil, errTooLarge
	}
	return data, nil
}
