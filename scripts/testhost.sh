#!/bin/sh
# Boot the test host (a QEMU TCG VM with emulated SVM + nested paging, so its
# /dev/kvm is real KVM) and run one script inside it:
#   scripts/testhost.sh NAME [qemu|rampart] [ARG]
# NAME is tests/system/NAME.sh (else bench/NAME.sh, else scripts/NAME.sh, else
# tests/NAME.sh: `suites` runs tests/suites.sh, ARG its comma-separated suites) in
# the test host's copy of the tree. The console goes to stdout and to
# build/testhost/NAME.log; the exit status is the script's (TESTHOST-DONE rc=N),
# or 1 when the test host did not report one.
# The emulated CPU has SSSE3, SSE4.1/4.2 and POPCNT, which Hyperscan needs
# (its compiler in rampart-policy, its runtime in the ids layer).
# Environment: TESTHOST_SMP (default 1: two emulated CPUs were seen to stall the test host kernel), TESTHOST_MEM (MiB, default 3072),
# TESTHOST_TIMEOUT (seconds, default 1500), TESTHOST_QUIET=1 (log only);
# BENCH_STACKS and BENCH_RUNS are passed on to the script.
set -eu
cd "$(dirname "$0")/.."
name=${1:?usage: scripts/testhost.sh NAME [qemu|rampart] [ARG]}
vmm=${2:-}
arg=${3:-}
scripts/images.sh
scripts/testhost-build.sh
IMG=build/images
mkdir -p build/testhost
log=build/testhost/$name.log
smp=${TESTHOST_SMP:-1}
accel=tcg
[ "$smp" -gt 1 ] && accel=tcg,thread=multi

append="console=ttyS0 quiet panic=-1 testhost.run=$name"
[ -n "$vmm" ] && append="$append testhost.vmm=$vmm"
[ -n "$arg" ] && append="$append testhost.arg=$arg"
# The network benchmark's choice of stacks and rounds (bench/iperf_all.sh),
# spaces as '+' on the kernel command line.
[ -n "${BENCH_STACKS:-}" ] && append="$append testhost.stacks=$(echo "$BENCH_STACKS" | tr ' ' '+')"
[ -n "${BENCH_RUNS:-}" ] && append="$append testhost.runs=$BENCH_RUNS"

# boot_once: one boot of the test host; the console goes to $log
boot_once() {
	t0=$(date +%s.%N)
	timeout "${TESTHOST_TIMEOUT:-1500}" qemu-system-x86_64 -accel "$accel" -M pc \
		-cpu qemu64,+svm,+npt,+ssse3,+sse4.1,+sse4.2,+popcnt -smp "$smp" -m "${TESTHOST_MEM:-3072}" \
		-nodefaults -no-user-config -display none -serial stdio -no-reboot \
		-d cpu_reset,guest_errors -D "build/testhost/$name.qemu.log" \
		-kernel "$IMG/vmlinuz" -initrd "$IMG/testhost.cpio.gz" -append "$append" \
		</dev/null 2>&1 | sed -u 's/\r//g' | if [ "${TESTHOST_QUIET:-0}" = 1 ]; then cat >"$log"; else tee "$log"; fi
	t1=$(date +%s.%N)
	rc=$(sed -n 's/^TESTHOST-DONE rc=\([0-9]*\).*/\1/p' "$log" | tail -n1)
	wall=$(echo "$t1 $t0" | awk '{ printf "%.1f", $1 - $2 }')
	up=$(sed -n 's/^TESTHOST-UP uptime=\([0-9.]*\).*/\1/p' "$log" | tail -n1)
	echo "testhost: $name finished in ${wall} s wall (test host up at ${up:-?} s, smp $smp), rc=${rc:-none}" >&2
}

# A test host that vanishes without TESTHOST-DONE (seen once: the TCG VM
# ended mid-run with no message) is booted once more (TESTHOST_RETRY=0: not).
boot_once
if [ -z "$rc" ] && [ "${TESTHOST_RETRY:-1}" = 1 ]; then
	cp "$log" "$log.vanished"
	echo "testhost: no TESTHOST-DONE line (test host crashed or timed out; log kept in $log.vanished); booting it once more" >&2
	boot_once
fi
[ -n "$rc" ] || { echo "testhost: no TESTHOST-DONE line (crash or timeout); see $log" >&2; exit 1; }
exit "$rc"
