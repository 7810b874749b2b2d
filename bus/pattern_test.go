package bus_test

import (
	"fmt"
	"strconv"
)

// Frame i of a test stream has a size, a type and a payload that both sides
// compute independently, so every frame is checked end to end.

func sizeOf(i, max int) int {
	switch i % 16 {
	case 0:
		return 0
	case 1:
		return max
	}
	return int(uint32(i)*2654435761>>7) % (max + 1)
}

func typeOf(i int) uint32 { return uint32(i) * 0x01000193 }

func fill(b []byte, i int) {
	x := uint32(i) * 0x9E3779B9
	for j := range b {
		b[j] = byte(x>>(j%4*8)) + byte(j)
	}
}

func checkPayload(what string, i int, b []byte, size int) error {
	if len(b) != size {
		return fmt.Errorf("%s %d: %d bytes, want %d", what, i, len(b), size)
	}
	x := uint32(i) * 0x9E3779B9
	for j := range b {
		if b[j] != byte(x>>(j%4*8))+byte(j) {
			return fmt.Errorf("%s %d: byte %d is %#x", what, i, j, b[j])
		}
	}
	return nil
}

// zero reports whether b is all zero.
func zero(b []byte) bool {
	for _, v := range b {
		if v != 0 {
			return false
		}
	}
	return true
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return n
}
