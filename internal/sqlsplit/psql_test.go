package sqlsplit

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestSplitAgreesWithPsql splits generated SQL both here and with psql,
// whose lexer is the reference for where statements end. psql is run
// against the test database with -e (echo each statement sent) inside one
// transaction that the first statement aborts, so nothing runs and every
// statement sent is echoed and answered by exactly one ERROR line.
func TestSplitAgreesWithPsql(t *testing.T) {
	// The variable internal/testsupport/dbtest reads, named here rather
	// than imported to keep this package's tests free of the store's
	// dependencies.
	url := os.Getenv("MERGEGUARD_TEST_POSTGRES_URL")
	if url == "" {
		t.Skip("set MERGEGUARD_TEST_POSTGRES_URL to compare with psql")
	}
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql is not installed")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const inputs = 40
	whole := 0
	for i := range inputs {
		src := "SELECT 1/0;\n" + generate(rng, 150) + "\nSELECT 0;\n"
		if comparePsql(t, psql, url, src, i) {
			whole++
		}
	}
	t.Logf("%d of %d inputs compared whole, the others by lines", whole, inputs)
}

var psqlError = regexp.MustCompile(`(?m)^psql:.*?:([0-9]+): ERROR: `)

func comparePsql(t *testing.T, psql, url, src string, n int) bool {
	t.Helper()
	file := filepath.Join(t.TempDir(), "in.sql")
	if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(psql, "-X", "-q", "-e", "-1", "-v", "ON_ERROR_STOP=0", "-f", file, url)
	// Belt and braces: should a generated statement end the aborted
	// transaction, what follows still cannot write.
	cmd.Env = append(os.Environ(), "PGOPTIONS=-c default_transaction_read_only=on")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
	// Each statement psql sent is echoed and followed by its ERROR line,
	// which names the line where psql ended the statement. What precedes
	// the echo (comments, empty statements, the previous error's detail)
	// is not part of the statement.
	chunks := psqlError.Split(string(out), -1)
	chunks = chunks[:len(chunks)-1]
	lines := psqlError.FindAllStringSubmatch(string(out), -1)
	// psql leaves meta-commands out of what it echoes, and notices come
	// after the echo: where generated text put a backslash outside quotes
	// or the server noticed something, only the lines are compared.
	meta := strings.Contains(string(out), "invalid command") || strings.Contains(string(out), ": NOTICE: ")
	got := Split(src, 1)
	for i := 0; i < len(chunks) && i < len(got); i++ {
		if strconv.Itoa(got[i].EndLine) != lines[i][1] {
			t.Fatalf("input %d, statement %d: psql ended it on line %s, we on line %d\npsql sent\n%s\nwe split\n%s\ninput:\n%s",
				n, i, lines[i][1], got[i].EndLine, chunks[i], got[i].Text, src)
		}
		// psql drops blank lines and the last newline of the input from
		// what it sends; whitespace is compared as a separator only.
		if !meta && !strings.HasSuffix(squeeze(chunks[i]), squeeze(got[i].Text)) {
			t.Fatalf("input %d, statement %d: psql sent\n%s\nwe split\n%s\ninput:\n%s", n, i, chunks[i], got[i].Text, src)
		}
	}
	if len(chunks) != len(got) {
		t.Fatalf("input %d: psql sent %d statements, we split %d\ninput:\n%s", n, len(chunks), len(got), src)
	}
	return !meta
}

func squeeze(s string) string { return strings.Join(strings.Fields(s), " ") }

// generate strings together pieces of SQL chosen to exercise the lexer;
// no backslash or colon outside quotes, which psql would read as its own,
// no END that could start a statement (END is COMMIT), and no letters
// stuck to a number, which is invalid SQL that psql versions lex
// differently.
func generate(rng *rand.Rand, n int) string {
	pieces := []string{
		"SELECT", "a", "t1", "begin", "t1 END", "case", "x$$y", "ATOMIC", "e", "u",
		"+", "-", "*", "/", "=", "<>", ",", ".", "(", ")", ")", "[", "]",
		"1 ", "2.5 ", "$1 ", "$", "$2$ ",
		"'a;b'", "'it''s'", "'multi\nline;'", "E'x\\';y'", "E'\\\\'", "e'q''r'", "U&'d\\0061t'", "B'101'", "X'1F'", "N'n;'", "'a'\n'b'",
		"\"a;\"\"b\"", "U&\"d;\"", "\"$$\"",
		"-- c; 'x\n", "/* a; /* b */ ; */", "/**/",
		"$$;$$", "$f$ $$ ; $f$", "$a$b$a$", "$_1$;$_1$",
		" ", " ", " ", "\n", "\t",
		";", ";", ";", ";",
		"CREATE FUNCTION f() ", "CREATE OR REPLACE PROCEDURE p() ", "create or replace function g(begin int) ",
	}
	var b strings.Builder
	for range n {
		b.WriteString(pieces[rng.IntN(len(pieces))])
		if rng.IntN(3) == 0 {
			b.WriteByte(' ')
		}
	}
	return b.String()
}
