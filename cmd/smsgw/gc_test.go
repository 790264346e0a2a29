package main

import (
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	wasPercent, wasLimit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(wasPercent); debug.SetMemoryLimit(wasLimit) })

	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	debug.SetMemoryLimit(noMemoryLimit)
	if p, l := tuneGC(getenv); p != defaultGCPercent || l != defaultMemoryLimit {
		t.Errorf("tuneGC without GOGC and GOMEMLIMIT = %d, %d; want %d, %d", p, l, defaultGCPercent, defaultMemoryLimit)
	}

	// What the runtime took from the environment stays.
	debug.SetGCPercent(150)
	debug.SetMemoryLimit(1 << 30)
	env["GOGC"], env["GOMEMLIMIT"] = "150", "1GiB"
	if p, l := tuneGC(getenv); p != 150 || l != 1<<30 {
		t.Errorf("tuneGC with GOGC=150 GOMEMLIMIT=1GiB = %d, %d; want 150, %d", p, l, 1<<30)
	}
	if p := debug.SetGCPercent(150); p != 150 {
		t.Errorf("GC percent in force = %d, want 150", p)
	}

	debug.SetGCPercent(-1)
	if got := gcAttrs(); got[1] != "off" {
		t.Errorf("gcAttrs with collection off = %v, want gc_percent off", got)
	}
}
