//go:build linux

// Command tachyon-top lists the live shared-memory rings of tachyon-go on
// this machine, like top: every connection's two rings, who holds them,
// how full they are, and for Go↔Go connections both sides' counters and
// their rates.
//
// It finds rings by walking /proc/*/fd for memfds named by package conn
// ("tachyon-go:c2s:/socket/path", "tachyon-go:s2c:…"), opens each through
// its /proc link read-only and maps only its control block, read-only: it
// never writes into a segment. Processes and descriptors that vanish
// mid-scan are skipped; processes it may not read are counted in the
// footer (run it as the rings' user, or as root, to see them).
//
// Usage:
//
//	tachyon-top [-interval d] [-once] [-json] [-path substring] [-all] [-proc dir]
//
// Without -once or -json it redraws every -interval until interrupted.
// -once prints one table; -json prints one JSON document. Either of them
// with an explicit -interval scans twice, that far apart, to report rates.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// config is the parsed command line.
type config struct {
	interval    time.Duration
	intervalSet bool // -interval was given
	once        bool
	json        bool
	all         bool
	path        string
	proc        string
}

// clearScreen moves the cursor home and clears the terminal.
const clearScreen = "\x1b[H\x1b[2J"

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("tachyon-top", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := &config{}
	fs.DurationVar(&cfg.interval, "interval", time.Second, "time between refreshes (with -once or -json: between the two scans that measure rates)")
	fs.BoolVar(&cfg.once, "once", false, "print one table and exit")
	fs.BoolVar(&cfg.json, "json", false, "print one JSON document and exit")
	fs.BoolVar(&cfg.all, "all", false, "also list memfds not named by tachyon-go whose control block is a Tachyon ring's")
	fs.StringVar(&cfg.path, "path", "", "list only rings whose socket path contains this")
	fs.StringVar(&cfg.proc, "proc", "/proc", "where procfs is mounted")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: tachyon-top [flags]\n\nLists the live shared-memory rings of tachyon-go on this machine. Flags:\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if cfg.interval <= 0 {
		return nil, fmt.Errorf("-interval must be positive")
	}
	fs.Visit(func(f *flag.Flag) { cfg.intervalSet = cfg.intervalSet || f.Name == "interval" })
	return cfg, nil
}

// run is the whole command; it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "tachyon-top:", err)
		return exitUsage
	}
	sc := &scanner{proc: realProc{root: cfg.proc}, inspect: inspectShmem, all: cfg.all, path: cfg.path}
	if cfg.once || cfg.json {
		err = oneShot(ctx, cfg, sc, stdout)
	} else {
		err = refresh(ctx, cfg, sc, stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "tachyon-top:", err)
		return exitFailed
	}
	return exitOK
}

// oneShot prints one snapshot, with rates if -interval was given.
func oneShot(ctx context.Context, cfg *config, sc *scanner, stdout io.Writer) error {
	snap, err := sc.scan()
	if err != nil {
		return err
	}
	if cfg.intervalSet {
		if !sleep(ctx, cfg.interval) {
			return nil
		}
		prev := snap
		if snap, err = sc.scan(); err != nil {
			return err
		}
		addRates(prev, snap)
	}
	if cfg.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(snap)
	}
	return render(stdout, snap, 0)
}

// refresh redraws the screen every interval until ctx ends.
func refresh(ctx context.Context, cfg *config, sc *scanner, stdout io.Writer) error {
	tick := time.NewTicker(cfg.interval)
	defer tick.Stop()
	var prev *snapshot
	for {
		snap, err := sc.scan()
		if err != nil {
			return err
		}
		addRates(prev, snap)
		prev = snap
		if _, err := io.WriteString(stdout, clearScreen); err != nil {
			return err
		}
		if err := render(stdout, snap, cfg.interval); err != nil {
			return err
		}
		if ctx.Err() != nil { // a tick may be ready too: quit first
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// sleep waits d, or less if ctx ends first; it reports whether it waited d.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
