package main

import (
	"encoding/json"
	"io"
	"os"
)

// The -json document.
type jsonReport struct {
	Environment *environment `json:"environment"`
	Results     []jsonRow    `json:"results"`
	// MedianSpread is the median over rows of their spread between
	// rounds; WorstSpread names the least stable row. Both need two rounds.
	MedianSpread *float64 `json:"median_spread,omitempty"`
	WorstSpread  string   `json:"worst_spread,omitempty"`
	// Cxx is the comparison with Tachyon's C++ core (-cxx).
	Cxx *cxxDoc `json:"cxx_comparison,omitempty"`
}

type jsonRow struct {
	Transport string `json:"transport"`
	Scenario  string `json:"scenario"`
	Kind      string `json:"kind"` // "latency" or "throughput"
	Size      int    `json:"size"` // payload bytes
	// Samples is how many round trips (latency) or messages (throughput)
	// were measured over every round.
	Samples     uint64      `json:"samples"`
	Percentiles []jsonPoint `json:"percentiles_ns,omitempty"` // latency rows
	MeanNs      float64     `json:"mean_ns,omitempty"`
	BytesPerSec float64     `json:"bytes_per_sec,omitempty"` // median round
	MsgsPerSec  float64     `json:"msgs_per_sec,omitempty"`
	// AllocsPerMsg is the median over rounds of heap allocations per call
	// in both processes (gRPC's unary rows).
	AllocsPerMsg *float64 `json:"allocs_per_msg,omitempty"`
	// VsUnix is how many times faster than the Unix socket the row is
	// (above 1: faster; below 1: slower, 1/VsUnix times); the table says
	// it in words.
	VsUnix  *float64    `json:"vs_unix,omitempty"`
	VsFloor *float64    `json:"vs_floor,omitempty"`
	Spread  *float64    `json:"spread,omitempty"`
	Rounds  []jsonRound `json:"rounds"`
	Error   string      `json:"error,omitempty"`
}

type jsonPoint struct {
	Percentile float64 `json:"p"`
	Ns         int64   `json:"ns"`
}

type jsonRound struct {
	Msgs      int64  `json:"msgs"`
	Bytes     int64  `json:"bytes"`
	ElapsedNs int64  `json:"elapsed_ns"`
	P50Ns     int64  `json:"p50_ns,omitempty"`
	P99Ns     int64  `json:"p99_ns,omitempty"`
	Allocs    *int64 `json:"allocs,omitempty"` // heap allocations in both processes, when counted
	Error     string `json:"error,omitempty"`
}

// jsonPercentiles are the points a latency row lists.
var jsonPercentiles = []float64{0, 50, 90, 99, 99.9, 99.99, 100}

func optional(x float64, ok bool) *float64 {
	if !ok {
		return nil
	}
	return &x
}

func writeJSON(w io.Writer, rep *report) error {
	doc := jsonReport{Environment: rep.env, Results: []jsonRow{}, Cxx: rep.cxx}
	if med, worst := rep.stability(); worst != nil {
		doc.MedianSpread, doc.WorstSpread = &med, worst.label()
	}
	for _, r := range rep.rows {
		jr := jsonRow{
			Transport: r.s.Transport, Scenario: r.s.Name, Kind: r.s.Kind.String(), Size: r.size,
			BytesPerSec: r.bytesPerSec, MsgsPerSec: r.msgsPerSec,
			VsUnix: optional(r.vsUnix, r.vsUnix > 0), VsFloor: optional(r.vsFloor, r.vsFloor > 0),
			Spread: optional(r.spread, r.hasSpread()), Error: r.errMsg,
			AllocsPerMsg: optional(r.allocsPerMsg, r.hasAllocs),
		}
		if h := r.hist; h != nil {
			jr.MeanNs = h.Mean()
			for _, p := range jsonPercentiles {
				jr.Percentiles = append(jr.Percentiles, jsonPoint{p, h.Percentile(p)})
			}
		}
		for _, x := range r.runs {
			jround := jsonRound{Msgs: x.res.Msgs, Bytes: x.res.Bytes, ElapsedNs: int64(x.res.Elapsed)}
			if x.err != nil {
				jround.Error = x.err.Error()
			} else {
				jr.Samples += uint64(x.res.Msgs)
			}
			if x.res.Hist != nil {
				jround.P50Ns, jround.P99Ns = x.res.Hist.Percentile(50), x.res.Hist.Percentile(99)
			}
			if x.res.AllocsMeasured {
				jround.Allocs = &x.res.Allocs
			}
			jr.Rounds = append(jr.Rounds, jround)
		}
		doc.Results = append(doc.Results, jr)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// writeJSONFile writes the JSON document to path.
func writeJSONFile(path string, rep *report) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := writeJSON(f, rep); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
