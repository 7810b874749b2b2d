package shmring

import "time"

// SetRewake turns the spin after a brief park on or off (benchmarks only).
func SetRewake(on bool) { rewakeOn = on }

// SetSpinYield sets how long a spin runs between runtime.Gosched calls
// (benchmarks only).
func SetSpinYield(d time.Duration) { spinYield = d }
