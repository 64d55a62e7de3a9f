package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// CoverageReport is one uploaded report, as stored.
type CoverageReport struct {
	// Repo is "owner/name"; Flag names the test suite ("" for none).
	Repo, SHA, Flag string
	Format          string
	Files, Lines    int
	// Data is the parsed report, encoded by the caller.
	Data       string
	UploadedBy string
	UploadedAt time.Time
}

// SaveCoverage stores a report, replacing an earlier upload of the same
// repository, commit and flag (a re-run of the same CI job).
func SaveCoverage(ctx context.Context, tx Tx, r CoverageReport) error {
	_, err := tx.Exec(ctx, `INSERT INTO coverage_reports (repo, sha, flag, format, files, lines, data, uploaded_by, uploaded_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (repo, sha, flag) DO UPDATE SET format = excluded.format, files = excluded.files, lines = excluded.lines,
			data = excluded.data, uploaded_by = excluded.uploaded_by, uploaded_at = excluded.uploaded_at`,
		strings.ToLower(r.Repo), strings.ToLower(r.SHA), r.Flag, r.Format, r.Files, r.Lines, r.Data, r.UploadedBy, r.UploadedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("store the coverage of %s@%s: %w", r.Repo, r.SHA, err)
	}
	return nil
}

// Coverage returns the reports uploaded for a commit, one per flag.
func Coverage(ctx context.Context, db *DB, repo, sha string) ([]CoverageReport, error) {
	var out []CoverageReport
	err := db.InTx(ctx, func(tx Tx) error {
		return tx.Query(ctx, `SELECT repo, sha, flag, format, files, lines, data, uploaded_by, uploaded_at
			FROM coverage_reports WHERE repo = $1 AND sha = $2 ORDER BY flag`, []any{strings.ToLower(repo), strings.ToLower(sha)}, func(r Row) error {
			var c CoverageReport
			var at int64
			if err := r.Scan(&c.Repo, &c.SHA, &c.Flag, &c.Format, &c.Files, &c.Lines, &c.Data, &c.UploadedBy, &at); err != nil {
				return err
			}
			c.UploadedAt = time.UnixMilli(at).UTC()
			out = append(out, c)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read the coverage of %s@%s: %w", repo, sha, err)
	}
	return out, nil
}

// HasCoverage reports whether any report was uploaded for the repository
// since a time: a repository whose CI uploads coverage waits for it.
func HasCoverage(ctx context.Context, db *DB, repo string, since time.Time) (bool, error) {
	var n int
	err := db.InTx(ctx, func(tx Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM coverage_reports WHERE repo = $1 AND uploaded_at >= $2 LIMIT 1) AS recent`,
			strings.ToLower(repo), since.UnixMilli()).Scan(&n)
	})
	if err != nil {
		return false, fmt.Errorf("look for coverage of %s: %w", repo, err)
	}
	return n > 0, nil
}

// NoteHead records the head commit a pull request is evaluated at and
// returns since when it has been the head (now, for a new head).
func NoteHead(ctx context.Context, db *DB, repoID int64, number int, sha string, now time.Time) (time.Time, error) {
	sha = strings.ToLower(sha)
	var since time.Time
	err := db.InTx(ctx, func(tx Tx) error {
		var head sql.NullString
		var seen sql.NullInt64
		err := tx.QueryRow(ctx, `SELECT head_sha, head_seen_at FROM pr_queue WHERE repo_id = $1 AND pr_number = $2`, repoID, number).Scan(&head, &seen)
		if errors.Is(err, ErrNotFound) {
			since = now // not from a webhook (mergeguard eval): nothing to record
			return nil
		}
		if err != nil {
			return err
		}
		if head.Valid && head.String == sha && seen.Valid {
			since = time.UnixMilli(seen.Int64).UTC()
			return nil
		}
		since = now
		_, err = tx.Exec(ctx, `UPDATE pr_queue SET head_sha = $1, head_seen_at = $2 WHERE repo_id = $3 AND pr_number = $4`,
			sha, now.UnixMilli(), repoID, number)
		return err
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("record the head of pull request %d: %w", number, err)
	}
	return since, nil
}

// PullRequestsAt returns the pull requests of a repository whose head was
// last seen at sha, with their installation: they are evaluated again when
// coverage for that commit arrives.
func PullRequestsAt(ctx context.Context, db *DB, repo, sha string) ([]PRState, error) {
	var out []PRState
	err := db.InTx(ctx, func(tx Tx) error {
		return tx.Query(ctx, `SELECT repo_id, pr_number, repo, installation_id FROM pr_queue WHERE lower(repo) = $1 AND head_sha = $2`,
			[]any{strings.ToLower(repo), strings.ToLower(sha)}, func(r Row) error {
				var st PRState
				if err := r.Scan(&st.Key.RepoID, &st.Key.Number, &st.Key.Repo, &st.InstallationID); err != nil {
					return err
				}
				out = append(out, st)
				return nil
			})
	})
	if err != nil {
		return nil, fmt.Errorf("find the pull requests of %s at %s: %w", repo, sha, err)
	}
	return out, nil
}
