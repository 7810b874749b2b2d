package conn

// SetLightSend turns the gate-free send of frame mode on or off for
// connections switched to frames afterwards (light_send.go), for tests of
// the gated path other systems take; it returns the undo.
func SetLightSend(on bool) (undo func()) {
	was := lightSendOn
	lightSendOn = on
	return func() { lightSendOn = was }
}
