package migration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// migration5000 is a 5,000-statement migration of the kinds rules look at.
func migration5000() string {
	var b strings.Builder
	b.WriteString("-- +goose Up\nSET lock_timeout = '2s';\n")
	for i := 0; i < 5000/5; i++ {
		fmt.Fprintf(&b, "ALTER TABLE t%d ADD COLUMN c integer DEFAULT floor(random() * 10) NOT NULL REFERENCES u (id);\n", i)
		fmt.Fprintf(&b, "CREATE INDEX CONCURRENTLY IF NOT EXISTS i%d ON t%d (c);\n", i, i)
		fmt.Fprintf(&b, "ALTER TABLE t%d ADD CONSTRAINT k%d CHECK (c > 0) NOT VALID;\n", i, i)
		fmt.Fprintf(&b, "ALTER TABLE t%d VALIDATE CONSTRAINT k%d;\n", i, i)
		fmt.Fprintf(&b, "UPDATE t%d SET c = 1 WHERE id < 100;\n", i)
	}
	return b.String()
}

// BenchmarkProject5000 is the cost of reading a 5,000-statement migration
// (parse and projection), with the parser already compiled.
func BenchmarkProject5000(b *testing.B) {
	src := []byte(migration5000())
	if err := Ready(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ResetTimer()
	var n int
	for i := 0; i < b.N; i++ {
		f := Project(context.Background(), "db/migrations/1_x.sql", src, Options{})
		n = len(f.Statements)
	}
	b.StopTimer()
	if n < 5000 {
		b.Fatalf("%d statements", n)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/stmt")
}

// BenchmarkParserStartup is the start-up cost of the parser: the first
// parse of a fresh process, which compiles the WebAssembly module. It
// runs the test binary again as a child so that each measurement starts
// cold.
func BenchmarkParserStartup(b *testing.B) {
	var total time.Duration
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestStartupHelper$", "-test.count=1")
		cmd.Env = append(os.Environ(), "MERGEGUARD_STARTUP_HELPER=1")
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		line := string(out)
		k := strings.Index(line, "first-parse-ns=")
		if k < 0 {
			b.Fatalf("child said %q", line)
		}
		f := strings.Fields(line[k+len("first-parse-ns="):])
		ns, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			b.Fatalf("child said %q: %v", line, err)
		}
		total += time.Duration(ns)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/first-parse")
}

// TestStartupHelper is the child of BenchmarkParserStartup.
func TestStartupHelper(t *testing.T) {
	if os.Getenv("MERGEGUARD_STARTUP_HELPER") != "1" {
		t.Skip("run by BenchmarkParserStartup only")
	}
	start := time.Now()
	if _, err := parseSQL("SELECT 1"); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("first-parse-ns=%d\n", time.Since(start).Nanoseconds())
}

// BenchmarkParse5000 is the parse of the 5,000-statement migration into a
// tree, on each path (see parseSQL).
func BenchmarkParse5000(b *testing.B) {
	src := migration5000()
	if err := Ready(context.Background()); err != nil {
		b.Fatal(err)
	}
	for _, path := range []struct {
		name  string
		parse func(string) (*pg.ParseResult, error)
	}{{"json", parseSQL}, {"protobuf", parseProtobuf}} {
		b.Run(path.name, func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for i := 0; i < b.N; i++ {
				if _, err := path.parse(src); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeParseTree5000 is the decoding alone of the
// 5,000-statement migration's JSON (2.9 MB): the transcoding to the wire
// format, and with proto.Unmarshal.
func BenchmarkDecodeParseTree5000(b *testing.B) {
	js, err := parseToJSON(migration5000())
	if err != nil {
		b.Fatal(err)
	}
	b.Run("wire", func(b *testing.B) {
		b.SetBytes(int64(len(js)))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := treeWire(js); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("tree", func(b *testing.B) {
		b.SetBytes(int64(len(js)))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := decodeParseTree(js); err != nil {
				b.Fatal(err)
			}
		}
	})
}
