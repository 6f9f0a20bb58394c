#!/bin/sh
# tests/host.sh NAME SCRIPT: run a suite that needs no KVM here, and keep its
# closing count ("NAME: N passed, N failed, N skipped") for make check's summary.
cd "$(dirname "$0")/.." || exit 1
mkdir -p build/results
out=build/results/$1.out
{ sh "$2"; echo "$?" >"$out.rc"; } 2>&1 | tee "$out"
tail -n 1 "$out" | grep "^$1: [0-9]* passed" >"build/results/$1.count" ||
	echo "$1: no closing count from $2" >"build/results/$1.count"
exit "$(cat "$out.rc")"
