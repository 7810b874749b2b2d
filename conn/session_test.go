package conn

import (
	"bytes"
	"errors"
	"testing"
)

// TestGoldenSessionMessage pins the 16 bytes of ABI.md §5.2: magic "TGOS",
// version 1, features bit 0 (doorbells), status 0 — native-endian, which is
// little-endian on every platform tachyon-go supports.
func TestGoldenSessionMessage(t *testing.T) {
	want := []byte{
		'T', 'G', 'O', 'S', // magic 0x534F4754
		1, 0, 0, 0, // version
		1, 0, 0, 0, // features: doorbells
		0, 0, 0, 0, // status: accepted
	}
	got := sessionMsg{version: sessionVersion, features: featureDoorbells, status: statusOK}.marshal()
	if !bytes.Equal(got[:], want) {
		t.Fatalf("session message\n got % x\nwant % x", got, want)
	}
	if m, err := parseSession(want); err != nil || m.version != 1 || m.features != featureDoorbells || m.status != 0 {
		t.Fatalf("parse: %+v, %v", m, err)
	}
}

func TestParseSessionRefuses(t *testing.T) {
	good := sessionMsg{version: sessionVersion, features: featureDoorbells}.marshal()
	for _, tc := range []struct {
		name string
		edit func(b []byte) []byte
	}{
		{"short", func(b []byte) []byte { return b[:15] }},
		{"magic", func(b []byte) []byte { b[0] = 'X'; return b }},
		{"version", func(b []byte) []byte { b[4] = 2; return b }},
		{"no doorbells", func(b []byte) []byte { b[8] = 0; return b }},
	} {
		b := good
		if _, err := parseSession(tc.edit(b[:])); !errors.Is(err, ErrNotSession) {
			t.Errorf("%s: got %v, want ErrNotSession", tc.name, err)
		}
	}
}
