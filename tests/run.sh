#!/bin/sh
# The suites that need KVM, each where KVM is real (scripts/hostkind.sh
# decides): directly on /dev/kvm when it can run them (layers and the CLI's
# stacks on PVM or hardware KVM; Linux guests on hardware KVM only), the rest
# all inside ONE boot of the test host (QEMU TCG with emulated SVM, whose
# kvm_amd is real KVM). Usage: tests/run.sh SUITE... (cli-kvm, layers, io, replay,
# fw, wrap, jail, limits, system; limits runs where cgroup v2 has the cpu and
# memory controllers: here, or in the test host). Prints each suite's checks, then one line per suite and a total
# "N passed, N failed, N skipped". A suite that gives no result (the test
# host died) fails; a skipped check fails the run unless RAMPART_ALLOW_SKIP=1
# (as under RAMPART_VMM=qemu, where the layer checks cannot run).
# Environment: RAMPART_HOST_KIND=hw|pvm|none forces the host kind,
# RAMPART_SYSTEM_WHERE=direct|testhost forces the place of every suite,
# RAMPART_PVM_SVM=0 keeps a PVM host from running the layers a second time
# in the test host.
cd "$(dirname "$0")/.." || exit 1
. scripts/hostkind.sh
VMM=${RAMPART_VMM:-rampart}
mkdir -p build/results
kind=$(kvm_kind)
echo "tests: $(kvm_describe "$kind")"

# On PVM the layer tests run directly, and once more in the test host: there
# KVM is real SVM with nested paging, which PVM only emulates (sealing by
# read-only slots, the pinned control state). NAME@testhost forces the place.
if [ "$kind" = pvm ] && [ -z "${RAMPART_SYSTEM_WHERE:-}" ] && [ "${RAMPART_PVM_SVM:-1}" = 1 ]; then
	case " $* " in *" layers "*) set -- "$@" layers@testhost ;; esac
fi
need() { case $1 in system) echo linux ;; *) echo kvm ;; esac; }
direct="" inhost=""
for s in "$@"; do
	case $s in
	*@testhost) inhost="$inhost $s" ;;
	# The stack's limits need cgroup v2 with cpu and memory: here if this host has them.
	limits) if [ "$(suite_where kvm)" = direct ] && sh tests/layers/limits.sh --available; then
			direct="$direct $s"
		else
			inhost="$inhost $s"
		fi ;;
	*) if [ "$(suite_where "$(need "$s")")" = direct ]; then direct="$direct $s"; else inhost="$inhost $s"; fi ;;
	esac
done

log=$(mktemp build/results/run.XXXXXX) || exit 1
trap 'rm -f "$log"' EXIT
start=$(date +%s)
if [ -n "$direct" ]; then
	echo "tests: here, directly on /dev/kvm:$direct"
	RAMPART_VMM=$VMM sh tests/suites.sh $direct 2>&1 | tee -a "$log"
fi
if [ -n "$inhost" ]; then
	echo "tests: inside the test host (QEMU TCG + emulated SVM, one boot):$inhost"
	th=build/testhost/suites.log
	rm -f "$th"
	TESTHOST_QUIET=1 scripts/testhost.sh suites "$VMM" "$(echo $inhost | tr ' ' ,)" &
	pid=$!
	# Show the results as they arrive on the test host's console.
	while [ ! -e "$th" ] && kill -0 $pid 2>/dev/null; do sleep 0.5; done
	tail -n +1 -f "$th" 2>/dev/null --pid=$pid | grep --line-buffered -E '^(ok |not ok |# )|: [0-9]+ passed'
	wait $pid
	# The final log decides (the test host may have been booted twice).
	cat "$th" >>"$log"
	echo "tests: test host log in $th"
fi

# Tally per suite from the markers; a suite without its end marker gave no result.
P=0 F=0 S=0 bad=0
for s in "$@"; do
	body=$(sed -n "/^# begin $s\$/,/^# end $s rc=/p" "$log")
	p=$(echo "$body" | grep '^ok ' | grep -vc '# skip')
	k=$(echo "$body" | grep -c '^ok .*# skip')
	f=$(echo "$body" | grep -c '^not ok ')
	if ! echo "$body" | grep -q "^# end $s rc="; then
		echo "not ok $s: no result (crash or timeout$( [ -n "$inhost" ] && echo "; see build/testhost/suites.log"))"
		f=$((f + 1))
	elif ! echo "$body" | grep -q "^# end $s rc=0\$" && [ "$f" = 0 ] && [ "$k" = 0 ]; then
		echo "not ok $s: the suite failed without saying which check"
		f=$((f + 1))
	fi
	echo "$s: $p passed, $f failed, $k skipped" | tee "build/results/$(echo "$s" | tr @ -).count"
	P=$((P + p)) F=$((F + f)) S=$((S + k))
done
echo "tests: took $(($(date +%s) - start)) s"
[ "$S" = 0 ] || [ "${RAMPART_ALLOW_SKIP:-0}" = 1 ] || [ "$VMM" = qemu ] ||
	echo "tests: $S check(s) skipped that should have run on this host: that fails the run"
echo "$P passed, $F failed, $S skipped"
[ "$F" = 0 ] && { [ "$S" = 0 ] || [ "${RAMPART_ALLOW_SKIP:-0}" = 1 ] || [ "$VMM" = qemu ]; }
