package bench

import (
	"slices"
	"testing"
	"time"
)

// A spin setting becomes no option (the package's default), WithSpin(0)
// (NoSpin: park at once) or WithSpin(d).
func TestSpinOption(t *testing.T) {
	withSpin := func(d time.Duration) time.Duration { return d }
	for _, c := range []struct {
		spin time.Duration
		want []time.Duration
	}{
		{0, nil},
		{NoSpin, []time.Duration{0}},
		{5 * time.Microsecond, []time.Duration{5 * time.Microsecond}},
	} {
		if got := spinOption(c.spin, withSpin); !slices.Equal(got, c.want) {
			t.Errorf("spinOption(%v) = %v, want %v", c.spin, got, c.want)
		}
	}
}
