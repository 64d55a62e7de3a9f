package facts

import (
	"bytes"
	"context"
	"fmt"

	"github.com/sourcegraph/go-diff/diff"

	"github.com/mergeguard/mergeguard/internal/migration"
)

// MaxMigrationBytes bounds the head content read of one SQL file for its
// projection: a migration larger than this is reported, not read.
const MaxMigrationBytes = migration.DefaultMaxBytes

// HeadReader returns a SQL file's whole content at the head commit. why
// says why it cannot be had (too large, missing), err is a failure to
// retry (a request that failed): a file is never passed over because a
// read failed.
type HeadReader func(ctx context.Context, path string) (content []byte, why string, err error)

// NeedsProjection says whether f is a SQL file whose head content the
// migration projection needs: every .sql file the pull request adds or
// changes (which of them are migrations is the policy's globs to decide).
func NeedsProjection(f File) bool {
	return isSQL(f.Path) && f.Status != "removed" && !f.Binary && f.Migration == nil && f.MigrationUnread == ""
}

// ProjectMigrations reads the head content of every SQL file that needs a
// projection (its content already known, or through read) and projects
// it with PostgreSQL's parser. It waits for the parser (migration.Ready)
// with ctx, so it must not run before the parser could be warmed, and
// only the first call of a process pays the compile. A file whose content
// cannot be had gets MigrationUnread instead; at most maxReads files are
// read through read, the rest say so.
func ProjectMigrations(ctx context.Context, files []File, read HeadReader, maxReads int) ([]File, error) {
	var todo []int
	for i, f := range files {
		if NeedsProjection(f) {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return files, nil
	}
	if err := migration.Ready(ctx); err != nil {
		return nil, err
	}
	out := make([]File, len(files))
	copy(out, files)
	reads := 0
	for _, i := range todo {
		f := out[i]
		content := f.content
		if content == nil {
			if read == nil {
				out[i].MigrationUnread = "its content at the head commit is not available, so its statements were not checked"
				continue
			}
			if reads >= maxReads {
				out[i].MigrationUnread = fmt.Sprintf("the pull request changes more than %d SQL files and mergeguard reads at most %d in one evaluation, so its statements were not checked", maxReads, maxReads)
				continue
			}
			reads++
			c, why, err := read(ctx, f.Path)
			if err != nil {
				return nil, fmt.Errorf("read %s at the head to check it as a migration: %w", f.Path, err)
			}
			if why != "" {
				out[i].MigrationUnread = why
				continue
			}
			content = c
		}
		out[i].Migration = migration.Project(ctx, f.Path, content, migration.Options{MaxBytes: MaxMigrationBytes})
		out[i].content = nil
	}
	return out, nil
}

// TooLargeToProject is the MigrationUnread of a file over
// MaxMigrationBytes (size < 0 when unknown).
func TooLargeToProject(size int64) string {
	if size < 0 {
		return fmt.Sprintf("the file is larger than the %d MiB mergeguard reads, so its statements were not checked", MaxMigrationBytes>>20)
	}
	return fmt.Sprintf("the file is %d bytes, more than the %d MiB mergeguard reads, so its statements were not checked", size, MaxMigrationBytes>>20)
}

// WithContent gives f's whole content at the head (eval's files/<path>),
// for ProjectMigrations.
func WithContent(f File, content []byte) File {
	f.content = content
	return f
}

// addedContent is the whole content of a file a diff adds: its added
// lines, untruncated (File.AddedLines are cut at MaxLineBytes).
func addedContent(hunks []*diff.Hunk) []byte {
	var b bytes.Buffer
	for _, h := range hunks {
		for _, raw := range bytes.Split(bytes.TrimSuffix(h.Body, []byte("\n")), []byte("\n")) {
			if len(raw) > 0 && raw[0] == '+' {
				b.Write(raw[1:])
				b.WriteByte('\n')
			}
		}
	}
	if b.Len() == 0 {
		return []byte{}
	}
	return b.Bytes()
}
