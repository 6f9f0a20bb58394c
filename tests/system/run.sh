#!/bin/sh
# The system test driver (make system). Runs every tests/system/t_*.sh:
# directly when this machine has hardware virtualization (vmx/svm and a
# working /dev/kvm from kvm_intel/kvm_amd), else all of them inside ONE boot
# of the test host (scripts/testhost.sh: QEMU TCG with emulated SVM). Never
# skips. Prints "N passed, N failed" last; exits non-zero on any failure or
# missing result.
# Environment: RAMPART_VMM=rampart (default) or qemu (QEMU microvm as the VMM,
# same workloads); RAMPART_SYSTEM_WHERE=direct|testhost to force the place.
cd "$(dirname "$0")/../.." || exit 1
VMM=${RAMPART_VMM:-rampart}
mkdir -p build/system
out=build/system/results.txt
: >"$out"

. scripts/hostkind.sh
where=${RAMPART_SYSTEM_WHERE:-}
[ -n "$where" ] || { if hw_kvm; then where=direct; else where=testhost; fi; }

start=$(date +%s)
if [ "$where" = direct ]; then
	echo "system: hardware virtualization here: running the tests directly (VMM: $VMM)"
	RAMPART_VMM=$VMM sh tests/system/suite.sh 2>&1 | tee "$out"
else
	echo "system: no hardware virtualization here (no vmx/svm, or /dev/kvm is PVM): running the tests inside the test host (QEMU TCG + emulated SVM; VMM: $VMM)"
	log=build/testhost/suite.log
	rm -f "$log"
	TESTHOST_QUIET=1 scripts/testhost.sh suite "$VMM" 2>&1 &
	th=$!
	# Show the results as they arrive on the test host's console.
	while [ ! -e "$log" ] && kill -0 $th 2>/dev/null; do sleep 0.5; done
	tail -n +1 -f "$log" 2>/dev/null --pid=$th | grep --line-buffered -E '^(ok |not ok |# )' | tee "$out"
	wait $th
	# The final log decides (the test host may have been booted twice).
	grep -E '^(ok |not ok )' "$log" >"$out"
	echo "system: test host log in $log"
fi

pass=0 fail=0
for t in tests/system/t_*.sh; do
	n=$(basename "$t" .sh); n=${n#t_}
	# A script may report several results: one "not ok" fails it.
	if grep -q "^not ok $n\b" "$out"; then fail=$((fail + 1))
	elif grep -q "^ok $n\b" "$out"; then pass=$((pass + 1))
	else echo "not ok $n: no result (crash or timeout)"; fail=$((fail + 1)); fi
done
echo "system: took $(($(date +%s) - start)) s"
echo "$pass passed, $fail failed"
[ $fail = 0 ]
