//go:build race

package grpcshm_test

const raceEnabled = true
