package main

import (
	"hash/fnv"
	"strings"
)

// How the plot draws a row: the colour belongs to the transport and the
// dash pattern to the scenario, both looked up by name, so that adding,
// removing or reordering rows (-only, a new scenario) never changes how any
// other row is drawn: shm is the same purple in every plot.

// transportColors fixes the colour of every built-in transport. Kernel
// sockets are blues and browns, shared memory warm colours, gRPC and
// net/rpc the same hue family as the transport under them, lighter.
var transportColors = map[string]string{
	"floor":        "#555555", // the yardstick, grey
	"shm-raw":      "#d62728", // red
	"shm-frames":   "#ff7f0e", // orange
	"shm":          "#9467bd", // purple
	"unix":         "#1f77b4", // blue
	"tcp":          "#8c564b", // brown
	"grpc-shm":     "#e377c2", // pink
	"grpc-unix":    "#17becf", // cyan
	"grpc-tcp":     "#c49c94", // light brown
	"grpc-bufconn": "#7f7f7f", // grey: no transport at all
	"grpc-codec":   "#000000", // black: the floor, encoding and decoding alone
	"rpc-shm":      "#2ca02c", // green
	"rpc-unix":     "#393b79", // dark blue
	"c++/c++":      "#bcbd22", // olive
	"go/c++":       "#637939", // dark olive
	"c++/go":       "#843c39", // dark red
}

// spareColors are for transports the map does not know (a scenario
// registered later): picked by a hash of the name, so still fixed per name.
var spareColors = []string{"#5254a3", "#8ca252", "#bd9e39", "#ad494a", "#a55194", "#6b6ecf", "#e7ba52", "#d6616b"}

// transportColor returns the colour of a transport's lines and markers.
func transportColor(transport string) string {
	if c, ok := transportColors[transport]; ok {
		return c
	}
	h := fnv.New32a()
	h.Write([]byte(transport))
	return spareColors[h.Sum32()%uint32(len(spareColors))]
}

// scenarioDash returns the SVG stroke-dasharray of a scenario's line, ""
// for solid: a transport's main scenario is solid, its variants dashed
// (parked, doorbell only) or dotted (futex), the wire-format floor dashed
// beside the cache-line floor.
func scenarioDash(transport, scenario string) string {
	switch {
	case strings.HasSuffix(scenario, "-futex"):
		return "2 3"
	case strings.HasSuffix(scenario, "-parked"), strings.HasSuffix(scenario, "-bell"):
		return "7 4"
	case transport == "floor" && scenario != "cache-line":
		return "7 4"
	}
	return ""
}
