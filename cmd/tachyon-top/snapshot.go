//go:build linux

package main

import (
	"fmt"
	"time"

	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// snapshot is one scan of the machine: the document -json prints.
type snapshot struct {
	Time      time.Time `json:"time"`
	Segments  []segment `json:"segments"`
	Processes int       `json:"processes"`         // processes holding a listed segment
	Scanned   int       `json:"processes_scanned"` // processes whose descriptors were listed

	// Unreadable counts processes we may not look into (EACCES, EPERM).
	Unreadable int `json:"unreadable_processes"`
	// Vanished counts processes, and descriptors of segments, that went
	// away mid-scan.
	Vanished int `json:"vanished"`
	// NotRings counts tachyon-go memfds that hold no ring (yet): seen while
	// being created, or not sealed.
	NotRings int      `json:"not_rings"`
	Errors   []string `json:"errors,omitempty"` // anything else that went wrong
}

// segment is one ring, seen through every descriptor that holds it.
type segment struct {
	Dev  uint64 `json:"device"`
	Ino  uint64 `json:"inode"`
	Name string `json:"name"` // the memfd's name

	// From the name: the socket path and which way the ring carries data.
	Path      string `json:"path"`
	Direction string `json:"direction"`

	// Who holds it: every process, and when the scan could tell, the
	// creator (the accepting side, which made the ring) and its peers.
	PIDs       []int    `json:"pids"`
	CreatorPID int      `json:"creator_pid,omitempty"`
	PeerPIDs   []int    `json:"peer_pids,omitempty"`
	Holders    []holder `json:"holders"`

	Capacity     int     `json:"capacity"`
	Fill         int     `json:"fill"` // bytes published and not yet released, headers included
	FillPercent  float64 `json:"fill_percent"`
	State        string  `json:"state"`
	Head         uint64  `json:"head"`
	Tail         uint64  `json:"tail"`
	ConsumerWord string  `json:"consumer_word"`
	ProducerWord string  `json:"producer_word,omitempty"` // Go↔Go rings only
	ProducerEOF  bool    `json:"producer_eof"`
	ConsumerGone bool    `json:"consumer_gone"`

	// Extended rings (both sides tachyon-go) also carry both sides' counters.
	Extended   bool              `json:"extended"`
	ExtVersion uint32            `json:"ext_version,omitempty"`
	Producer   *counters[uint64] `json:"producer,omitempty"`
	Consumer   *counters[uint64] `json:"consumer,omitempty"`

	Rates *rates `json:"rates,omitempty"` // since the previous refresh
}

// holder is a process holding a segment.
type holder struct {
	PID  int    `json:"pid"`
	Comm string `json:"comm"`
	FDs  []int  `json:"fds"`
	Role string `json:"role,omitempty"` // roleCreator, rolePeer or "" if unknown
}

// Holder roles.
const (
	roleCreator = "creator"
	rolePeer    = "peer"
)

// counters are one side's shmring.Stats (as totals, or as rates per second).
type counters[T uint64 | float64] struct {
	Frames    T `json:"frames"`
	Bytes     T `json:"bytes"`
	Publishes T `json:"publishes"`
	Wakes     T `json:"wakes"`
	SpinWins  T `json:"spin_wins"`
	Parks     T `json:"parks"`
	Waits     T `json:"waits"`
}

// counterNames name the values of counters, in order.
var counterNames = [...]string{"frames", "bytes", "publishes", "wakes", "spin-wins", "parks", "waits"}

func (c counters[T]) values() [len(counterNames)]T {
	return [...]T{c.Frames, c.Bytes, c.Publishes, c.Wakes, c.SpinWins, c.Parks, c.Waits}
}

func countersOf[T uint64 | float64](v [len(counterNames)]T) *counters[T] {
	return &counters[T]{Frames: v[0], Bytes: v[1], Publishes: v[2], Wakes: v[3], SpinWins: v[4], Parks: v[5], Waits: v[6]}
}

func statsCounters(s shmring.Stats) *counters[uint64] {
	return countersOf([...]uint64{s.Frames, s.Bytes, s.Publishes, s.Wakes, s.SpinWins, s.Parks, s.Waits})
}

func (s *segment) id() fileID { return fileID{Dev: s.Dev, Ino: s.Ino} }

// setInfo fills in what the ring's control block says.
func (s *segment) setInfo(in shmring.Info) {
	s.Capacity, s.Fill = in.Capacity, in.Fill
	s.FillPercent = 100 * float64(in.Fill) / float64(in.Capacity)
	s.State = stateName(in.State)
	s.Head, s.Tail = in.Head, in.Tail
	s.ConsumerWord = in.ConsumerWord.String()
	s.Extended = in.Extended
	if in.Extended {
		s.ExtVersion = in.ExtVersion
		s.ProducerWord = in.ProducerWord.String()
		s.ProducerEOF, s.ConsumerGone = in.ProducerEOF, in.ConsumerGone
		s.Producer, s.Consumer = statsCounters(in.Producer), statsCounters(in.Consumer)
	}
}

// stateName names a ring's lifecycle word as ABI.md does.
func stateName(s shmring.State) string {
	switch s {
	case shmring.StateUninitialized:
		return "uninitialized"
	case shmring.StateInitializing:
		return "initializing"
	case shmring.StateReady:
		return "ready"
	case shmring.StateDisconnected:
		return "disconnected"
	case shmring.StateFatal:
		return "fatal"
	}
	return fmt.Sprintf("invalid(%d)", uint32(s))
}
