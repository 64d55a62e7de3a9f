package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mergeguard/mergeguard/internal/coverage"
	"github.com/mergeguard/mergeguard/internal/decision"
)

// newCoverageCommand is `mergeguard coverage upload`, for CI.
func newCoverageCommand(getenv Env) *cobra.Command {
	cmd := &cobra.Command{Use: "coverage", Short: "Upload coverage reports from CI"}
	var repo, sha, flag, server, audience string
	upload := &cobra.Command{
		Use:   "upload FILE",
		Short: "Upload a coverage report for a commit",
		Long: `Upload a coverage report for a commit, so mergeguard can check the diff coverage
of the pull requests at that commit: a Go cover profile, LCOV, Cobertura, JaCoCo or
Clover XML, Istanbul's coverage-final.json or coverage.py's JSON report.

In GitHub Actions, with "permissions: id-token: write", the upload is authenticated
with the workflow's ID token and --repo and --sha default to the repository and
the commit under test (for pull_request events, the pull request's head).
Elsewhere, set MERGEGUARD_UPLOAD_TOKEN to an upload token the server accepts.

The server is --server or MERGEGUARD_SERVER_URL. The report is checked before it
is sent; a malformed report fails here, with the problem.`,
		Example: `  mergeguard coverage upload --server https://mergeguard.acme.dev coverage.out
  mergeguard coverage upload --flag integration --repo acme/shop --sha $SHA coverage.xml`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			fail := func(err error) error { return &ExitError{Code: ExitFailure, Err: err} }
			if server == "" {
				server = getenv("MERGEGUARD_SERVER_URL")
			}
			u, err := url.Parse(server)
			if server == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				return fail(errors.New("give the mergeguard server's URL with --server or MERGEGUARD_SERVER_URL, e.g. https://mergeguard.acme.dev"))
			}
			if repo == "" {
				repo = getenv("GITHUB_REPOSITORY")
			}
			if sha == "" {
				if sha, err = actionsCommit(getenv); err != nil {
					return fail(err)
				}
			}
			if repo == "" || sha == "" {
				return fail(errors.New("give --repo owner/name and --sha COMMIT (they default to the GitHub Actions run's)"))
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return fail(err)
			}
			report, format, err := coverage.Parse(data)
			if err != nil {
				return fail(fmt.Errorf("%s: %w", args[0], err))
			}
			token, err := uploadToken(c.Context(), getenv, audience)
			if err != nil {
				return fail(err)
			}
			q := url.Values{"repo": {repo}, "sha": {sha}}
			if flag != "" {
				q.Set("flag", flag)
			}
			endpoint := strings.TrimSuffix(server, "/") + "/api/v1/coverage?" + q.Encode()
			body, err := sendReport(c.Context(), endpoint, token, data)
			if err != nil {
				return fail(err)
			}
			var up struct {
				PullRequests int `json:"pull_requests"`
			}
			_ = json.Unmarshal(body, &up)
			fmt.Fprintf(c.OutOrStdout(), "Uploaded %s coverage of %d files for %s@%s", format, len(report.Files), repo, decision.ShortSHA(sha))
			if flag != "" {
				fmt.Fprintf(c.OutOrStdout(), " (flag %s)", flag)
			}
			fmt.Fprintf(c.OutOrStdout(), "; %d pull requests are evaluated again.\n", up.PullRequests)
			return nil
		},
	}
	upload.Flags().StringVar(&repo, "repo", "", "the repository, owner/name (default $GITHUB_REPOSITORY)")
	upload.Flags().StringVar(&sha, "sha", "", "the commit the report is for (default: the pull request's head, or $GITHUB_SHA)")
	upload.Flags().StringVar(&flag, "flag", "", "the test suite, when several upload (unit, integration)")
	upload.Flags().StringVar(&server, "server", "", "the mergeguard server (default $MERGEGUARD_SERVER_URL)")
	upload.Flags().StringVar(&audience, "audience", "mergeguard", "the ID token's audience (MERGEGUARD_OIDC_AUDIENCE on the server)")
	cmd.AddCommand(upload)
	return cmd
}

// actionsCommit is the commit under test in GitHub Actions: the pull
// request's head for pull_request events (GITHUB_SHA is then the merge
// commit GitHub made, which is not what reviewers see), GITHUB_SHA
// otherwise.
func actionsCommit(getenv Env) (string, error) {
	if strings.HasPrefix(getenv("GITHUB_EVENT_NAME"), "pull_request") && getenv("GITHUB_EVENT_PATH") != "" {
		raw, err := os.ReadFile(getenv("GITHUB_EVENT_PATH"))
		if err != nil {
			return "", fmt.Errorf("read the workflow's event (GITHUB_EVENT_PATH): %w", err)
		}
		var event struct {
			PullRequest struct {
				Head struct {
					SHA string `json:"sha"`
				} `json:"head"`
			} `json:"pull_request"`
		}
		if err := json.Unmarshal(raw, &event); err == nil && event.PullRequest.Head.SHA != "" {
			return event.PullRequest.Head.SHA, nil
		}
	}
	return getenv("GITHUB_SHA"), nil
}

// uploadToken is MERGEGUARD_UPLOAD_TOKEN, or else the GitHub Actions ID
// token for the audience.
func uploadToken(ctx context.Context, getenv Env, audience string) (string, error) {
	if t := getenv("MERGEGUARD_UPLOAD_TOKEN"); t != "" {
		return t, nil
	}
	reqURL, reqToken := getenv("ACTIONS_ID_TOKEN_REQUEST_URL"), getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
	if reqURL == "" || reqToken == "" {
		return "", errors.New("no credentials: in GitHub Actions, give the job \"permissions: id-token: write\"; elsewhere set MERGEGUARD_UPLOAD_TOKEN")
	}
	u, err := url.Parse(reqURL)
	if err != nil {
		return "", fmt.Errorf("ACTIONS_ID_TOKEN_REQUEST_URL: %w", err)
	}
	q := u.Query()
	q.Set("audience", audience)
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+reqToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("request an ID token from GitHub Actions: %w", err)
	}
	defer resp.Body.Close()
	var out struct {
		Value string `json:"value"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out) != nil || out.Value == "" {
		return "", fmt.Errorf("GitHub Actions did not give an ID token (HTTP %d): check \"permissions: id-token: write\"", resp.StatusCode)
	}
	return out.Value, nil
}

// sendReport posts the report gzipped, retrying while the server is
// briefly unavailable.
func sendReport(ctx context.Context, endpoint, token string, data []byte) ([]byte, error) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	zw.Close()
	var lastErr error
	for attempt := 0; attempt < 4; attempt++ {
		if attempt > 0 {
			select {
			case <-time.After(time.Duration(attempt*attempt) * 2 * time.Second):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(gz.Bytes()))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Encoding", "gzip")
		req.Header.Set("Content-Type", "application/octet-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			lastErr = fmt.Errorf("upload: %w", err)
			continue
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if resp.StatusCode == http.StatusCreated {
			return body, nil
		}
		var e struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(body, &e)
		lastErr = fmt.Errorf("the server refused the upload (HTTP %d): %s", resp.StatusCode, e.Error)
		if resp.StatusCode != http.StatusServiceUnavailable && resp.StatusCode != http.StatusBadGateway && resp.StatusCode != http.StatusGatewayTimeout {
			return nil, lastErr
		}
	}
	return nil, lastErr
}
