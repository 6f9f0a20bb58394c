#!/bin/sh
# /init of the test host (see scripts/testhost.sh). Loads KVM (kvm_amd on the
# emulated SVM) and tun, runs the script named by testhost.run=NAME
# (tests/system/NAME.sh, else bench/NAME.sh, else scripts/NAME.sh, else
# tests/NAME.sh) from /rampart, prints TESTHOST-DONE rc=N and powers off.
/bin/busybox --install -s /bin
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs -o size=90% tmpfs /tmp
mount -t tmpfs tmpfs /run
# cgroup v2 alone, every controller in it (tests/layers/limits.sh).
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
exec </dev/null >/dev/console 2>&1

for m in $(cat /lib/modules/order); do
	insmod /lib/modules/$m.ko || echo "testhost: insmod $m failed"
done

run="" vmm="" arg=""
for w in $(cat /proc/cmdline); do
	case $w in
	testhost.run=*) run=${w#testhost.run=} ;;
	testhost.vmm=*) vmm=${w#testhost.vmm=} ;;
	testhost.arg=*) arg=${w#testhost.arg=} ;;
	testhost.stacks=*) BENCH_STACKS=$(echo "${w#testhost.stacks=}" | tr '+' ' '); export BENCH_STACKS ;;
	testhost.runs=*) export BENCH_RUNS=${w#testhost.runs=} ;;
	esac
done
read -r up _ </proc/uptime
echo "TESTHOST-UP uptime=$up kvm=$([ -c /dev/kvm ] && echo yes || echo no)"

rc=1
if [ ! -c /dev/kvm ]; then
	echo "testhost: /dev/kvm missing"
	dmesg | grep -iE 'kvm|svm' | tail -n 5
else
	cd /rampart || exit 1
	# TCG runs guest code about 15 times slower than a core: time limits stretch.
	export RAMPART_SCRATCH=/tmp RAMPART_IN_TESTHOST=1 RAMPART_TIME_SCALE=6
	[ -n "$vmm" ] && export RAMPART_VMM=$vmm
	for s in tests/system/$run.sh bench/$run.sh scripts/$run.sh tests/$run.sh; do
		if [ -f "$s" ]; then sh "$s" $arg; rc=$?; break; fi
	done
	[ -f "$s" ] || echo "testhost: no script named $run"
fi
read -r up _ </proc/uptime
echo "TESTHOST-DONE rc=$rc uptime=$up"
poweroff -f
