//go:build !linux

package sys

// ProcessBarrierAvailable: only Linux has membarrier(2).
func ProcessBarrierAvailable() bool { return false }

// ProcessBarrier: only Linux has membarrier(2).
func ProcessBarrier() bool { return false }

// GlobalBarrierAvailable: only Linux has membarrier(2).
func GlobalBarrierAvailable() bool { return false }

// GlobalBarrier: only Linux has membarrier(2).
func GlobalBarrier() bool { return false }
