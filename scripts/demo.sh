#!/bin/sh
# make demo: boot the `demo` workload with build/rampart (RAMPART_VMM=qemu for
# QEMU microvm) on a fresh disk file and a tap in a network namespace, and
# print what happened. Directly where the host has hardware virtualization,
# else inside the test host. Builds nothing (make does). Exit 0 only if all
# went well.
cd "$(dirname "$0")/.." || exit 1
VMM=${RAMPART_VMM:-rampart}
. scripts/hostkind.sh
echo "Rampart demo: a Linux guest (Debian $(cat build/images/KVER 2>/dev/null)) with a virtio disk, network and rng,"
echo "then the same guest behind a stack of layers"
if [ "$(suite_where linux)" = direct ]; then
	echo "($(kvm_describe): running directly)"
	mkdir -p build/demo
	RAMPART_VMM=$VMM sh tests/system/demo.sh >build/demo/demo.log 2>&1
	rc=$?
	log=build/demo/demo.log
else
	echo "($(kvm_describe): running inside the test host, a QEMU TCG VM with emulated SVM)"
	TESTHOST_QUIET=1 scripts/testhost.sh demo "$VMM" 2>build/demo-testhost.err
	rc=$?
	log=build/testhost/demo.log
	sed 's/^testhost: \(.*\)/  test host: \1/p;d' build/demo-testhost.err
	rm -f build/demo-testhost.err
fi
sed -n 's/^| /  /p' "$log"
grep -q '^| result:' "$log" || { echo "  demo: no summary (see $log)"; rc=1; }
[ $rc = 0 ] || echo "  full log: $log"
exit $rc
