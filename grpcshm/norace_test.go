//go:build !race

package grpcshm_test

const raceEnabled = false
