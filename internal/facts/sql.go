package facts

import "strings"

// isSQL says whether a file is read as SQL: every .sql file is projected
// (ProjectMigrations); which of them are migrations is the policy's to
// decide (its globs), so the same facts serve an organization's own
// layout.
func isSQL(path string) bool {
	return strings.HasSuffix(strings.ToLower(path), ".sql")
}
