package coverage

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
)

// Go cover profiles (`go test -coverprofile`):
//
//	mode: set|count|atomic
//	github.com/acme/shop/internal/charge/charge.go:10.53,11.22 1 2
//
// Each line after the mode is a block: path:startLine.startCol,endLine.endCol,
// the number of statements in the block and how often it ran. The path is
// an import path (module path + path in the module); Normalize strips the
// module prefix.
//
// Every line from startLine to endLine is coverable, and a line's hits are
// the largest count of the blocks containing it. Blocks of one run share at
// most a boundary line, but `go test -coverpkg` concatenates one profile
// per test binary, which repeats every block; the maximum neither double
// counts those nor lets a zero from a binary that did not exercise the
// block hide the run of one that did.
//
// Blocks with 0 statements are skipped. Go writes them for empty bodies
// (`func Noop() {}` gives "25.14,25.15 0 1"), and `go tool cover` leaves
// them out of its percentages: there is nothing on such a line to test, so
// it is not a line a pull request can be asked to cover. Their file still
// counts as in the report.
//
// A block's span is bounded by maxBlockLines and, over the report, by
// MaxLines: Go writes one block for a run of straight-line statements, and
// generated code (a long init of registrations) can make that run long, but
// not a million lines; the bound keeps a few bytes of profile from asking
// for a server's memory.
//
// Several "mode:" lines are accepted, since concatenating profiles (cat
// a.out b.out) is a common way of merging them.

// block is one profile block, reduced to what line coverage needs: which
// file (its position in the order paths were first seen), which lines, how
// often it ran.
type block struct {
	file              int
	start, end, count int
}

func parseGoCover(data []byte) (Report, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	var (
		index   = map[string]int{} // path → position in paths
		paths   []string           // in first-seen order, so errors are deterministic
		blocks  []block            // of all files: one slice, not one per file
		sawMode bool
	)
	// Nearly every line is a block; sizing for them saves regrowing the
	// slice, up to a cap so that a file of empty lines cannot ask for much.
	blocks = make([]block, 0, min(bytes.Count(data, []byte("\n"))+1, 1<<20))
	for lineNo, line := range contentLines(data) {
		if mode, ok := bytes.CutPrefix(line, []byte("mode:")); ok {
			switch string(bytes.TrimSpace(mode)) {
			case "set", "count", "atomic":
				sawMode = true
				continue
			}
			return Report{}, &Error{Format: GoCover, Line: lineNo, Problem: fmt.Sprintf("%s is not a cover mode; Go writes \"mode: set\", \"mode: count\" or \"mode: atomic\"", quoteStart(mode))}
		}
		if !sawMode {
			return Report{}, &Error{Format: GoCover, Line: lineNo, Problem: "a Go cover profile starts with a \"mode: …\" line; upload the file go test -coverprofile wrote, unchanged"}
		}
		rawPath, b, problem := parseBlock(line)
		if problem != "" {
			return Report{}, &Error{Format: GoCover, Line: lineNo, Problem: problem}
		}
		// Looking up string(rawPath) does not allocate; only a new path
		// becomes a string.
		i, seen := index[string(rawPath)]
		if !seen {
			if len(paths) >= maxFiles {
				e := tooManyFiles(GoCover)
				e.Line = lineNo
				return Report{}, e
			}
			p := string(rawPath)
			i = len(paths)
			index[p] = i
			paths = append(paths, p)
		}
		if b.count >= 0 { // not a block without statements: see above
			b.file = i
			blocks = append(blocks, b)
		}
	}

	// Lines are filled only once every block is known, and only after the
	// lines all blocks span have been counted, so a block claiming lines 1
	// to 2,000,000,000 is refused before any memory goes to it.
	slices.SortFunc(blocks, func(a, b block) int {
		return cmp.Or(cmp.Compare(a.file, b.file), cmp.Compare(a.start, b.start))
	})
	perFile := make([]int, len(paths)) // lines each file's blocks span
	total := 0
	for i, rest := 0, blocks; i < len(paths); i++ {
		var bs []block
		bs, rest = fileBlocks(rest, i)
		perFile[i] = spanned(bs)
		if perFile[i] > maxLines-total {
			return Report{}, tooManyLines(GoCover)
		}
		total += perFile[i]
	}
	files := make(map[string]map[int]int, len(paths))
	var h blockHeap // reused for every file
	for i, rest := 0, blocks; i < len(paths); i++ {
		var bs []block
		bs, rest = fileBlocks(rest, i)
		files[paths[i]] = fillLines(bs, perFile[i], &h)
	}
	return Report{Files: files}, nil
}

// fileBlocks splits file's blocks off the front of blocks sorted by file.
func fileBlocks(blocks []block, file int) (mine, rest []block) {
	n := 0
	for n < len(blocks) && blocks[n].file == file {
		n++
	}
	return blocks[:n], blocks[n:]
}

// parseBlock reads "path:startLine.startCol,endLine.endCol statements count".
// It reads from the right, because a path may contain ':' (a Windows drive
// outside a module) or spaces. A block without statements comes back with
// count -1. The path stays bytes so that the caller allocates a string
// only for a path it has not seen.
func parseBlock(line []byte) (path []byte, b block, problem string) {
	bad := func(what string) ([]byte, block, string) {
		return nil, block{}, fmt.Sprintf("%s: %s; a block line is path:startLine.startCol,endLine.endCol statements count", quoteStart(line), what)
	}
	i := bytes.LastIndexByte(line, ' ')
	if i < 0 {
		return bad("it has no statement and hit counts")
	}
	countStr, s := line[i+1:], line[:i]
	i = bytes.LastIndexByte(s, ' ')
	if i < 0 {
		return bad("it has no statement count")
	}
	stmtStr, s := s[i+1:], s[:i]
	i = bytes.LastIndexByte(s, ':')
	if i <= 0 {
		return bad("it has no path")
	}
	path, pos := s[:i], s[i+1:]

	from, to, ok := bytes.Cut(pos, []byte(","))
	if !ok {
		return bad("the position has no ','")
	}
	startStr, startCol, ok1 := bytes.Cut(from, []byte("."))
	endStr, endCol, ok2 := bytes.Cut(to, []byte("."))
	if !ok1 || !ok2 || !digits(string(startCol)) || !digits(string(endCol)) {
		return bad("the position is not startLine.startCol,endLine.endCol")
	}
	var p string
	if b.start, p = parseLine(string(startStr)); p != "" {
		return bad("the start line " + p)
	}
	if b.end, p = parseLine(string(endStr)); p != "" {
		return bad("the end line " + p)
	}
	if b.end < b.start {
		return bad(fmt.Sprintf("the block ends (line %d) before it starts (line %d)", b.end, b.start))
	}
	if b.end-b.start >= maxBlockLines {
		return bad(fmt.Sprintf("the block spans %d lines; no Go source file has that many", b.end-b.start+1))
	}
	if !digits(string(stmtStr)) {
		return bad("the statement count " + notANumber(string(stmtStr)))
	}
	if b.count, p = parseHits(string(countStr)); p != "" {
		return bad("the hit count " + p)
	}
	if bytes.Count(stmtStr, []byte("0")) == len(stmtStr) {
		b.count = -1
	}
	return path, b, ""
}

// spanned counts the distinct lines blocks sorted by start cover.
// maxBlockLines bounds one block's span.
const maxBlockLines = 1_000_000

func spanned(bs []block) int {
	n, reach := 0, 0 // reach: the last line counted so far
	for _, b := range bs {
		if b.end <= reach {
			continue
		}
		n += b.end - max(b.start, reach+1) + 1
		reach = b.end
	}
	return n
}

// fillLines gives each line the largest count of the blocks (sorted by
// start) containing it. It sweeps the lines once, keeping the blocks that
// have started in a heap by count, so overlapping blocks cost a log factor,
// not a pass over each block's lines. h is an empty heap to use.
func fillLines(bs []block, n int, heap *blockHeap) map[int]int {
	lines := make(map[int]int, n)
	h := (*heap)[:0]
	line, i := 0, 0
	for i < len(bs) || len(h) > 0 {
		if len(h) == 0 {
			line = max(line, bs[i].start)
		}
		for i < len(bs) && bs[i].start <= line {
			h.push(bs[i])
			i++
		}
		// Blocks that ended stay in the heap until they reach the top; only
		// the top has to be live.
		for len(h) > 0 && h[0].end < line {
			h.pop()
		}
		if len(h) == 0 {
			continue
		}
		lines[line] = h[0].count
		line++
	}
	*heap = h[:0] // keep the grown array for the next file
	return lines
}

// blockHeap is a max-heap of blocks by count. It is written out rather
// than used through container/heap, whose interface boxes every block.
type blockHeap []block

func (h *blockHeap) push(b block) {
	*h = append(*h, b)
	s := *h
	for i := len(s) - 1; i > 0; {
		parent := (i - 1) / 2
		if s[parent].count >= s[i].count {
			break
		}
		s[parent], s[i] = s[i], s[parent]
		i = parent
	}
}

func (h *blockHeap) pop() {
	s := *h
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	for i := 0; ; {
		big, l, r := i, 2*i+1, 2*i+2
		if l < len(s) && s[l].count > s[big].count {
			big = l
		}
		if r < len(s) && s[r].count > s[big].count {
			big = r
		}
		if big == i {
			break
		}
		s[i], s[big] = s[big], s[i]
		i = big
	}
	*h = s
}
