package main

import (
	"fmt"
	"math"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
)

// The garbage collector settings the daemon runs with when the environment
// does not set them (GOGC, GOMEMLIMIT: those always win, as for any Go
// program).
//
// The gateway's live heap is small (the store holds sessions and messages,
// not memory), and on a small machine each collection takes CPU from the
// one goroutine every write goes through (the SQLite writer). So the heap
// may grow to five times what is live before a collection instead of
// twice, which raised full top-ups per second by 7-11 % on two cores
// (docs/benchmarks.md), and a soft limit keeps the total bounded: past it
// the collector runs as often as it must whatever the percentage (and never
// takes more than about half the CPU doing so). With 100,000 sessions open
// the process stays near 120 MB. Give GOMEMLIMIT about half the memory the
// process may use if its live heap is ever larger (docs/deploy.md).
const (
	defaultGCPercent   = 400
	defaultMemoryLimit = 100 << 20 // bytes
)

// tuneGC applies the defaults above where getenv leaves GOGC or GOMEMLIMIT
// unset, and returns the settings in force (percent -1: collection off;
// limit math.MaxInt64: none). main calls it for every smsgw command: the
// load command runs the gateway in its own process and measures it so.
func tuneGC(getenv func(string) string) (percent int, limit int64) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	return gcInForce()
}

// gcInForce returns the garbage collector's percentage and soft memory
// limit in force, as the runtime reports them.
func gcInForce() (percent int, limit int64) {
	m := []metrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/gomemlimit:bytes"}}
	metrics.Read(m)
	return int(m[0].Value.Uint64()), int64(m[1].Value.Uint64())
}

// gcAttrs are the collector settings for the daemon's start-up log line.
func gcAttrs() []any {
	p, l := gcInForce()
	percent, limit := strconv.Itoa(p), "none"
	if p < 0 {
		percent = "off"
	}
	if l != noMemoryLimit {
		limit = fmt.Sprintf("%dMiB", l>>20)
	}
	return []any{"gc_percent", percent, "memory_limit", limit}
}

// noMemoryLimit is debug.SetMemoryLimit's "no limit".
const noMemoryLimit = math.MaxInt64
