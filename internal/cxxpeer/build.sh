#!/bin/sh
# Builds tachyon-cxxpeer, our C++ benchmark peer (src/peer.cpp), against a
# Tachyon checkout whose library you have already built by Tachyon's own
# instructions (for v0.5.1: cmake --preset clang-release && cmake --build
# --preset clang-release, which leaves libtachyon.so under build/). This
# script compiles only src/peer.cpp; it never builds Tachyon.
#
# Usage: build.sh TACHYON_DIR [CXX] [OUT]
#   TACHYON_DIR  the Tachyon checkout: core/include/tachyon.h is #included
#                from it, libtachyon.so is looked for under it (or set
#                TACHYON_LIB to the directory that holds libtachyon.so)
#   CXX          a C++ compiler (default: $CXX, else clang++, else g++)
#   OUT          the binary (default: ${TMPDIR:-/tmp}/tachyon-cxxpeer, where
#                tachyon-bench -cxx looks for it)
set -eu

if [ $# -lt 1 ]; then
	sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
fi
tachyon=$(cd "$1" && pwd)
cxx=${2:-${CXX:-}}
if [ -z "$cxx" ]; then
	if command -v clang++ >/dev/null 2>&1; then cxx=clang++; else cxx=g++; fi
fi
out=${3:-${TMPDIR:-/tmp}/tachyon-cxxpeer}

include=$tachyon/core/include
if [ ! -f "$include/tachyon.h" ]; then
	echo "build.sh: no $include/tachyon.h: is $tachyon a Tachyon checkout?" >&2
	exit 1
fi
lib=${TACHYON_LIB:-}
if [ -z "$lib" ]; then
	so=$(find "$tachyon" -name libtachyon.so -type f 2>/dev/null | head -n 1)
	if [ -z "$so" ]; then
		echo "build.sh: no libtachyon.so under $tachyon: build Tachyon first by its own instructions, or set TACHYON_LIB" >&2
		exit 1
	fi
	lib=$(dirname "$so")
fi

src=$(cd "$(dirname "$0")" && pwd)/src/peer.cpp
"$cxx" -std=c++20 -O2 -march=native -Wall -Wextra -pthread \
	-I"$include" "$src" -L"$lib" -Wl,-rpath,"$lib" -ltachyon -o "$out"
commit=$(git -C "$tachyon" rev-parse HEAD 2>/dev/null || cat "$tachyon/COMMIT" 2>/dev/null || echo unknown)
echo "$commit" >"$out.tachyon-commit"
echo "built $out against $lib (Tachyon $commit)"
