//go:build !race

package app_test

import "time"

// limitGrace is how late a request may reach the fake GitHub after a rate
// limit's announcement and still count as already on its way: the fake's
// default (see race_on_test.go).
const limitGrace time.Duration = 0
