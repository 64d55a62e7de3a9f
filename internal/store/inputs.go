package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// MaxStoredInput bounds an evaluation's input document as stored,
// compressed. A document over it is not stored (its size is): a pull
// request with a huge diff must not make the audit trail grow by megabytes
// per evaluation. Typical documents compress to a few KiB.
const MaxStoredInput = 256 << 10

// maxInputJSON bounds a stored document once decompressed, so that a
// corrupted or hostile row cannot expand without limit when read back.
const maxInputJSON = 64 << 20

// encodeInput compresses an input document for the evaluations table. It
// returns nil when there is none or it is over MaxStoredInput compressed.
func encodeInput(doc []byte) (*string, error) {
	if len(doc) == 0 {
		return nil, nil
	}
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(doc); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	if b.Len() > MaxStoredInput {
		return nil, nil
	}
	s := base64.StdEncoding.EncodeToString(b.Bytes())
	return &s, nil
}

// decodeInput is encodeInput's inverse.
func decodeInput(s string) ([]byte, error) { return decodeInputMax(s, maxInputJSON) }

// ErrInputTooLarge is what decoding returns for a stored document larger
// than the reader's bound once decompressed.
var ErrInputTooLarge = errors.New("stored input document too large to read")

// decodeInputMax decodes a stored document, reading at most max bytes of
// it decompressed.
func decodeInputMax(s string, max int) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	doc, err := io.ReadAll(io.LimitReader(zr, int64(max)+1))
	if err != nil {
		return nil, err
	}
	if len(doc) > max {
		return nil, fmt.Errorf("%w: larger than %d KiB decompressed", ErrInputTooLarge, max>>10)
	}
	return doc, nil
}

// StoredInput is the latest stored input document of one pull request,
// with the verdict it was given then.
type StoredInput struct {
	At         time.Time
	Repo       string // owner/name, lower case
	Number     int
	HeadSHA    string
	Policy     string
	Conclusion string
	// Rules are the outcomes of the evaluation (pass, fail, …).
	Rules map[string]string
	// Version is the document's input.version.
	Version int
	// Document is the input document (JSON).
	Document []byte
}

// InputFilter selects stored inputs.
type InputFilter struct {
	Since time.Time
	// Owner and Repo (owner/name) narrow the pull requests; "" keeps all.
	Owner, Repo string
	// Limit bounds how many pull requests are returned, the most recently
	// evaluated first (default 500).
	Limit int
}

// InputStats counts the pull requests evaluated in the window whose latest
// evaluation has no stored input document.
type InputStats struct {
	// TooLarge documents were over MaxStoredInput compressed.
	TooLarge int
	// NotStored predate the storing of input documents.
	NotStored int
}

// LatestInputs returns, for each pull request evaluated since f.Since, its
// latest evaluation with a stored input document, newest first.
func LatestInputs(ctx context.Context, tx Tx, f InputFilter) ([]StoredInput, error) {
	if f.Limit <= 0 {
		f.Limit = 500
	}
	conds := []string{"at >= $1", "input IS NOT NULL"}
	args := []any{f.Since.UnixMilli()}
	if f.Owner != "" {
		args = append(args, strings.ToLower(f.Owner))
		conds = append(conds, fmt.Sprintf("owner = $%d", len(args)))
	}
	if f.Repo != "" {
		args = append(args, strings.ToLower(f.Repo))
		conds = append(conds, fmt.Sprintf("repo = $%d", len(args)))
	}
	args = append(args, f.Limit)
	// One row per pull request: its newest evaluation with an input.
	q := `SELECT at, repo, pr_number, head_sha, policy, conclusion, rules, input_version, input FROM (
		SELECT at, repo, pr_number, head_sha, policy, conclusion, rules, input_version, input,
			ROW_NUMBER() OVER (PARTITION BY repo, pr_number ORDER BY at DESC, id DESC) AS rn
		FROM evaluations WHERE ` + strings.Join(conds, " AND ") + `) latest
		WHERE rn = 1 ORDER BY at DESC, repo, pr_number LIMIT $` + fmt.Sprint(len(args))
	var out []StoredInput
	err := tx.Query(ctx, q, args, func(r Row) error {
		var s StoredInput
		var at, version int64
		var rules, input string
		if err := r.Scan(&at, &s.Repo, &s.Number, &s.HeadSHA, &s.Policy, &s.Conclusion, &rules, &version, &input); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(rules), &s.Rules); err != nil {
			return fmt.Errorf("evaluation of %s#%d: rules: %w", s.Repo, s.Number, err)
		}
		doc, err := decodeInput(input)
		if err != nil {
			return fmt.Errorf("evaluation of %s#%d: stored input: %w", s.Repo, s.Number, err)
		}
		s.At, s.Version, s.Document = time.UnixMilli(at).UTC(), int(version), doc
		out = append(out, s)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read stored inputs: %w", err)
	}
	return out, nil
}

// MissingInputs counts the pull requests evaluated since f.Since whose
// evaluations in the window stored no input document at all, so that
// replay can say what it could not replay.
func MissingInputs(ctx context.Context, tx Tx, f InputFilter) (InputStats, error) {
	conds := []string{"at >= $1"}
	args := []any{f.Since.UnixMilli()}
	if f.Owner != "" {
		args = append(args, strings.ToLower(f.Owner))
		conds = append(conds, fmt.Sprintf("owner = $%d", len(args)))
	}
	if f.Repo != "" {
		args = append(args, strings.ToLower(f.Repo))
		conds = append(conds, fmt.Sprintf("repo = $%d", len(args)))
	}
	var st InputStats
	q := `SELECT MAX(CASE WHEN input IS NOT NULL THEN 1 ELSE 0 END), MAX(input_size) FROM evaluations WHERE ` +
		strings.Join(conds, " AND ") + ` GROUP BY repo, pr_number`
	err := tx.Query(ctx, q, args, func(r Row) error {
		var stored, size int64
		if err := r.Scan(&stored, &size); err != nil {
			return err
		}
		switch {
		case stored == 1:
		case size > 0:
			st.TooLarge++
		default:
			st.NotStored++
		}
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("count evaluations without stored inputs: %w", err)
	}
	return st, nil
}

// EvaluationInput is one evaluation's stored input document, as the web
// view reads it.
type EvaluationInput struct {
	// Found is false when the pull request has no evaluation with that id.
	Found bool
	// Stored is true when the document was stored; Document is nil when it
	// was not (too large, or recorded before documents were stored).
	Stored   bool
	Document []byte
	// Size is the document's size in bytes when it was recorded (0 for an
	// evaluation recorded before sizes were).
	Size int64
}

// ReadEvaluationInput returns the stored input document of the evaluation
// id of a pull request, decompressed up to max bytes (ErrInputTooLarge
// beyond). The repository and number are part of the lookup, so an id
// from another pull request finds nothing.
func ReadEvaluationInput(ctx context.Context, tx Tx, repo string, number int, id string, max int) (EvaluationInput, error) {
	var out EvaluationInput
	var input sql.NullString
	err := tx.Query(ctx, `SELECT input, input_size FROM evaluations WHERE repo = $1 AND pr_number = $2 AND id = $3`,
		[]any{strings.ToLower(repo), number, id}, func(r Row) error {
			out.Found = true
			return r.Scan(&input, &out.Size)
		})
	if err != nil {
		return out, fmt.Errorf("read the stored input of %s#%d: %w", repo, number, err)
	}
	if !input.Valid {
		return out, nil
	}
	out.Stored = true
	if out.Document, err = decodeInputMax(input.String, max); err != nil {
		return out, fmt.Errorf("stored input of %s#%d: %w", repo, number, err)
	}
	return out, nil
}
