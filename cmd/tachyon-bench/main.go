// Command tachyon-bench measures tachyon-go against a Unix socket, TCP
// loopback and the machine's cache-line floor, between two real processes.
package main

import "fmt"

func main() {
	fmt.Println("tachyon-bench: under construction")
}
