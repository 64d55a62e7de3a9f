//go:build race

package app_test

import "time"

// limitGrace is how late a request may reach the fake GitHub after a rate
// limit's announcement and still count as already on its way (see
// fakegithub.FaultModel.Grace). The race detector slows every goroutine
// several times over: a request that passed the gate before the
// announcement was read can take longer than the fake's default 100ms to
// get there.
const limitGrace = 750 * time.Millisecond
