package shmring

import "testing"

func TestSlots(t *testing.T) {
	s := newSlots(2)
	if first, second := s.acquire(), s.acquire(); !first || !second {
		t.Fatal("two free slots refused")
	}
	if s.acquire() {
		t.Fatal("a third slot granted out of two")
	}
	s.release()
	if !s.acquire() {
		t.Fatal("a released slot refused")
	}
	if newSlots(0).acquire() {
		t.Fatal("a slot granted out of none")
	}
}
