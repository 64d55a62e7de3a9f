// Package diffcover joins the lines a pull request adds with the coverage
// reports its CI uploaded: for every changed file, which added lines the
// reports measure (can be covered at all) and which of those ran. The
// percentage and the verdict are the policy's business; this is the fact.
//
// The definition is diff-cover's: measured = added lines the report counts
// as coverable; covered = measured lines with at least one hit; a file the
// report does not have contributes no measured lines (and the rule says
// so).
package diffcover

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/mergeguard/mergeguard/internal/coverage"
	"github.com/mergeguard/mergeguard/internal/facts"
)

// Lines joins each changed file's added lines with the report.
func Lines(files []facts.File, r coverage.Report) map[string]facts.CoverageFile {
	out := map[string]facts.CoverageFile{}
	for _, f := range files {
		if f.Status == "removed" || len(f.AddedLines) == 0 {
			continue
		}
		cf := facts.CoverageFile{Measured: []int{}, Covered: []int{}}
		lines, reportPath, ok := r.Match(f.Path)
		if ok {
			cf.InReport, cf.ReportPath = true, reportPath
			for _, l := range f.AddedLines {
				hits, coverable := lines[l.Line]
				if !coverable {
					continue
				}
				cf.Measured = append(cf.Measured, l.Line)
				if hits > 0 {
					cf.Covered = append(cf.Covered, l.Line)
				}
			}
			slices.Sort(cf.Measured)
			slices.Sort(cf.Covered)
		}
		out[f.Path] = cf
	}
	return out
}

// Encode stores a report compactly: gzipped JSON of each file's
// [line, hits] pairs, in base64 so it fits a text column on every database.
func Encode(r coverage.Report) (string, error) {
	files := make(map[string][][2]int, len(r.Files))
	for path, lines := range r.Files {
		pairs := make([][2]int, 0, len(lines))
		for line, hits := range lines {
			pairs = append(pairs, [2]int{line, hits})
		}
		slices.SortFunc(pairs, func(a, b [2]int) int { return a[0] - b[0] })
		files[path] = pairs
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

// Decode reads what Encode stored.
func Decode(s string) (coverage.Report, error) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return coverage.Report{}, fmt.Errorf("stored coverage: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return coverage.Report{}, fmt.Errorf("stored coverage: %w", err)
	}
	var files map[string][][2]int
	if err := json.NewDecoder(io.LimitReader(zr, maxDecoded)).Decode(&files); err != nil {
		return coverage.Report{}, fmt.Errorf("stored coverage: %w", err)
	}
	r := coverage.Report{Files: make(map[string]map[int]int, len(files))}
	for path, pairs := range files {
		lines := make(map[int]int, len(pairs))
		for _, p := range pairs {
			lines[p[0]] = p[1]
		}
		r.Files[path] = lines
	}
	return r, nil
}
