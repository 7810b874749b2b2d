package shmring

import (
	"encoding/binary"
	"errors"
	"io"
	"os"
	"testing"
	"time"
	"unsafe"
)

// FuzzCorrupt plays a program of ring operations in one goroutine. Some
// operations scribble fuzzer-chosen bytes over the control block and frame
// headers, as a hostile or broken peer could at any moment. Whatever the
// program, no operation may panic or touch memory outside the ring, every
// error must be one the API documents for the situation (ErrCorrupt,
// ErrEmpty, ErrFull, io.EOF, and the closed and too-large errors where they
// apply), and a fresh ErrCorrupt leaves the state word at 4 (fatal). Until
// the first scribble, the program is also checked against a model: frames
// arrive complete and in order, none is lost or invented.
//
// CI runs the seed corpus; explore with
//
//	go test -run '^$' -fuzz FuzzCorrupt -fuzztime 10m -fuzzminimizetime 3s -timeout 30m ./shmring
//
// (the default -timeout of 10m would end a 10-minute run as a failure, and
// the default minimization time of 60s per new input spends most of a run
// minimizing).
func FuzzCorrupt(f *testing.F) {
	for _, s := range corruptSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, prog []byte) {
		newCorruptRun(t, prog).run()
	})
}

// Operations of a program: one byte each (modulo numOps), then arguments.
const (
	opProduce        = iota // size u16, cut u8: acquire size, commit size - cut%(size+1)
	opProduceUpTo           // min u16, span u16, cut u8
	opRollback              // size u16
	opConsume               // flags u8: bit 0 commits at once
	opDrain                 // count u8
	opCommit                //
	opFlush                 // flushes both sides
	opScribbleCtl           // field u8 (≥ 160: offset u16 follows), width u8, value (up to 8 bytes)
	opScribbleIndex         // which u8 (head, tail; aligned or not), delta i8
	opScribbleHeader        // slot u8, field u8, value u32
	opWait                  // side u8, size u16: a wait whose deadline has passed
	opReopen                // side u8: a new Producer or Consumer on the ring
	opMisc                  // what u8: close a side, Attach, read stats
	numOps
)

var fuzzCapacities = []int{64, 128, 256, 512, 1024, 4096}

// Publication intervals a program may choose (program byte 1, bits 0–1;
// bit 2 selects WithTachyonWrap, bits 3–4 WithEarlyWrap at 0, 64, a
// quarter or half of the ring).
var fuzzPublishEvery = []int{1, 1, 2, 32}

// Control-block fields a scribble aims at; other selector values pick any
// byte of the block.
var fuzzCtlFields = []int{
	offMagic, offVersion, offCapacity, offAlignment, offState, offExtMagic,
	offHead, offHead + 4, offTail, offTail + 4, offConsumerSleeping,
	offProducerSleeping, offProducerFlags, offConsumerFlags,
	offProducerStats, offConsumerStats,
}

type corruptRun struct {
	t           *testing.T
	prog        []byte
	pc          int
	r           *Ring
	every       int
	tachyonWrap bool // WithTachyonWrap: no eager wrap marker
	earlyWrap   int  // WithEarlyWrap's position; 0: off

	p *Producer // nil after a failed reopen
	c *Consumer

	seq            uint32      // frames committed so far
	want           []fuzzFrame // committed, not yet received (the model)
	scribbled      bool        // the model no longer holds
	pCorrupt       bool        // p has reported ErrCorrupt
	cCorrupt       bool        // c has reported ErrCorrupt
	pClosed        bool        // p was closed here
	cClosed        bool        // c was closed here
	everPClosed    bool        // some producer closed (the flag stays)
	everCClosed    bool        // some consumer closed
	frames         []Frame     // Drain buffer
	dataLo, dataHi uintptr     // the data area, for bounds checks

	// Progress: views the consumer holds; whether the model says the ring
	// was found drained (every frame read, released and published) since
	// the last frame went in; how many times in a row the producer then
	// still found no room.
	views          int
	drained        bool
	fullAfterDrain int

	// What happened, logged with -v: frames received, and errors by kind.
	got, full, empty, eof, corrupt, closed int
}

type fuzzFrame struct {
	typ     TypeID
	payload []byte
}

func newCorruptRun(t *testing.T, prog []byte) *corruptRun {
	m := &corruptRun{t: t, prog: prog, frames: make([]Frame, 8)}
	capacity := fuzzCapacities[int(m.u8())%len(fuzzCapacities)]
	config := m.u8()
	m.every = fuzzPublishEvery[int(config)%len(fuzzPublishEvery)]
	m.tachyonWrap = config&4 != 0
	m.earlyWrap = []int{0, 64, capacity / 4, capacity / 2}[config>>3&3]
	r, err := Create("tachyon-go-fuzz", capacity)
	if err != nil {
		t.Fatal(err)
	}
	m.r = r
	m.dataLo = uintptr(unsafe.Pointer(&r.data[0]))
	m.dataHi = m.dataLo + uintptr(len(r.data))
	m.p = m.openProducer()
	m.c = m.openConsumer()
	return m
}

func (m *corruptRun) u8() byte {
	if m.pc >= len(m.prog) {
		return 0
	}
	b := m.prog[m.pc]
	m.pc++
	return b
}

func (m *corruptRun) u16() int { return int(m.u8()) | int(m.u8())<<8 }

func (m *corruptRun) u32() uint32 { return uint32(m.u16()) | uint32(m.u16())<<16 }

func (m *corruptRun) run() {
	defer m.finish()
	for m.pc < len(m.prog) {
		switch m.u8() % numOps {
		case opProduce:
			m.produce(m.u16()%(m.r.Capacity()+2*HeaderSize), -1, int(m.u8()))
		case opProduceUpTo:
			lo := m.u16() % m.r.Capacity()
			m.produce(lo, lo+m.u16()%m.r.Capacity(), int(m.u8()))
		case opRollback:
			m.rollback(m.u16() % m.r.Capacity())
		case opConsume:
			m.consume(m.u8()&1 != 0)
		case opDrain:
			m.drain(1 + int(m.u8())%len(m.frames))
		case opCommit:
			m.commit()
		case opFlush:
			m.flush()
		case opScribbleCtl:
			m.scribbleCtl()
		case opScribbleIndex:
			m.scribbleIndex()
		case opScribbleHeader:
			m.scribbleHeader()
		case opWait:
			m.wait()
		case opReopen:
			m.reopen(m.u8()&1 == 0)
		case opMisc:
			m.misc()
		}
	}
}

// finish releases everything, so that no mapping outlives the run.
func (m *corruptRun) finish() {
	if testing.Verbose() {
		m.t.Logf("cap %d every %d tachyonWrap %v: %d sent, %d received; full %d, empty %d, EOF %d, corrupt %d, closed %d; state %d",
			m.r.Capacity(), m.every, m.tachyonWrap, m.seq, m.got, m.full, m.empty, m.eof, m.corrupt, m.closed, m.r.State())
	}
	abandonProducer(m.p)
	if m.c != nil {
		m.c.Commit()
		m.c.h.release()
	}
	m.r.Close()
}

// abandonProducer drops a producer as a peer that vanishes would: its
// idle-flush timer stops and its hold on the mapping goes, with no flag
// set in the ring.
func abandonProducer(p *Producer) {
	if p != nil {
		if p.batch != nil {
			p.batch.timer.Stop()
		}
		p.h.release()
	}
}

func (m *corruptRun) openProducer() *Producer {
	opts := []Option{WithPublishEvery(m.every), WithFlushDelay(time.Hour), WithSpin(0)}
	if m.tachyonWrap {
		opts = append(opts, WithTachyonWrap())
	}
	opts = append(opts, WithEarlyWrap(m.earlyWrap))
	p, err := m.r.Producer(opts...)
	if err != nil {
		m.freshCorrupt("Producer()", err)
		return nil
	}
	return p
}

func (m *corruptRun) openConsumer() *Consumer {
	c, err := m.r.Consumer(WithSpin(0))
	if err != nil {
		m.freshCorrupt("Consumer()", err)
		return nil
	}
	past := time.Unix(1, 0) // waits never block
	c.SetDeadline(past)
	return c
}

// freshCorrupt checks an error that a side has just detected: only
// corruption is allowed, after a scribble, and it must be recorded as the
// fatal state.
func (m *corruptRun) freshCorrupt(what string, err error) {
	m.t.Helper()
	m.corrupt++
	if !errors.Is(err, ErrCorrupt) {
		m.t.Fatalf("%s: %v, want ErrCorrupt", what, err)
	}
	if !m.scribbled {
		m.t.Fatalf("%s: %v without any scribble", what, err)
	}
	if s := m.r.State(); s != StateFatal {
		m.t.Fatalf("%s: %v left state %d, want %d", what, err, s, StateFatal)
	}
}

// producerErr checks an error from an acquire of minN bytes.
func (m *corruptRun) producerErr(err error, minN int) {
	m.t.Helper()
	switch {
	case errors.Is(err, ErrFull):
		m.full++
		// From a drained ring, a frame that can ever fit needs at most
		// one eager wrap marker, skipped in the next drain, before it
		// fits: a second failure in a row means a frame was stranded.
		// Without eager markers (WithTachyonWrap) only slots up to half
		// the ring are sure to fit.
		canFit := minN <= m.p.MaxPayload() && (!m.tachyonWrap || slotSize(minN) <= m.r.Capacity()/2)
		if m.drained && !m.scribbled && canFit {
			if m.fullAfterDrain++; m.fullAfterDrain >= 2 {
				m.t.Fatalf("acquire %d: ErrFull twice in a row on a drained ring", minN)
			}
		}
		m.drained = false
	case errors.Is(err, ErrTooLarge):
		if minN <= m.p.MaxPayload() {
			m.t.Fatalf("acquire %d: %v, limit %d", minN, err, m.p.MaxPayload())
		}
	case errors.Is(err, ErrPeerClosed):
		m.closed++
		if !m.everCClosed && !m.scribbled {
			m.t.Fatalf("acquire: %v but no consumer closed", err)
		}
	case errors.Is(err, ErrClosed):
		if !m.pClosed {
			m.t.Fatalf("acquire: %v but the producer is open", err)
		}
	case errors.Is(err, ErrCorrupt):
		m.corrupt++
		if !m.pCorrupt {
			m.freshCorrupt("acquire", err)
			m.pCorrupt = true
		}
	default:
		m.t.Fatalf("acquire %d: unexpected error %v", minN, err)
	}
}

// consumerErr checks an error from Acquire or Drain.
func (m *corruptRun) consumerErr(err error) {
	m.t.Helper()
	switch {
	case errors.Is(err, ErrEmpty):
		m.empty++
		if !m.scribbled && m.views == 0 && len(m.want) == 0 {
			m.drained = true // (a wrap marker may be pending: it must not strand the next frame)
		}
		if !m.scribbled && len(m.want) > 0 && (m.p == nil || m.p.pending == 0) {
			m.t.Fatalf("ErrEmpty with %d frames published and unread", len(m.want))
		}
	case errors.Is(err, io.EOF):
		m.eof++
		if !m.everPClosed && !m.scribbled {
			m.t.Fatal("io.EOF but no producer closed")
		}
		if !m.scribbled && len(m.want) > 0 && (m.p == nil || m.p.pending == 0) {
			m.t.Fatalf("io.EOF with %d frames unread", len(m.want))
		}
	case errors.Is(err, ErrClosed):
		if !m.cClosed {
			m.t.Fatalf("consumer: %v but it is open", err)
		}
	case errors.Is(err, ErrCorrupt):
		m.corrupt++
		if !m.cCorrupt {
			m.freshCorrupt("consumer acquire", err)
			m.cCorrupt = true
		}
	default:
		m.t.Fatalf("consumer: unexpected error %v", err)
	}
}

// produce acquires [minN, maxN] bytes (maxN < 0: exactly minN), fills the
// view and commits all but cut of it.
func (m *corruptRun) produce(minN, maxN, cut int) {
	if m.p == nil {
		return
	}
	var b []byte
	var err error
	if maxN < 0 {
		b, err = m.p.Acquire(minN)
		maxN = minN
	} else {
		b, err = m.p.AcquireUpTo(minN, maxN)
	}
	if err != nil {
		m.producerErr(err, minN)
		return
	}
	if len(b) < minN || len(b) > min(maxN, m.p.MaxPayload()) {
		m.t.Fatalf("acquire [%d, %d] granted %d bytes", minN, maxN, len(b))
	}
	m.inData("producer view", b)
	for i := range b {
		b[i] = byte(m.seq) + byte(i)
	}
	n := len(b) - cut%(len(b)+1)
	typ := TypeID(m.seq)
	if err := m.p.Commit(n, typ); err != nil {
		m.t.Fatalf("commit %d of %d bytes: %v", n, len(b), err)
	}
	m.want = append(m.want, fuzzFrame{typ: typ, payload: append([]byte(nil), b[:n]...)})
	m.seq++
	m.drained, m.fullAfterDrain = false, 0
}

func (m *corruptRun) rollback(n int) {
	if m.p == nil {
		return
	}
	b, err := m.p.Acquire(n)
	if err != nil {
		m.producerErr(err, n)
		return
	}
	m.inData("producer view", b)
	clear(b)
	m.p.Rollback()
}

// inData checks that a view lies inside the data area.
func (m *corruptRun) inData(what string, b []byte) {
	m.t.Helper()
	if len(b) == 0 {
		return
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	if lo < m.dataLo || lo+uintptr(len(b)) > m.dataHi {
		m.t.Fatalf("%s of %d bytes at %#x outside the data area [%#x, %#x)", what, len(b), lo, m.dataLo, m.dataHi)
	}
}

// received checks a frame the consumer returned.
func (m *corruptRun) received(f Frame) {
	m.t.Helper()
	if len(f.Payload) > m.r.MaxPayload() {
		m.t.Fatalf("frame of %d bytes in a ring carrying at most %d", len(f.Payload), m.r.MaxPayload())
	}
	m.inData("frame", f.Payload)
	m.got++
	if m.scribbled {
		return
	}
	if len(m.want) == 0 {
		m.t.Fatalf("frame type %d of %d bytes that nobody sent", f.Type, len(f.Payload))
	}
	w := m.want[0]
	m.want = m.want[1:]
	if f.Type != w.typ || string(f.Payload) != string(w.payload) || f.CorrelationID != 0 {
		m.t.Fatalf("frame type %d, %d bytes, correlation %d; want type %d, %d bytes",
			f.Type, len(f.Payload), f.CorrelationID, w.typ, len(w.payload))
	}
}

func (m *corruptRun) consume(commit bool) {
	if m.c == nil {
		return
	}
	f, err := m.c.Acquire()
	if err != nil {
		m.consumerErr(err)
		return
	}
	m.received(f)
	m.views++
	if commit {
		m.commit()
	}
}

func (m *corruptRun) drain(n int) {
	if m.c == nil {
		return
	}
	got, err := m.c.Drain(m.frames[:n])
	if err != nil {
		m.consumerErr(err)
		return
	}
	if got < 1 || got > n {
		m.t.Fatalf("Drain of %d returned %d frames", n, got)
	}
	// Drain reports an error only when it got no frame: corruption found
	// after the first one is sticky, and the state word must say so now,
	// before a later scribble may change it.
	if err := m.c.err; errors.Is(err, ErrCorrupt) && !m.cCorrupt {
		m.freshCorrupt("consumer drain", err)
		m.cCorrupt = true
	}
	for _, f := range m.frames[:got] {
		m.received(f)
	}
	m.views += got
	m.commit()
}

func (m *corruptRun) commit() {
	if m.c != nil {
		if err := m.c.Commit(); err != nil {
			m.t.Fatalf("consumer commit: %v", err)
		}
	}
	m.views = 0
}

// flush flushes both sides; one that was closed fails with ErrClosed.
func (m *corruptRun) flush() {
	if m.p != nil {
		if err := m.p.Flush(); err != nil && !(m.pClosed && errors.Is(err, ErrClosed)) {
			m.t.Fatalf("producer flush: %v", err)
		}
	}
	if m.c != nil {
		if err := m.c.Flush(); err != nil && !(m.cClosed && errors.Is(err, ErrClosed)) {
			m.t.Fatalf("consumer flush: %v", err)
		}
	}
}

func (m *corruptRun) scribbleCtl() {
	sel, width := int(m.u8()), []int{1, 2, 4, 8}[m.u8()%4]
	var off int
	if sel < 160 {
		off = fuzzCtlFields[sel%len(fuzzCtlFields)]
	} else {
		off = m.u16() % ControlSize
	}
	width = min(width, ControlSize-off)
	for i := range width {
		m.r.ctl[off+i] = m.u8()
	}
	m.scribbled = true
}

// scribbleIndex moves head or tail by a signed delta, in whole slots or
// not: plausible lies are the hard ones to catch.
func (m *corruptRun) scribbleIndex() {
	which, delta := m.u8(), int64(int8(m.u8()))
	if which&2 == 0 {
		delta *= HeaderSize
	}
	word := m.r.head
	if which&1 != 0 {
		word = m.r.tail
	}
	word.Store(word.Load() + uint64(delta))
	m.scribbled = true
}

// scribbleHeader overwrites one field of a frame header at or after the
// consumer's read position, or anywhere in the ring.
func (m *corruptRun) scribbleHeader() {
	slot, field, raw := m.u8(), m.u8(), m.u32()
	var base uint64
	if m.c != nil && slot&0x80 == 0 {
		base = m.c.pos
	}
	off := (base + uint64(slot&0x7f)*HeaderSize) & m.r.mask
	values := []uint32{raw, WrapMarker, 0, raw % 64 * HeaderSize, uint32(m.r.cap), uint32(m.r.cap) + HeaderSize, raw | 1}
	v := values[int(field>>3)%len(values)]
	ne := binary.NativeEndian
	switch h := m.r.data[off : off+HeaderSize]; field % 8 {
	case 0, 1:
		ne.PutUint32(h[hdrSize:], v)
	case 2, 3:
		ne.PutUint32(h[hdrReservedSize:], v)
	case 4:
		ne.PutUint32(h[hdrTypeID:], v)
	case 5:
		ne.PutUint64(h[hdrCorrelationID:], uint64(v)<<32|uint64(raw))
	default:
		h[raw%HeaderSize] = byte(v)
	}
	m.scribbled = true
}

// wait calls Wait with a deadline in the past: it must return at once.
func (m *corruptRun) wait() {
	side, n := m.u8(), m.u16()%m.r.Capacity()
	var err error
	closed := false // a closed side's Wait fails with ErrClosed
	switch {
	case side&1 == 0 && m.p != nil:
		m.p.SetDeadline(time.Unix(1, 0))
		err, closed = m.p.Wait(n), m.pClosed
	case side&1 == 1 && m.c != nil:
		err, closed = m.c.Wait(), m.cClosed
	default:
		return
	}
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) && !(closed && errors.Is(err, ErrClosed)) {
		m.t.Fatalf("wait: %v", err)
	}
}

// reopen replaces a side by a new one on the same ring, as a restarted
// peer would; the old one hands over cleanly first.
func (m *corruptRun) reopen(producer bool) {
	if producer {
		if m.p != nil {
			m.p.Flush()
			abandonProducer(m.p)
		}
		m.p, m.pCorrupt, m.pClosed = m.openProducer(), false, false
		return
	}
	if m.c != nil {
		m.commit()
		m.c.Flush()
		m.c.h.release()
	}
	m.c, m.cCorrupt, m.cClosed = m.openConsumer(), false, false
}

func (m *corruptRun) misc() {
	switch m.u8() % 4 {
	case 0:
		if m.p != nil {
			if err := m.p.Close(); err != nil {
				m.t.Fatalf("producer close: %v", err)
			}
			m.pClosed, m.everPClosed = true, true
		}
	case 1:
		if m.c != nil {
			// Hand the frames read so far over to a later consumer.
			m.commit()
			m.c.Flush()
			if err := m.c.Close(); err != nil {
				m.t.Fatalf("consumer close: %v", err)
			}
			m.cClosed, m.everCClosed = true, true
		}
	case 2:
		a, err := Attach(m.r.Fd(), m.r.Capacity())
		if err != nil {
			if !m.scribbled {
				m.t.Fatalf("Attach of an intact ring: %v", err)
			}
			return
		}
		a.Close()
	case 3:
		_ = m.r.Fill()
		if m.p != nil {
			_ = m.p.Stats()
		}
		if m.c != nil {
			_ = m.c.Stats()
			if b := m.c.Buffered(); !m.scribbled && (b < 0 || b > m.r.Capacity()) {
				m.t.Fatalf("Buffered() = %d", b)
			}
		}
	}
}

// corruptSeeds are programs that reach every operation and the corruptions
// worth starting from: moved and misaligned indices, headers that lie about
// their sizes, stray wrap markers, bad control words, closes and reopens.
func corruptSeeds() [][]byte {
	prog := func(capIdx, every byte, ops ...[]byte) []byte {
		p := []byte{capIdx, every}
		for _, op := range ops {
			p = append(p, op...)
		}
		return p
	}
	rep := func(n int, ops ...[]byte) []byte {
		var p []byte
		for range n {
			for _, op := range ops {
				p = append(p, op...)
			}
		}
		return p
	}
	produce := func(n int, cut byte) []byte { return []byte{opProduce, byte(n), byte(n >> 8), cut} }
	upTo := func(lo, span int) []byte {
		return []byte{opProduceUpTo, byte(lo), byte(lo >> 8), byte(span), byte(span >> 8), 0}
	}
	rollback := func(n int) []byte { return []byte{opRollback, byte(n), byte(n >> 8)} }
	consume := func(commit bool) []byte {
		if commit {
			return []byte{opConsume, 1}
		}
		return []byte{opConsume, 0}
	}
	drain := func(n byte) []byte { return []byte{opDrain, n} } // drains 1+n%8
	commit, flush := []byte{opCommit}, []byte{opFlush}
	// Control fields by index in fuzzCtlFields.
	const (
		fMagic, fVersion, fCapacity, fAlignment, fState, fExtMagic   = 0, 1, 2, 3, 4, 5
		fHead, fTail, fConsSleep, fProdSleep, fProdFlags, fConsFlags = 6, 8, 10, 11, 12, 13
		fProdStats, fConsStats                                       = 14, 15
	)
	ctl32 := func(field byte, v uint32) []byte {
		return []byte{opScribbleCtl, field, 2, byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}
	}
	ctl64 := func(field byte, v uint64) []byte {
		p := []byte{opScribbleCtl, field, 3}
		return binary.LittleEndian.AppendUint64(p, v)
	}
	const head, tail, unaligned = 0, 1, 2
	index := func(which byte, delta int8) []byte { return []byte{opScribbleIndex, which, byte(delta)} }
	// Header fields: low 3 bits choose the field, the rest the value.
	const (
		hSize, hReserved, hType, hCorr, hByte            = 0, 2, 4, 5, 6
		vRaw, vWrap, vZero, vSlots, vCap, vCapPlus, vOdd = 0, 1, 2, 3, 4, 5, 6
	)
	header := func(slot, field, value byte, raw uint32) []byte {
		return []byte{opScribbleHeader, slot, field | value<<3, byte(raw), byte(raw >> 8), byte(raw >> 16), byte(raw >> 24)}
	}
	waitP := func(n int) []byte { return []byte{opWait, 0, byte(n), byte(n >> 8)} }
	waitC := []byte{opWait, 1, 0, 0}
	reopenP, reopenC := []byte{opReopen, 0}, []byte{opReopen, 1}
	closeP, closeC, attach, stats := []byte{opMisc, 0}, []byte{opMisc, 1}, []byte{opMisc, 2}, []byte{opMisc, 3}

	return [][]byte{
		// Intact programs: the model checks them frame by frame.
		prog(4, 0, rep(20, produce(100, 0), consume(true))),
		prog(2, 0, rep(10, produce(150, 10), produce(30, 0), drain(7))),
		prog(1, 3, rep(8, produce(0, 0), upTo(0, 64)), flush, rep(8, consume(true))),
		prog(4, 2, produce(900, 0), consume(false), produce(500, 0), commit, produce(960, 0),
			consume(true), produce(960, 0), rollback(10), consume(true), waitP(960), waitC, stats, attach),
		prog(0, 0, rep(10, produce(0, 0), consume(true), rollback(0))),
		prog(5, 3, rep(40, produce(200, 50)), rep(10, drain(7)), flush, waitC, drain(7)),
		prog(3, 0, produce(10, 0), produce(20, 0), closeP, consume(true), consume(true), consume(true),
			reopenP, produce(5, 0), consume(true), closeC, produce(1, 0), reopenC, consume(true)),
		prog(4, 0, produce(2000, 0), upTo(2000, 100), produce(960, 0), consume(true), produce(961, 0)),
		// The largest frame from a drained ring at 192: an eager wrap
		// marker, a drain that skips it, then the frame.
		prog(4, 0, produce(100, 0), consume(true), consume(true), produce(960, 0), consume(true), produce(960, 0), consume(true)),
		prog(4, 3, produce(100, 0), flush, consume(true), consume(true), upTo(900, 60), consume(true), upTo(900, 60), consume(true)),
		prog(2, 4, rep(12, produce(100, 0), produce(20, 0), consume(true), consume(false), drain(1))),
		prog(4, 4, produce(400, 0), consume(true), consume(true), produce(500, 0), consume(true), produce(900, 0), consume(true)),
		// Indices.
		prog(4, 0, produce(100, 0), produce(100, 0), index(head, 1), consume(true), consume(true), consume(true)),
		prog(4, 0, produce(100, 0), index(head|unaligned, 5), consume(true)),
		prog(4, 0, produce(100, 0), index(head, 100), drain(7)),
		prog(4, 0, produce(100, 0), index(head, -1), consume(true), produce(100, 0)),
		prog(4, 0, produce(100, 0), consume(true), index(tail, -3), produce(900, 0), produce(100, 0)),
		prog(4, 0, produce(100, 0), consume(true), index(tail, 4), produce(100, 0), produce(900, 0)),
		prog(4, 0, produce(100, 0), index(tail|unaligned, 8), reopenC, consume(true), reopenP, produce(10, 0)),
		// A side opened on indices a peer moved since Attach (just short of
		// the physical end: a header read or written there would overrun).
		prog(4, 0, index(tail|unaligned, -8), reopenC, produce(100, 0), consume(true)),
		prog(4, 0, index(head|unaligned, -8), reopenP, produce(900, 0), consume(true)),
		prog(2, 0, produce(100, 0), ctl64(fHead, 1<<63), consume(true), reopenC, reopenP),
		prog(2, 0, produce(100, 0), ctl64(fTail, 1<<63|64), produce(10, 0), reopenP, attach),
		// Headers.
		prog(4, 0, produce(100, 0), header(0, hReserved, vZero, 0), consume(true)),
		prog(4, 0, produce(100, 0), header(0, hReserved, vCap, 0), consume(true)),
		prog(4, 0, produce(100, 0), header(0, hReserved, vCapPlus, 0), consume(true)),
		prog(4, 0, produce(100, 0), header(0, hReserved, vOdd, 127), consume(true)),
		prog(4, 0, produce(100, 0), header(0, hSize, vRaw, 1000), consume(true)),
		prog(4, 0, produce(100, 0), header(0, hSize, vRaw, 129), consume(true)),
		prog(4, 0, produce(900, 0), header(0, hSize, vWrap, 0), consume(true)),
		prog(4, 0, produce(100, 0), produce(100, 0), header(3, hSize, vWrap, 0), consume(true), consume(true)),
		prog(4, 0, produce(100, 0), produce(100, 0), header(3, hReserved, vSlots, 40), drain(7)),
		prog(2, 0, produce(150, 0), consume(true), produce(150, 0),
			header(0x80|2, hSize, vWrap, 0), consume(true), consume(true)),
		prog(4, 0, produce(100, 0), header(0, hType, vRaw, 0xdeadbeef), header(0, hCorr, vRaw, 7), consume(true)),
		prog(4, 0, produce(100, 0), header(0, hByte, vRaw, 0x0b), consume(true)),
		// Control words.
		prog(4, 0, ctl32(fState, 3), attach, produce(10, 0), consume(true), ctl32(fState, 4), attach),
		prog(4, 0, ctl32(fMagic, 0), attach, ctl32(fVersion, 5), attach, ctl32(fCapacity, 64), attach,
			ctl32(fAlignment, 32), attach, ctl32(fExtMagic, 0), attach, produce(1, 0), consume(true)),
		prog(4, 0, ctl32(fConsSleep, 2), produce(10, 0), waitP(10), waitC, ctl32(fProdSleep, 1), consume(true), waitC),
		prog(4, 0, ctl32(fConsSleep, 0xffffffff), ctl32(fProdSleep, 7), waitC, produce(10, 0), consume(true)),
		prog(4, 0, produce(10, 0), ctl32(fProdFlags, 1), consume(true), consume(true), ctl32(fProdFlags, 0)),
		prog(4, 0, ctl32(fConsFlags, 1), produce(10, 0), ctl32(fConsFlags, 0xfffffffe), produce(10, 0), consume(true)),
		prog(4, 0, ctl64(fProdStats, ^uint64(0)), ctl64(fConsStats, 1), produce(10, 0), consume(true), stats, reopenP, reopenC, stats),
		prog(4, 0, []byte{opScribbleCtl, 200, 3, 0x20, 0x01, 1, 2, 3, 4, 5, 6, 7, 8}, produce(10, 0), consume(true)),
	}
}
