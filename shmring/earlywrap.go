package shmring

// Early wrap (WithEarlyWrap, ABI.md §2.2): a producer that finds its ring
// empty well into it puts its next frame back at offset 0, so that traffic
// which never fills much of the ring keeps to its first bytes.

// SetEarlyWrap changes the producer's early-wrap position, as WithEarlyWrap
// sets it at open. Call it while no Acquire or Commit of the producer is in
// progress, for instance before the producer is first used.
func (p *Producer) SetEarlyWrap(n int) error {
	var cfg config
	if err := WithEarlyWrap(n)(&cfg); err != nil {
		return err
	}
	p.setEarlyWrap(cfg.earlyWrap)
	return nil
}

// setEarlyWrap sets the early-wrap position n (valid) from the current
// head; a producer that keeps Tachyon's layout (WithTachyonWrap) never
// wraps early.
func (p *Producer) setEarlyWrap(n int) {
	if !p.tachyonWrap {
		p.wrapAt, p.wrapCheck = uint64(n), p.head
	}
}

// earlyWrapDue reports whether a frame of slot bytes, due at physical
// offset phys, may go back to offset 0 if the ring is empty: it would start
// past wrapAt by at least its slot, so wrapAt bytes of room stay free until
// the consumer passes the marker, and the last look at a ring that was not
// empty is wrapCheckStep bytes behind.
func (p *Producer) earlyWrapDue(phys, slot uint64) bool {
	return p.wrapAt != 0 && phys >= p.wrapAt+slot && int64(p.head-p.wrapCheck) >= 0
}

// wrapEarly grants a view of maxN bytes at offset 0, behind a wrap marker
// that Commit writes, when an early wrap is due and the consumer has taken
// every frame. It reports false when it does not apply.
func (p *Producer) wrapEarly(maxN int) ([]byte, bool, error) {
	phys := p.head & p.r.mask
	if !p.earlyWrapDue(phys, uint64(slotSize(maxN))) {
		return nil, false, nil
	}
	if p.tail != p.head {
		if err := p.loadTail(); err != nil {
			return nil, false, err
		}
		if p.tail != p.head {
			p.wrapCheck = p.head + p.wrapCheckStep()
			return nil, false, nil
		}
	}
	return p.grant(maxN, true, p.r.cap-phys), true, nil
}

// wrapCheckStep is how far the producer writes, after finding the ring not
// empty, before it looks again: an eighth of wrapAt, at most a sixteenth
// of the ring, at least one slot alignment, so that a consumer that lags
// now and then costs few tail loads and lets the position run on little
// past wrapAt.
func (p *Producer) wrapCheckStep() uint64 {
	return max(min(p.wrapAt/8, p.r.cap/16), MsgAlignment)
}
