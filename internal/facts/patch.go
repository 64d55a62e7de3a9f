package facts

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/sourcegraph/go-diff/diff"

	"github.com/mergeguard/mergeguard/internal/text"
)

// MaxLineBytes bounds the text kept for one added line, so that a minified
// file cannot blow up memory or the policy input.
const MaxLineBytes = 4096

// patchLines is what one file's hunks say.
type patchLines struct {
	hunks   []Hunk
	added   []Line
	removed []int
}

// parsePatch reads the hunks of one file's patch, as GitHub's list-files API
// sends it (hunks only, no file header).
func parsePatch(patch string) (patchLines, error) {
	hunks, err := diff.ParseHunks([]byte(patch))
	if err != nil {
		return patchLines{}, fmt.Errorf("unreadable patch: %w", err)
	}
	return readHunks(hunks)
}

// readHunks turns parsed hunks into line facts. go-diff does not check that a
// hunk's body matches the line counts in its header (garbage ends a hunk
// early, a truncated body is accepted), so the counts are checked here and a
// mismatch is an error rather than a silently partial result.
func readHunks(hunks []*diff.Hunk) (patchLines, error) {
	var out patchLines
	for i, h := range hunks {
		out.hunks = append(out.hunks, Hunk{
			OldStart: int(h.OrigStartLine), OldLines: int(h.OrigLines),
			NewStart: int(h.NewStartLine), NewLines: int(h.NewLines),
		})
		oldLine, newLine := int(h.OrigStartLine), int(h.NewStartLine)
		var oldSeen, newSeen int
		body := h.Body
		// The last body line has no trailing newline when the file ended
		// without one; splitting must not invent an empty extra line.
		body = bytes.TrimSuffix(body, []byte("\n"))
		if len(h.Body) == 0 {
			body = nil
		}
		for _, raw := range splitLines(body) {
			if len(raw) == 0 {
				// An empty line is a context line whose leading space was
				// stripped (editors and some tools do this).
				oldLine, newLine, oldSeen, newSeen = oldLine+1, newLine+1, oldSeen+1, newSeen+1
				continue
			}
			content := raw[1:]
			switch raw[0] {
			case ' ':
				oldLine, newLine, oldSeen, newSeen = oldLine+1, newLine+1, oldSeen+1, newSeen+1
			case '-':
				out.removed = append(out.removed, oldLine)
				oldLine, oldSeen = oldLine+1, oldSeen+1
			case '+':
				out.added = append(out.added, newLineFact(newLine, content))
				newLine, newSeen = newLine+1, newSeen+1
			case '\\':
				// "\ No newline at end of file" describes the previous line.
			default:
				return patchLines{}, fmt.Errorf("hunk %d (@@ -%d,%d +%d,%d @@): line %q does not start with ' ', '-' or '+'",
					i+1, h.OrigStartLine, h.OrigLines, h.NewStartLine, h.NewLines, text.Clip(string(raw), 40))
			}
		}
		if oldSeen != int(h.OrigLines) || newSeen != int(h.NewLines) {
			return patchLines{}, fmt.Errorf("hunk %d (@@ -%d,%d +%d,%d @@) has %d old and %d new lines in its body: the patch is truncated or malformed",
				i+1, h.OrigStartLine, h.OrigLines, h.NewStartLine, h.NewLines, oldSeen, newSeen)
		}
	}
	return out, nil
}

func splitLines(b []byte) [][]byte {
	if b == nil {
		return nil
	}
	return bytes.Split(b, []byte("\n"))
}

func newLineFact(n int, text []byte) Line {
	text = bytes.TrimSuffix(text, []byte("\r"))
	l := Line{Line: n}
	if len(text) > MaxLineBytes {
		// Cut at a rune boundary (at most UTFMax-1 bytes back) so a valid
		// multi-byte character is not split in half.
		cut := MaxLineBytes
		for back := 0; back < utf8.UTFMax-1 && cut > 0 && !utf8.RuneStart(text[cut]); back++ {
			cut--
		}
		text = text[:cut]
		l.Truncated = true
	}
	l.Text = strings.ToValidUTF8(string(text), "\uFFFD")
	return l
}
