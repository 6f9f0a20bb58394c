#!/bin/sh
# make bench-jail: what the root's jail costs, each ratio against the same
# stack with --no-jail measured in the same run, and the root's size.
#   1. an exit forwarded to the root through one layer (`pass,spin`, the
#      spin guest's doorbells), directly on this host's /dev/kvm (layers run
#      in ring 3): the stack's CPU time per exit (user + system, all its
#      threads: what the filters add to each call, and less noisy than the
#      wall clock on a shared machine) and the wall time, jailed and not,
#      alternating runs, medians of BENCH_RUNS (default 5);
#   2. the guest's network (iperf3, BENCH_SECS seconds each way, default 6)
#      at depth 1 and 3, jailed and not (bench/jail_net.sh, where Linux
#      guests run: inside the test host without hardware virtualization);
#   3. lines of code of the root and of all that is linked into it
#      (bench/loc.sh).
# Writes docs/benchmarks-jail.md.
cd "$(dirname "$0")/.." || exit 1
R=build/test/rampart
RUNS=${BENCH_RUNS:-5}
SECS=${BENCH_SECS:-6}
N1=${BENCH_DOORBELLS:-4000}
N2=$((N1 * 3))
out=docs/benchmarks-jail.md
mkdir -p build/bench
[ -x $R ] && [ -f build/test/layer-gcc.elf ] || { echo "bench: run make first"; exit 1; }

field() { sed -n "s/.*\"event\":\"end\".*\"$1\":\([0-9.e+-]*\).*/\1/p" | tail -n1; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
cpu_file=build/bench/jail-cpu.txt
# seconds N [FLAG]: "CPU wall" seconds of a run with N doorbells
seconds() {
	_o=$(/usr/bin/time -f "%U %S" -o "$cpu_file" $R run $2 --layers pass,spin --layer-args "1,$1" 2>&1)
	_rc=$?
	[ $_rc = 0 ] || { echo "bench: pass,spin ($1 $2) ended with $_rc" >&2; echo "$_o" | tail -n 3 >&2; exit 1; }
	echo "$(awk '{ print $1 + $2 }' "$cpu_file") $(echo "$_o" | field seconds)"
}
# per_exit [FLAG]: "CPU wall" µs per doorbell, the difference of two lengths
per_exit() {
	_a=$(seconds "$N1" "$1") && _b=$(seconds "$N2" "$1") || exit 1
	echo "$_a $_b" | awk -v n=$((N2 - N1)) '{ printf "%.2f %.2f", ($3 - $1) * 1e6 / n, ($4 - $2) * 1e6 / n }'
}

. bench/where.sh
jc= jw= nc= nw= jcm=- jwm=- ncm=- nwm=- cpu_ratio=- wall_ratio=-
if [ "$(kvm_kind)" = none ]; then
	echo "bench: no /dev/kvm here: the exit cost is not measured"
else
	echo "bench: exits through one layer, jailed and not ($RUNS rounds)"
	for r in $(seq "$RUNS"); do
		pe=$(per_exit) || exit 1
		set -- $pe
		jc="$jc $1" jw="$jw $2"
		pe=$(per_exit --no-jail) || exit 1
		set -- $pe
		nc="$nc $1" nw="$nw $2"
	done
	jcm=$(echo "$jc" | median) jwm=$(echo "$jw" | median)
	ncm=$(echo "$nc" | median) nwm=$(echo "$nw" | median)
	cpu_ratio=$(echo "$jcm $ncm" | awk '{ printf "%.3f", $1 / $2 }')
	wall_ratio=$(echo "$jwm $nwm" | awk '{ printf "%.3f", $1 / $2 }')
	echo "# CPU µs per exit, jailed:$jc; --no-jail:$nc"
	echo "# wall µs per exit, jailed:$jw; --no-jail:$nw"
fi

echo "bench: the guest's network, jailed and not"
raw=build/bench/jail-net.txt
net_where=
if bench_where jail_net "$SECS" "$raw" ${BENCH_TIMEOUT:-2400}; then
	net_where=$where
	net=$(awk '
	function median(list,   n, a, i, j, t) {
		n = split(list, a, " ")
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	function cell(v, m) { k = v SUBSEP m; return (k in vals) ? median(vals[k]) : "" }
	function ratio(a, b) { return (a != "" && b != "" && b > 0) ? sprintf("%.2f", a / b) : "-" }
	{
		for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		if (f["value"] == "" || f["value"] == "none") next
		vals[f["vmm"] SUBSEP f["metric"]] = vals[f["vmm"] SUBSEP f["metric"]] " " f["value"]
	}
	END {
		print "| depth | layers | metric | jailed | --no-jail | jailed / --no-jail |"
		print "|---:|---|---|---:|---:|---:|"
		split("iperf_tx_MBps iperf_rx_MBps rtt_ms exits_per_frame_tx exits_per_frame_rx", ms, " ")
		name[1] = "none"; name[3] = "pass,vmm"
		for (d = 1; d <= 3; d += 2)
			for (i = 1; i <= 5; i++) {
				a = cell("rampart", ms[i] "_d" d); b = cell("rampart-nojail", ms[i] "_d" d)
				if (a == "" && b == "") continue
				printf "| %d | %s | %s | %s | %s | %s |\n", d, name[d], ms[i], a, b, ratio(a, b)
			}
	}' "$raw")
else
	net="The network part gave no measurement (see build/testhost/jail_net.log)."
fi

loc=$(bench/loc.sh) || exit 1
cpu=$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n1)
{
	echo "# Benchmarks: the root's jail and its size"
	echo
	echo "Written by \`make bench-jail\` (bench/jail.sh); the latest run replaces this file."
	echo "Each ratio is against the same stack with \`--no-jail\`, measured in the same run."
	echo
	echo "## An exit through one layer"
	echo
	echo "\`--layers pass,spin\`: the spin guest's doorbells, each forwarded to the root"
	echo "through the pass layer (the chain thread's filtered calls: \`KVM_RUN\`, the time"
	echo "slice's \`timer_settime\`). Microseconds per exit from the difference of a run"
	echo "of $N2 and one of $N1 doorbells, medians of $RUNS alternating rounds, directly"
	echo "on this host's /dev/kvm ($(kvm_describe); $cpu, $(nproc) CPUs). CPU: the"
	echo "stack's user and system time, all threads (what the filters add to each call;"
	echo "other work on a shared machine moves it less than the wall clock); wall: the"
	echo "root's own clock."
	echo
	echo "| | CPU µs per exit | wall µs per exit |"
	echo "|---|---:|---:|"
	echo "| jailed | $jcm | $jwm |"
	echo "| --no-jail | $ncm | $nwm |"
	echo "| jailed / --no-jail | $cpu_ratio | $wall_ratio |"
	echo
	echo "Every round, CPU: jailed$jc; --no-jail$nc. Wall: jailed$jw; --no-jail$nw."
	echo
	echo "## The guest's network"
	echo
	echo "iperf3 (a bulk TCP stream, $SECS s each way) and ping, as in"
	echo "docs/benchmarks-net.md, for the stack with and without the jail, interleaved,"
	echo "${net_where:-nowhere}. The jail adds no exit to the path (the exits per frame move with the stream's mode); inside the"
	echo "test host the throughput of one TCP stream is bimodal (docs/benchmarks-net.md),"
	echo "so a ratio of MB/s there is noise unless several rounds agree."
	echo
	echo "$net"
	echo
	echo "## Lines of code"
	echo
	echo "The root's own files, and everything of ours linked into \`build/rampart\`"
	echo "(the archive members the linker takes, from a link map, and the repository"
	echo "headers they include). \"code\": lines that are neither blank nor only comment."
	echo
	echo "$loc"
} >"$out"
cat "$out"
