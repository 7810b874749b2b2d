//go:build linux

package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// render writes snap as text: a header line, a table of rings, a table of
// the counters of Go↔Go rings, and a footer of what could not be looked at.
// every is the refresh interval, 0 for a one-shot run.
func render(w io.Writer, snap *snapshot, every time.Duration) error {
	var b strings.Builder
	fmt.Fprintf(&b, "tachyon-top  %s  %s in %s (%d scanned)",
		snap.Time.Format("2006-01-02 15:04:05"), plural(len(snap.Segments), "ring"),
		plural(snap.Processes, "process"), snap.Scanned)
	if every > 0 {
		fmt.Fprintf(&b, "  every %v, Ctrl-C quits", every)
	}
	b.WriteString("\n\n")
	if len(snap.Segments) == 0 {
		b.WriteString("no tachyon-go rings\n")
	} else {
		rated := slices.ContainsFunc(snap.Segments, func(s segment) bool { return s.Rates != nil })
		renderRings(&b, snap.Segments, rated)
		renderCounters(&b, snap.Segments, rated)
	}
	if f := footer(snap); f != "" {
		b.WriteString("\n" + f + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// renderRings prints one line per ring; the rate columns only if rated.
func renderRings(w io.Writer, segs []segment, rated bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(cells ...string) { fmt.Fprintln(tw, strings.Join(cells, "\t")) }
	header := []string{"RING", "PATH", "DIR", "CREATOR", "PEERS", "CAPACITY", "FILL", "STATE", "HEAD", "TAIL"}
	if rated {
		header = append(header, "IN/s", "OUT/s")
	}
	row(append(header, "SLEEP c/p", "FLAGS")...)
	for _, s := range segs {
		cells := []string{
			strconv.FormatUint(s.Ino, 10), orDash(s.Path), orDash(s.Direction), creator(s), peers(s),
			bytesSize(uint64(s.Capacity)), fmt.Sprintf("%s (%.1f%%)", bytesSize(uint64(s.Fill)), s.FillPercent), s.State,
			strconv.FormatUint(s.Head, 10), strconv.FormatUint(s.Tail, 10),
		}
		if rated {
			in, out := "-", "-"
			if s.Rates != nil {
				in, out = bytesRate(s.Rates.HeadBytes), bytesRate(s.Rates.TailBytes)
			}
			cells = append(cells, in, out)
		}
		row(append(cells, words(s), flags(s))...)
	}
	tw.Flush()
}

// renderCounters prints both sides' counters of every Go↔Go ring and, if
// rated, their rates since the previous scan.
func renderCounters(w io.Writer, segs []segment, rated bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(cells ...string) { fmt.Fprintln(tw, strings.Join(cells, "\t")) }
	header := true
	for _, s := range segs {
		if !s.Extended {
			continue
		}
		if header {
			fmt.Fprintln(w)
			h := []string{"RING", "DIR", "SIDE", "FRAMES", "BYTES", "PUBLISHES", "WAKES", "SPIN-WINS", "PARKS", "WAITS"}
			if rated {
				h = append(h, "FRAMES/s", "BYTES/s", "WAKES/s", "PARKS/s")
			}
			row(h...)
			header = false
		}
		var pr, cr *counters[float64]
		if s.Rates != nil {
			pr, cr = s.Rates.Producer, s.Rates.Consumer
		}
		for _, side := range []struct {
			name  string
			total *counters[uint64]
			rate  *counters[float64]
		}{{"producer", s.Producer, pr}, {"consumer", s.Consumer, cr}} {
			t := side.total
			cells := []string{strconv.FormatUint(s.Ino, 10), orDash(s.Direction), side.name,
				strconv.FormatUint(t.Frames, 10), bytesSize(t.Bytes), strconv.FormatUint(t.Publishes, 10),
				strconv.FormatUint(t.Wakes, 10), strconv.FormatUint(t.SpinWins, 10),
				strconv.FormatUint(t.Parks, 10), strconv.FormatUint(t.Waits, 10)}
			if r := side.rate; rated && r != nil {
				cells = append(cells, countRate(r.Frames), bytesRate(r.Bytes), countRate(r.Wakes), countRate(r.Parks))
			} else if rated {
				cells = append(cells, "-", "-", "-", "-")
			}
			row(cells...)
		}
	}
	tw.Flush()
}

// footer says what the scan could not look at, "" if nothing.
func footer(snap *snapshot) string {
	var parts []string
	if snap.Unreadable > 0 {
		parts = append(parts, plural(snap.Unreadable, "process")+" not readable")
	}
	if snap.Vanished > 0 {
		parts = append(parts, strconv.Itoa(snap.Vanished)+" vanished mid-scan")
	}
	if snap.NotRings > 0 {
		parts = append(parts, plural(snap.NotRings, "tachyon-go memfd")+" holding no ring")
	}
	for _, e := range snap.Errors {
		parts = append(parts, "error: "+e)
	}
	return strings.Join(parts, "\n")
}

func creator(s segment) string {
	for _, h := range s.Holders {
		if h.Role == roleCreator {
			return pidComm(h)
		}
	}
	return "?"
}

// peers lists the holders other than the creator: all of them when the
// creator is unknown.
func peers(s segment) string {
	var ps []string
	for _, h := range s.Holders {
		if h.Role != roleCreator {
			ps = append(ps, pidComm(h))
		}
	}
	if len(ps) == 0 {
		return "-"
	}
	return strings.Join(ps, ",")
}

func pidComm(h holder) string {
	if h.Comm == "" {
		return strconv.Itoa(h.PID)
	}
	return strconv.Itoa(h.PID) + "/" + h.Comm
}

// words shows the consumer's and producer's sleeping words.
func words(s segment) string { return s.ConsumerWord + "/" + orDash(s.ProducerWord) }

func flags(s segment) string {
	var f []string
	if !s.Extended {
		f = append(f, "tachyon") // plain Tachyon layout: no counters, no close flags
	}
	if s.ProducerEOF {
		f = append(f, "eof")
	}
	if s.ConsumerGone {
		f = append(f, "gone")
	}
	if len(f) == 0 {
		return "-"
	}
	return strings.Join(f, ",")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "s") {
		return strconv.Itoa(n) + " " + noun + "es"
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// bytesSize prints n bytes exactly below 10 KiB, else in binary units.
func bytesSize(n uint64) string {
	if n < 10<<10 {
		return strconv.FormatUint(n, 10) + " B"
	}
	return scaled(float64(n), 1024, []string{"KiB", "MiB", "GiB", "TiB"})
}

func bytesRate(v float64) string { return bytesSize(uint64(v+0.5)) + "/s" }

func countRate(v float64) string {
	if v < 1000 {
		return strconv.FormatFloat(v, 'f', 0, 64) + "/s"
	}
	return scaled(v, 1000, []string{"k", "M", "G"}) + "/s"
}

// scaled prints v (at least base) in the largest unit that keeps it ≥ 1.
func scaled(v, base float64, units []string) string {
	unit := ""
	for _, u := range units {
		if v < base {
			break
		}
		v /= base
		unit = u
	}
	prec := 1
	if v == math.Trunc(v) {
		prec = 0
	}
	return strconv.FormatFloat(v, 'f', prec, 64) + " " + unit
}
