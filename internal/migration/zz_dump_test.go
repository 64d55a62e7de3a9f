package migration

import (
	"context"
	"encoding/json"
	"os"
	"testing"
)

func TestZZDump(t *testing.T) {
	p := os.Getenv("DUMP")
	if p == "" {
		t.Skip()
	}
	b, _ := os.ReadFile(p)
	f := Project(context.Background(), "db/migrations/0001_x.sql", b, Options{})
	out, _ := json.MarshalIndent(f, "", " ")
	os.Stdout.Write(out)
}
