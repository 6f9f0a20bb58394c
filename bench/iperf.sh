#!/bin/sh
# make bench-net: the guest's network through the stack, as users load it: a
# bulk TCP stream (iperf3, BENCH_SECS seconds each way, default 6) and a
# round trip (ping), for QEMU microvm and rampart at depth 1 (the baselines)
# and rampart behind 1, 2 and 5 layers, and behind a firewall layer
# (bench/fw-bench.nft) in place of the pass at depth 3, all in one run on one host (inside
# the test host where this machine has no hardware virtualization),
# BENCH_RUNS rounds (default 1), medians. Prints the table and writes it to
# docs/benchmarks-net.md (or BENCH_DOC).
cd "$(dirname "$0")/.." || exit 1
SECS=${BENCH_SECS:-6}
# BENCH_STACKS picks the stacks (bench/iperf_all.sh); BENCH_DOC where the table goes
doc=${BENCH_DOC:-docs/benchmarks-net.md}
mkdir -p build/bench
raw=build/bench/iperf.txt

. bench/where.sh
bench_where iperf_all "$SECS" "$raw" ${BENCH_TIMEOUT:-2400} || exit 1

table=$(awk '
function median(list,   n, a, i, j, t) {
	n = split(list, a, " ")
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function cell(m, d, v) { k = m "_d" d SUBSEP v; return (k in vals) ? median(vals[k]) : "" }
function ratio(a, b) { return (a != "" && b != "" && b > 0) ? sprintf("%.2f", a / b) : "-" }
{
	for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	if (f["value"] == "" || f["value"] == "none") next
	vals[f["metric"] SUBSEP f["vmm"]] = vals[f["metric"] SUBSEP f["vmm"]] " " f["value"]
	if (f["metric"] ~ /_d[0-9]+(fw|wr|wt)?$/) { d = f["metric"]; sub(/.*_d/, "", d); depths[d] = 1 }
}
END {
	print "| depth | layers | tx MB/s | rx MB/s | tx / depth 1 | rx / depth 1 | tx / QEMU | rx / QEMU | rtt ms | rtt / depth 1 | exits per frame tx | exits per frame rx |"
	print "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	qt = cell("iperf_tx_MBps", 1, "qemu"); qr = cell("iperf_rx_MBps", 1, "qemu"); ql = cell("rtt_ms", 1, "qemu")
	if (qt != "" || qr != "")
		printf "| 1 | QEMU microvm | %s | %s | - | - | 1.00 | 1.00 | %s | - | - | - |\n", qt, qr, ql
	t1 = cell("iperf_tx_MBps", 1, "rampart"); r1 = cell("iperf_rx_MBps", 1, "rampart"); l1 = cell("rtt_ms", 1, "rampart")
	name[1] = "none"; name[2] = "vmm"; name[3] = "pass,vmm"; name["3fw"] = "firewall,vmm (bench/fw-bench.nft)"; name[6] = "4 pass + vmm"
	name["3wr"] = "wrapper,vmm (bench/wr-bench.json: no limit reached)"; name["3wt"] = "watch,vmm (System.map)"
	suffix[1] = ""; suffix[2] = "fw"; suffix[3] = "wr"; suffix[4] = "wt"
	for (i = 1; i <= 32; i++) {
		d = int((i + 3) / 4) suffix[(i - 1) % 4 + 1]
		if (!(d in depths)) continue
		t = cell("iperf_tx_MBps", d, "rampart"); r = cell("iperf_rx_MBps", d, "rampart"); l = cell("rtt_ms", d, "rampart")
		if (t == "" && r == "") continue
		printf "| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", d + 0, (d in name) ? name[d] : "-", t, r,
			ratio(t, t1), ratio(r, r1), ratio(t, qt), ratio(r, qr), l, ratio(l, l1),
			cell("exits_per_frame_tx", d, "rampart"), cell("exits_per_frame_rx", d, "rampart")
	}
}' "$raw")

echo "$table"
{
	echo "# Benchmarks: the guest's network through layers"
	echo
	echo "Written by \`make bench-net\` (bench/iperf.sh); the latest run replaces this file."
	echo "A bulk TCP stream: iperf3 in the guest (a client; \`-R\` for host to guest)"
	echo "against \`iperf3 -s\` on the host side of the tap, $SECS s each way, the rate"
	echo "the receiver got (MB/s, 10^6 bytes). rtt: ping's average of 20 round trips."
	echo "Exits per frame: the stack's KVM_RUN returns (every VM, from the root's"
	echo "end event, less those of an idle boot of the same stack; the ping included)"
	echo "over the frames the tap carried (both ways: data and acknowledgements)."
	echo "At depth 1 a QueueNotify reaches the root's I/O thread through an"
	echo "ioeventfd and returns from no KVM_RUN. Same kernel, initramfs and memory for"
	echo "both VMMs; QEMU uses userspace virtio-net on the tap (no vhost)."
	echo
	echo "- date: $(date -u +%Y-%m-%d)"
	echo "- where: $where"
	echo "- rampart: $(git describe --always --dirty 2>/dev/null || echo unknown)"
	echo "- runs: ${BENCH_RUNS:-1} (medians)"
	echo
	echo "$table"
	echo
	echo "Reading it: inside the test host every KVM_RUN return of a nested VM costs"
	echo "hundreds of microseconds of emulated world switches, so throughput there"
	echo "follows exits per frame, and a TCP sender whose pacing shrank its TSO frames"
	echo "can settle at a low rate (small frames, each paying the same exits) or ramp"
	echo "up to large ones: the same stack shows either from one run to the next."
	echo "Exits per frame is the figure to compare across runs and hosts."
} >"$doc"
echo "bench: wrote $doc"
