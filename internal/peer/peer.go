// Package peer is the peer-credential rule that conn and bus share: which
// users a peer process may run as, and the one error both packages return
// when it may not.
//
// The rule, the same in both packages: by default a peer must run as this
// process's effective uid (what SO_PEERCRED reports for the peer is its
// effective uid too); WithPeerUIDs(uids ...int) allows exactly the uids
// given, at least one; WithAnyPeer allows everyone; of those two options the
// last one given wins.
package peer

import (
	"errors"
	"fmt"
	"os"
	"slices"
)

// ErrRefused is the one value conn.ErrPeerRefused and bus.ErrPeerRefused
// both are, so that errors.Is matches it whichever package refused.
var ErrRefused = errors.New("peer refused")

// Policy says which users a peer process may run as. The zero Policy allows
// only this process's effective uid.
type Policy struct {
	uids []int // allowed uids; nil: os.Geteuid()
	any  bool
}

// SetUIDs allows exactly uids (replacing any earlier policy). An empty list
// is an error: it would refuse every peer.
func (p *Policy) SetUIDs(uids []int) error {
	if len(uids) == 0 {
		return errors.New("WithPeerUIDs needs at least one uid (it would refuse every peer); use WithAnyPeer to accept all")
	}
	for _, u := range uids {
		if u < 0 || u > 1<<32-1 {
			return fmt.Errorf("WithPeerUIDs: uid %d out of range", u)
		}
	}
	p.uids, p.any = slices.Clone(uids), false
	return nil
}

// SetAny allows a peer of any uid (replacing any earlier policy).
func (p *Policy) SetAny() { p.uids, p.any = nil, true }

// Allowed reports whether a peer running as uid may connect.
func (p *Policy) Allowed(uid int) bool {
	switch {
	case p.any:
		return true
	case p.uids == nil:
		return uid == os.Geteuid()
	}
	return slices.Contains(p.uids, uid)
}

// Check returns nil if a peer process pid running as uid is allowed, and
// otherwise an error wrapping ErrRefused that names the process, its uid
// and the uids allowed.
func (p *Policy) Check(pid, uid int) error {
	if p.Allowed(uid) {
		return nil
	}
	allowed := p.uids
	if allowed == nil {
		allowed = []int{os.Geteuid()}
	}
	return fmt.Errorf("%w: pid %d runs as uid %d, allowed %v (see WithPeerUIDs, WithAnyPeer)", ErrRefused, pid, uid, allowed)
}
