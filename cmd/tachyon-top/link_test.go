//go:build linux

package main

import "testing"

func TestMemfdName(t *testing.T) {
	for _, tc := range []struct {
		target, name string
		ok           bool
	}{
		{"/memfd:tachyon-go:c2s:/tmp/a b/sock (deleted)", "tachyon-go:c2s:/tmp/a b/sock", true},
		{"/memfd:x (deleted) (deleted)", "x (deleted)", true}, // only the kernel's suffix goes
		{"/memfd:no-suffix", "no-suffix", true},
		{"socket:[1234]", "", false},
		{"pipe:[99]", "", false},
		{"/dev/shm/memfd:x", "", false},
		{"anon_inode:[eventfd]", "", false},
	} {
		name, ok := memfdName(tc.target)
		if name != tc.name || ok != tc.ok {
			t.Errorf("memfdName(%q) = %q, %v; want %q, %v", tc.target, name, ok, tc.name, tc.ok)
		}
	}
}

func TestParseRingName(t *testing.T) {
	for _, tc := range []struct {
		name string
		want ringName
		ours bool
	}{
		{"tachyon-go:c2s:/run/app.sock", ringName{Dir: "c2s", Path: "/run/app.sock"}, true},
		{"tachyon-go:s2c:pipe", ringName{Dir: "s2c", Path: "pipe"}, true},
		{"tachyon-go:s2c:/tmp/a:b c", ringName{Dir: "s2c", Path: "/tmp/a:b c"}, true},
		{"tachyon-go:c2s:", ringName{Dir: "c2s", Path: ""}, true},
		{"tachyon-go:odd", ringName{Path: "odd"}, true},
		{"tachyon-go:xyz:/p", ringName{Path: "xyz:/p"}, true},
		{"tachyon:c2s:/p", ringName{}, false},
		{"", ringName{}, false},
	} {
		got, ours := parseRingName(tc.name)
		if got != tc.want || ours != tc.ours {
			t.Errorf("parseRingName(%q) = %+v, %v; want %+v, %v", tc.name, got, ours, tc.want, tc.ours)
		}
	}
}

func TestSocketInode(t *testing.T) {
	for _, tc := range []struct {
		target string
		ino    uint64
		ok     bool
	}{
		{"socket:[315143]", 315143, true},
		{"socket:[]", 0, false},
		{"socket:[12", 0, false},
		{"/memfd:socket:[1] (deleted)", 0, false},
	} {
		ino, ok := socketInode(tc.target)
		if ino != tc.ino || ok != tc.ok {
			t.Errorf("socketInode(%q) = %d, %v; want %d, %v", tc.target, ino, ok, tc.ino, tc.ok)
		}
	}
}

func TestListenerName(t *testing.T) {
	for _, tc := range []struct {
		name, path string
		want       bool
	}{
		{"/run/app.sock", "/run/app.sock", true},
		{"/run/.app.sock.tmp4972", "/run/app.sock", true}, // package listener's temporary name
		{"/run/.app.sock.tmp4972", "/run/other.sock", false},
		{"/elsewhere/.app.sock.tmp4972", "/run/app.sock", false},
		{"/run/app.sock2", "/run/app.sock", false},
		{"@abstract", "/run/app.sock", false},
		{"", "pipe", false},
	} {
		if got := listenerName(tc.name, tc.path); got != tc.want {
			t.Errorf("listenerName(%q, %q) = %v", tc.name, tc.path, got)
		}
	}
}
