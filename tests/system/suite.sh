#!/bin/sh
# Run every tests/system/t_*.sh in turn, here (the caller has checked that
# /dev/kvm is hardware KVM: directly on a vmx/svm host, or in the test host).
# Each script prints "ok NAME ..." or "not ok NAME: reason" per check (one per
# depth of a multi-depth test); a script that exits non-zero without a
# "not ok" line, or prints no check at all, fails as a check of its own. A
# guest kernel panic retried inside the test host (lib.sh's guest_tolerant)
# is counted and shown. Ends with "system: N passed, N failed, N skipped".
cd "$(dirname "$0")" || exit 1
. ../count.sh
out=${TMPDIR:-/tmp}/rampart-suite.$$
retried=0
for t in t_*.sh; do
	s=$(cut -d' ' -f1 /proc/uptime)
	{ sh "./$t"; echo "$?" >"$out.rc"; } 2>&1 | tee "$out"
	rc=$(cat "$out.rc" 2>/dev/null || echo 1)
	e=$(cut -d' ' -f1 /proc/uptime)
	p=$(grep '^ok ' "$out" | grep -vc '# skip')
	k=$(grep -c '^ok .*# skip' "$out")
	f=$(grep -c '^not ok ' "$out")
	r=$(grep -c '^# retry:' "$out")
	pass=$((pass + p)) skip=$((skip + k)) fail=$((fail + f)) retried=$((retried + r))
	if [ $((p + k + f)) = 0 ]; then
		notok "$t" "no check reported (exit status $rc)"
	elif [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		notok "$t" "exited with status $rc after $((p + k)) check(s) without saying what failed"
	fi
	echo "# $t took $(echo "$e $s" | awk '{ printf "%.1f", $1 - $2 }') s"
done
rm -f "$out" "$out.rc"
[ "$retried" = 0 ] || echo "# system: $retried guest kernel panic(s) under the emulated SVM retried once (see '# retry' above)"
summary system
