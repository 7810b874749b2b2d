package conn

import "time"

// SetLightSides turns the gate-free sides of frame mode on or off for
// connections switched to frames afterwards (light_side.go), for tests of
// the gated path other systems take; it returns the undo.
func SetLightSides(on bool) (undo func()) {
	was := lightSidesOn
	lightSidesOn = on
	return func() { lightSidesOn = was }
}

// FutexStage is the futex stage c last gave its sides.
func FutexStage(c *Conn) time.Duration { return c.futexStage }
