//go:build !race

package shmring

// raceEnabled is true when the race detector is on.
const raceEnabled = false
