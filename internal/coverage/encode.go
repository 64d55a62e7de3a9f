package coverage

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"slices"
)

// Encode stores a report compactly: gzipped JSON of each file's lines in
// base64, so it fits a text column on every database. A line is [line,
// hits]; a line with branches adds [total, taken], and named branches
// (see Branches) also which were taken, as two 32-bit halves
// (JSON numbers are exact only to 53 bits).
func Encode(r Report) (string, error) {
	files := make(map[string][][]int, len(r.Files))
	for path, lines := range r.Files {
		branches := r.Branches[path]
		rows := make([][]int, 0, len(lines))
		for line, hits := range lines {
			b, ok := branches[line]
			switch {
			case !ok:
				rows = append(rows, []int{line, hits})
			case b.Named:
				rows = append(rows, []int{line, hits, int(b.Total), int(b.Taken), int(b.Which & 0xFFFFFFFF), int(b.Which >> 32)})
			default:
				rows = append(rows, []int{line, hits, int(b.Total), int(b.Taken)})
			}
		}
		slices.SortFunc(rows, func(a, b []int) int { return a[0] - b[0] })
		files[path] = rows
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(files); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// maxDecoded bounds a stored report once decompressed.
const maxDecoded = 1 << 30

// Decode reads what Encode stored, including reports stored before lines
// had branches ([line, hits] only).
func Decode(s string) (Report, error) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return Report{}, fmt.Errorf("stored coverage: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return Report{}, fmt.Errorf("stored coverage: %w", err)
	}
	var files map[string][][]int
	if err := json.NewDecoder(io.LimitReader(zr, maxDecoded)).Decode(&files); err != nil {
		return Report{}, fmt.Errorf("stored coverage: %w", err)
	}
	r := Report{Files: make(map[string]map[int]int, len(files))}
	for path, rows := range files {
		lines := make(map[int]int, len(rows))
		for _, row := range rows {
			switch len(row) {
			case 2, 4, 6:
			default:
				return Report{}, fmt.Errorf("stored coverage of %q: a line has %d numbers, not 2, 4 or 6", path, len(row))
			}
			lines[row[0]] = row[1]
			if len(row) == 2 || row[2] < 1 || row[3] < 0 || row[3] > row[2] {
				continue
			}
			b := Branches{Total: int32(min(row[2], 1<<20)), Taken: int32(min(row[3], 1<<20))}
			if len(row) == 6 && b.Total <= 64 {
				b.Which, b.Named = uint64(uint32(row[4]))|uint64(uint32(row[5]))<<32, true
			}
			if r.Branches == nil {
				r.Branches = map[string]map[int]Branches{}
			}
			if r.Branches[path] == nil {
				r.Branches[path] = map[int]Branches{}
			}
			r.Branches[path][row[0]] = b
		}
		r.Files[path] = lines
	}
	return r, nil
}
