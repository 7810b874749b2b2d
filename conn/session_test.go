package conn

import (
	"bytes"
	"errors"
	"testing"
)

// TestGoldenSessionMessage pins the 16 bytes of ABI.md §5.3: magic "TGOS",
// version 2, features bit 0 (own doorbells), status 0 — native-endian,
// which is little-endian on every platform tachyon-go supports.
func TestGoldenSessionMessage(t *testing.T) {
	want := []byte{
		'T', 'G', 'O', 'S', // magic 0x534F4754
		2, 0, 0, 0, // version
		1, 0, 0, 0, // features: own doorbells
		0, 0, 0, 0, // status: accepted
	}
	got := sessionMsg{version: sessionVersion, features: featureWakeSockets, status: statusOK}.marshal()
	if !bytes.Equal(got[:], want) {
		t.Fatalf("session message\n got % x\nwant % x", got, want)
	}
	if m, err := parseSession(want); err != nil || m.version != 2 || m.features != featureWakeSockets || m.status != 0 {
		t.Fatalf("parse: %+v, %v", m, err)
	}
}

func TestParseSessionRefuses(t *testing.T) {
	good := sessionMsg{version: sessionVersion, features: featureWakeSockets}.marshal()
	for _, tc := range []struct {
		name string
		edit func(b []byte) []byte
	}{
		{"short", func(b []byte) []byte { return b[:15] }},
		{"magic", func(b []byte) []byte { b[0] = 'X'; return b }},
		{"version", func(b []byte) []byte { b[4] = 1; return b }},
		{"no doorbells", func(b []byte) []byte { b[8] = 0; return b }},
	} {
		b := good
		if _, err := parseSession(tc.edit(b[:])); !errors.Is(err, ErrNotSession) {
			t.Errorf("%s: got %v, want ErrNotSession", tc.name, err)
		}
	}
}

// TestGoldenHello pins the 32 bytes of the client's hello (ABI.md §5.2):
// magic "TGOH", version 2, features bit 0, the ring sizes asked for, the
// protocol, and eight reserved zero bytes.
func TestGoldenHello(t *testing.T) {
	want := []byte{
		'T', 'G', 'O', 'H', // magic 0x484F4754
		2, 0, 0, 0, // version
		1, 0, 0, 0, // features: own doorbells
		0, 0, 1, 0, // client→server ring: 64 KiB
		0, 0, 0, 0, // server→client ring: the listener's default
		'g', 'r', 'p', 'c', // protocol
		0, 0, 0, 0, 0, 0, 0, 0, // reserved
	}
	got := helloMsg{version: sessionVersion, features: featureWakeSockets, toServer: 64 << 10, protocol: 0x63707267}.marshal()
	if !bytes.Equal(got[:], want) {
		t.Fatalf("hello\n got % x\nwant % x", got, want)
	}
	h, status, err := parseHello(want)
	if err != nil || status != statusOK || h.toServer != 64<<10 || h.toClient != 0 || h.protocol != 0x63707267 {
		t.Fatalf("parse: %+v, status %d, %v", h, status, err)
	}
}

func TestParseHelloRefuses(t *testing.T) {
	good := helloMsg{version: sessionVersion, features: featureWakeSockets}.marshal()
	for _, tc := range []struct {
		name   string
		edit   func(b []byte)
		status uint32
	}{
		{"magic", func(b []byte) { copy(b, "GET ") }, statusBadHello},
		{"version", func(b []byte) { b[4] = 1 }, statusVersion},
		{"no doorbells", func(b []byte) { b[8] = 0 }, statusBadHello},
		{"reserved", func(b []byte) { b[31] = 1 }, statusBadHello},
	} {
		b := good
		tc.edit(b[:])
		_, status, err := parseHello(b[:])
		if !errors.Is(err, ErrNotSession) || status != tc.status {
			t.Errorf("%s: got status %d, %v; want status %d and ErrNotSession", tc.name, status, err, tc.status)
		}
	}
}
