package main

import (
	"os"
	"runtime/debug"
	"testing"
)

// -gogc sets this process's collector and the GOGC variable its peers
// inherit, and the header reports it; empty leaves both alone.
func TestGOGC(t *testing.T) {
	t.Setenv("GOGC", "")
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	if err := applyGOGC(""); err != nil || os.Getenv("GOGC") != "" || gogcText() != "100 (default)" {
		t.Fatalf("empty -gogc: err %v, GOGC %q, header %q", err, os.Getenv("GOGC"), gogcText())
	}
	for _, c := range []struct {
		flag    string
		percent int
	}{{"400", 400}, {"off", -1}, {"100", 100}} {
		if err := applyGOGC(c.flag); err != nil {
			t.Fatalf("-gogc %s: %v", c.flag, err)
		}
		if got := debug.SetGCPercent(100); got != c.percent {
			t.Errorf("-gogc %s: GC percent %d, want %d", c.flag, got, c.percent)
		}
		if os.Getenv("GOGC") != c.flag || gogcText() != c.flag {
			t.Errorf("-gogc %s: GOGC %q, header %q", c.flag, os.Getenv("GOGC"), gogcText())
		}
	}
	if err := applyGOGC("-1"); err == nil {
		t.Error("-gogc -1 accepted")
	}
}
