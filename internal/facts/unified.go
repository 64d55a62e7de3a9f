package facts

import (
	"fmt"
	"strings"

	"github.com/sourcegraph/go-diff/diff"
)

// ParseUnifiedDiff reads a whole multi-file unified diff (as `git diff` or
// GitHub's .diff view print it) into file facts. A file whose hunks cannot be
// read is kept with ParseError set; the rest of the diff is still used.
func ParseUnifiedDiff(data []byte) ([]File, error) {
	fds, err := diff.ParseMultiFileDiff(data)
	if err != nil {
		return nil, fmt.Errorf("parse unified diff: %w; the file must be a unified diff as `git diff` prints it, with every hunk header like @@ -10,3 +10,4 @@", err)
	}
	if len(fds) == 0 && len(strings.TrimSpace(string(data))) > 0 {
		return nil, fmt.Errorf("parse unified diff: no file headers found (expected lines starting with \"diff --git\" or \"---\"/\"+++\")")
	}
	files := make([]File, 0, len(fds))
	for _, fd := range fds {
		files = append(files, fileFromDiff(fd))
	}
	return files, nil
}

func fileFromDiff(fd *diff.FileDiff) File {
	oldPath, newPath := stripPrefix(fd.OrigName, "a/"), stripPrefix(fd.NewName, "b/")
	f := File{Status: "modified", Path: newPath}
	for _, h := range fd.Extended {
		switch {
		case strings.HasPrefix(h, "new file mode"):
			f.Status = "added"
		case strings.HasPrefix(h, "deleted file mode"):
			f.Status = "removed"
		case strings.HasPrefix(h, "rename from "):
			f.Status, oldPath = "renamed", strings.TrimPrefix(h, "rename from ")
		case strings.HasPrefix(h, "rename to "):
			newPath = strings.TrimPrefix(h, "rename to ")
		case strings.HasPrefix(h, "copy from "):
			f.Status, oldPath = "copied", strings.TrimPrefix(h, "copy from ")
		case strings.HasPrefix(h, "copy to "):
			newPath = strings.TrimPrefix(h, "copy to ")
		case strings.HasPrefix(h, "Binary files ") || h == "GIT binary patch":
			f.Binary = true
		}
	}
	switch {
	case newPath == "/dev/null" || f.Status == "removed":
		f.Status, f.Path = "removed", oldPath
	case oldPath == "/dev/null":
		f.Status, f.Path = "added", newPath
	default:
		f.Path = newPath
		if f.Status == "renamed" || f.Status == "copied" {
			f.PreviousPath = oldPath
		}
	}
	lines, err := readHunks(fd.Hunks)
	if err != nil {
		f.ParseError = err.Error()
		return normaliseFile(f)
	}
	f.Hunks, f.AddedLines, f.RemovedLines = lines.hunks, lines.added, lines.removed
	f.Additions, f.Deletions = len(lines.added), len(lines.removed)
	if f.Status == "added" && isSQL(f.Path) {
		// A new file's hunk is the whole file: its content needs no read.
		f.content = addedContent(fd.Hunks)
	}
	return normaliseFile(f)
}

func stripPrefix(name, prefix string) string {
	if name == "/dev/null" {
		return name
	}
	return strings.TrimPrefix(name, prefix)
}
