//go:build unix

package policy

import (
	"context"
	"os"
	"testing"
	"time"
)

// Ctrl-C reaches a terminal's whole process group; a server shutting down
// gracefully still needs its workers for the evaluations it lets finish.
func TestWorkersOutliveAnInterrupt(t *testing.T) {
	ctx := context.Background()
	ws, st := newTestWorkers(t, testMemory, 1)
	p, err := Compile(ctx, twoRules(`input.ok`), Options{Workers: ws})
	if err != nil {
		t.Fatal(err)
	}
	e, err := p.DefaultEngine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w := ws.idle[0]
	if err := w.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	res, err := e.Evaluate(ctx, map[string]any{"ok": true}, time.Now())
	if err != nil || res[0].Err != "" || res[1].Err != "" {
		t.Fatalf("%+v %v", res, err)
	}
	if len(ws.idle) != 1 || ws.idle[0] != w || len(st.all()) != 0 {
		t.Fatal("the worker did not survive the interrupt")
	}
}
