#!/bin/sh
# Recursive-VM benchmarks (make bench), directly on this host's /dev/kvm:
# layers and their test guest run in ring 3, so no hardware virtualization
# is needed. Each value is the median of RUNS runs; every ratio is against a
# baseline measured in the same run. Writes docs/benchmarks-layers.md.
#   1. an exit handled by the immediate parent, guest at depth 2..6
#      (a test layer answers the guest's doorbells): ratio to depth 2;
#   2. an exit forwarded down to the root through every layer, depth 1..6:
#      cost per layer crossed, least-squares slope and fit;
#   3. CPU-bound work in the guest at depth 1, 3, 6 against the host;
#   4. what the integrity checks cost: the same exits and the start of a
#      stack with build/test/rampart-unchecked (no control-state check, no
#      measuring, no sealing), in the same run.
cd "$(dirname "$0")/.." || exit 1
R=build/test/rampart
RUNS=${BENCH_RUNS:-3}
N1=${BENCH_DOORBELLS:-2000}
N2=$((N1 * 3))
CPU_N=${BENCH_CPU_N:-400000000}
out=docs/benchmarks-layers.md
[ -x $R ] && [ -f build/test/layer-gcc.elf ] && [ -f build/test/layer-clang.elf ] && [ -x build/cpuwork ] &&
	[ -x build/test/rampart-unchecked ] || { echo "bench: run make first"; exit 1; }

# field NAME: a number from the stack's "end" event on stdin
field() { sed -n "s/.*\"event\":\"end\".*\"$1\":\([0-9.e+-]*\).*/\1/p" | tail -n1; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
stack() { # stack LAYERS ARGS: seconds, after checking the stack ended well
	_o=$($R run --layers "$1" --layer-args "$2" 2>&1)
	_rc=$?
	[ $_rc = 0 ] || { echo "bench: $1 ($2) ended with $_rc" >&2; echo "$_o" | tail -n 3 >&2; exit 1; }
	echo "$_o" | field seconds
}
pass_n() { _i=0; _s=; while [ $_i -lt "$1" ]; do _s="${_s}pass,"; _i=$((_i + 1)); done; printf %s "$_s"; }
# per_exit LAYERS: microseconds per doorbell (difference of two lengths)
per_exit() { per_exit_mode "$1" 1; }
# per_exit_mode LAYERS MODE: the same for the spin guest's mode MODE
per_exit_mode() {
	_v=
	for _r in $(seq "$RUNS"); do
		_a=$(stack "$1" "$2,$N1") && _b=$(stack "$1" "$2,$N2") || exit 1
		_v="$_v $(echo "$_a $_b" | awk -v n=$((N2 - N1)) '{ printf "%.2f", ($2 - $1) * 1e6 / n }')"
	done
	echo "$_v" | median
}

echo "bench: exits handled by the immediate parent"
t1=""
for d in 2 3 4 5 6; do
	us=$(per_exit "$(pass_n $((d - 2)))test,spin") || exit 1
	[ -n "$t1" ] || t1=$us
	imm="$imm| $d | $us | $(echo "$us $t1" | awk '{ printf "%.2f", $1 / $2 }') |
"
done

echo "bench: exits forwarded to the root"
pts=""
for d in 1 2 3 4 5 6; do
	us=$(per_exit "$(pass_n $((d - 1)))spin") || exit 1
	pts="$pts $d:$us"
	fwd="$fwd| $d | $d | $us |
"
done
fit=$(echo "$pts" | tr ' ' '\n' | grep . | awk -F: '{ x[NR] = $1 - 1; y[NR] = $2; sx += x[NR]; sy += y[NR] }
	END { n = NR; mx = sx / n; my = sy / n
		for (i = 1; i <= n; i++) { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) ^ 2; syy += (y[i] - my) ^ 2 }
		b = sxy / sxx; a = my - b * mx; r2 = (sxy * sxy) / (sxx * syy)
		printf "%.1f µs per layer crossed, %.1f µs at depth 1, R² = %.4f", b, a, r2 }')

echo "bench: CPU-bound work"
# The work's own time: a run of 2n rounds less a run of n (start-up cancels out).
hv=
for r in $(seq "$RUNS"); do
	a=$(build/cpuwork "$CPU_N" | sed 's/.*seconds=//')
	b=$(build/cpuwork $((CPU_N * 2)) | sed 's/.*seconds=//')
	hv="$hv $(echo "$a $b" | awk '{ print $2 - $1 }')"
done
host=$(echo "$hv" | median)
for d in 1 3 6; do
	v=
	for r in $(seq "$RUNS"); do
		for n in $CPU_N $((CPU_N * 2)); do
			o=$($R run --layers "$(pass_n $((d - 1)))spin" --layer-args "2,$n" 2>&1)
			want=$(build/cpuwork "$n" | sed 's/result=\([0-9]*\).*/\1/')
			[ "$(echo "$o" | field cpu_result)" = "$want" ] || { echo "bench: wrong result at depth $d" >&2; exit 1; }
			[ "$n" = "$CPU_N" ] && a=$(echo "$o" | field seconds) || b=$(echo "$o" | field seconds)
		done
		v="$v $(echo "$a $b" | awk '{ print $2 - $1 }')"
	done
	s=$(echo "$v" | median | awk '{ printf "%.3f", $1 }')
	[ $d = 1 ] && d1=$s
	cpu="$cpu| $d | $s | $(echo "$host $s" | awk '{ printf "%.3f", $1 / $2 }') | $(echo "$d1 $s" | awk '{ printf "%.3f", $1 / $2 }') |
"
done

echo "bench: doorbell transports"
mmio=$(per_exit_mode spin 8) && port=$(per_exit_mode spin 1) || exit 1

echo "bench: the integrity checks"
for d in 1 3 6; do
	L="$(pass_n $((d - 1)))spin"
	R=build/test/rampart-unchecked
	off=$(per_exit "$L") || exit 1
	R=build/test/rampart
	on=$(per_exit "$L") || exit 1
	chk="$chk| exit forwarded to the root, depth $d (µs) | $on | $off | $(echo "$on $off" | awk '{ printf "%.3f", $1 / $2 }') |
"
done
# Start-up: building, measuring and sealing 6 layers, to the first doorbell's end.
for b in build/test/rampart build/test/rampart-unchecked; do
	v=
	R=$b
	for r in $(seq $((RUNS * 3))); do v="$v $(stack "$(pass_n 5)spin" "1,1")" || exit 1; done
	eval "start_$(basename $b | tr - _)=$(echo "$v" | median | awk '{ printf "%.4f", $1 }')"
done
R=build/test/rampart
chk="$chk| start of a 6-layer stack, to its end (s) | $start_rampart | $start_rampart_unchecked | $(echo "$start_rampart $start_rampart_unchecked" | awk '{ printf "%.3f", $1 / $2 }') |
"

# The exits section (tests/layers/io.sh measures it) holds before/after
# counts that cannot be measured again: carried over from the last file.
exits_kept=$(sed -n '/^## Exits per frame and per block request/,$p' $out 2>/dev/null)
{
	echo "# Benchmarks: recursive VMs"
	echo
	echo "Written by \`make bench\` (bench/layers.sh); the latest run replaces this file."
	echo "Medians of $RUNS runs. The guest is the layer kernel's \`spin\` personality"
	echo "(ring 3); layers are \`pass\` (forwards every exit down) and \`test\` (answers"
	echo "its child's doorbells itself). Per-exit costs are the difference between"
	echo "runs of $N1 and $N2 doorbells, divided by $((N2 - N1))."
	echo
	echo "- date: $(date -u +%Y-%m-%d)"
	echo "- where: directly on /dev/kvm, $(if [ -d /sys/module/kvm_pvm ]; then echo "PVM (software virtualization; ring-3 code native)"; else echo "hardware KVM"; fi), $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n1), $(nproc) CPUs"
	echo "- rampart: $(git describe --always --dirty 2>/dev/null)"
	echo
	echo "## Exit handled by the immediate parent (goal: ≤ 1.15 at depth 6)"
	echo
	echo "| guest depth | µs per exit | ratio to depth 2 |"
	echo "|---:|---:|---:|"
	printf %s "$imm"
	echo
	echo "## Exit forwarded down to the root (goal: linear)"
	echo
	echo "| guest depth | layers crossed | µs per exit |"
	echo "|---:|---:|---:|"
	printf %s "$fwd"
	echo
	echo "Fit: $fit."
	echo
	echo "## CPU-bound guest ($CPU_N rounds of xorshift64; goal: ≥ 0.97 of depth 1 at depth 6)"
	echo
	echo "| guest depth | seconds | host / guest | depth 1 / this depth |"
	echo "|---:|---:|---:|---:|"
	printf %s "$cpu"
	echo
	echo "Host: $host s for the same work (src/lib/work.c, the same code)."
	echo "Seconds are the work's own: a run of $((CPU_N * 2)) rounds less a run of $CPU_N"
	echo "(building and starting the stack cancels out; its cost is in the last table)."
	echo
	echo "## Doorbell transport"
	echo
	echo "A ring-3 guest at depth 1 exits to the root $N2 - $N1 more times with"
	echo "each transport: a 4-byte \`out\` (the ABI's doorbell, registers through"
	echo "KVM_CAP_SYNC_REGS) or a 4-byte write to an MMIO page with no memory behind"
	echo "it."
	echo
	echo "| transport | µs per exit | ratio to port I/O |"
	echo "|---|---:|---:|"
	echo "| port I/O (\`out\` to a port) | $port | 1.00 |"
	echo "| MMIO (write to an unbacked page) | $mmio | $(echo "$mmio $port" | awk '{ printf "%.2f", $1 / $2 }') |"
	echo
	echo "Within a few percent of each other, the two cost the same exit. The ABI"
	echo "keeps port I/O: it needs no page in the layer's address space, and its"
	echo "exit names a port, with no address to decode or window to police."
	echo
	echo "## What the integrity checks cost (goal: ≤ 5% of an exit)"
	echo
	echo "The same stacks run by \`build/test/rampart\` and by \`build/test/rampart-unchecked\`,"
	echo "an A/B build of the root without the pinned control-state check on each"
	echo "exit (and without the registers KVM syncs for it), without measuring the"
	echo "layer images and without sealing (no page-table walk, no slot splits)."
	echo
	echo "| measurement | checked | unchecked | checked / unchecked |"
	echo "|---|---:|---:|---:|"
	printf %s "$chk"
	echo
	echo "The Linux guest's boot time, block and network throughput above layers"
	echo "are in docs/benchmarks.md."
	[ -z "$exits_kept" ] || printf '\n%s\n' "$exits_kept"
} >$out
cat $out
