package bench

import (
	"fmt"
	"strconv"
	"strings"
)

// FormatSize writes a byte count the way tables and benchmark names show
// it: "32B", "4KiB", "1MiB".
func FormatSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.Itoa(n>>20) + "MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}

// ParseSize reads "32", "32B", "4K", "4KiB", "1M" or "1MiB".
func ParseSize(s string) (int, error) {
	t := strings.TrimSuffix(strings.TrimSpace(s), "B")
	t = strings.TrimSuffix(t, "i")
	mult := 1
	switch {
	case strings.HasSuffix(t, "K") || strings.HasSuffix(t, "k"):
		mult, t = 1<<10, t[:len(t)-1]
	case strings.HasSuffix(t, "M") || strings.HasSuffix(t, "m"):
		mult, t = 1<<20, t[:len(t)-1]
	}
	n, err := strconv.Atoi(t)
	if err != nil || n < 0 || n > (1<<30)/mult {
		return 0, fmt.Errorf("bench: bad size %q", s)
	}
	return n * mult, nil
}

// ParseSizes reads a comma-separated list of sizes.
func ParseSizes(s string) ([]int, error) {
	var sizes []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := ParseSize(f)
		if err != nil {
			return nil, err
		}
		sizes = append(sizes, n)
	}
	return sizes, nil
}
