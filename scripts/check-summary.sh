#!/bin/sh
# The closing lines of make check: each suite's count (build/results/NAME.count,
# written by the suite's driver) and their total. The suites named must have
# one; any other count there (layers-testhost on a PVM host) is added too.
# Exit non-zero if a named suite left no count, or any check failed or was
# skipped.
cd "$(dirname "$0")/.." || exit 1
P=0 F=0 S=0 bad=0
echo "make check:"
extra=$(cd build/results 2>/dev/null && for f in *.count; do
	n=${f%.count}; case " $* " in *" $n "*) ;; *) [ -f "$f" ] && echo "$n" ;; esac; done)
for s in "$@" $extra; do
	line=$(cat "build/results/$s.count" 2>/dev/null)
	n=$(echo "$line" | sed -n 's/^[^:]*: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p')
	if [ -z "$n" ]; then echo "  $s: no count (the suite did not run to its end)"; bad=1; continue; fi
	echo "  $line"
	P=$((P + $(echo "$n" | cut -d' ' -f1)))
	F=$((F + $(echo "$n" | cut -d' ' -f2)))
	S=$((S + $(echo "$n" | cut -d' ' -f3)))
done
echo "$P passed, $F failed, $S skipped"
[ $bad = 0 ] && [ $F = 0 ] && [ $S = 0 ]
