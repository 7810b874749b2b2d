//go:build linux

package main

import (
	"strings"
	"testing"
)

func TestFooter(t *testing.T) {
	for _, tc := range []struct {
		snap snapshot
		want string
	}{
		{snapshot{}, ""},
		{snapshot{Unreadable: 1}, "1 process not readable"},
		{snapshot{Unreadable: 3, Vanished: 2}, "3 processes not readable\n2 vanished mid-scan"},
		{snapshot{NotRings: 1, Errors: []string{"boom"}}, "1 tachyon-go memfd holding no ring\nerror: boom"},
	} {
		if got := footer(&tc.snap); got != tc.want {
			t.Errorf("footer(%+v) = %q, want %q", tc.snap, got, tc.want)
		}
	}
	var b strings.Builder
	render(&b, &snapshot{Unreadable: 2}, 0)
	if !strings.Contains(b.String(), "no tachyon-go rings") || !strings.HasSuffix(b.String(), "\n2 processes not readable\n") {
		t.Errorf("render:\n%s", b.String())
	}
}

func TestUnits(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{bytesSize(1088), "1088 B"},
		{bytesSize(256 << 10), "256 KiB"},
		{bytesSize(1536 << 10), "1.5 MiB"},
		{bytesRate(3.2e9), "3.0 GiB/s"},
		{countRate(12.4), "12/s"},
		{countRate(2.5e6), "2.5 M/s"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
