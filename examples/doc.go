// Package examples holds runnable programs that use tachyon-go, one
// directory per example, each with a README; examples_test.go builds and
// runs every one of them as real processes.
package examples
