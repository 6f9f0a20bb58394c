#!/bin/sh
# make bench: rampart against QEMU microvm, measured in the same run on the
# same host (inside the test host where this machine has no hardware
# virtualization), BENCH_RUNS rounds (default 3), medians. Prints the table
# and writes it to docs/benchmarks.md with the date and the host kind.
#   BENCH_MIB (default 32): MiB moved per disk and network measurement.
cd "$(dirname "$0")/.." || exit 1
MIB=${BENCH_MIB:-32}
mkdir -p build/bench
raw=build/bench/raw.txt

. bench/where.sh
bench_where bench_all "$MIB" "$raw" ${BENCH_TIMEOUT:-1500} || exit 1

table=$(awk '
function median(list,   n, a, i, j, t) {
	n = split(list, a, " ")
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
	for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	if (f["value"] == "") next
	key = f["metric"] SUBSEP f["vmm"]
	vals[key] = vals[key] " " f["value"]; cnt[key]++
	if (!(f["metric"] in seen)) { seen[f["metric"]] = 1; order[++m] = f["metric"] }
}
END {
	desc["boot_to_init_s"] = "boot: process start to guest init (s, lower is better)"
	desc["boot_to_exit_s"] = "boot: process start to exit after power-off (s, lower is better)"
	desc["maxrss_mib"] = "peak RSS of the VMM process, same guest (MiB, lower is better)"
	desc["blk_write_MBps"] = "block sequential write, O_DIRECT 1 MiB (MB/s)"
	desc["blk_read_MBps"] = "block sequential read, O_DIRECT 1 MiB (MB/s)"
	desc["net_tx_MBps"] = "network guest to host over tap (MB/s)"
	desc["net_rx_MBps"] = "network host to guest over tap (MB/s)"
	desc["boot_to_init_s_depth2"] = "boot above 1 layer (vmm), guest at depth 2: to init (s)"
	desc["boot_to_init_s_depth3"] = "boot above 2 layers (pass,vmm), depth 3: to init (s)"
	desc["boot_to_init_s_depth6"] = "boot above 5 layers (4 pass + vmm), depth 6: to init (s)"
	for (d = 2; d <= 6; d++) {
		desc["blk_write_MBps_depth" d] = "block write through the layers, guest at depth " d " (MB/s)"
		desc["blk_read_MBps_depth" d] = "block read through the layers, guest at depth " d " (MB/s)"
		desc["net_tx_MBps_depth" d] = "network guest to host through the layers, depth " d " (MB/s)"
		desc["net_rx_MBps_depth" d] = "network host to guest through the layers, depth " d " (MB/s)"
	}
	print "| measurement | rampart | QEMU microvm | rampart / QEMU | runs |"
	print "|---|---:|---:|---:|---:|"
	for (i = 1; i <= m; i++) {
		k = order[i]
		r = median(vals[k SUBSEP "rampart"]); q = median(vals[k SUBSEP "qemu"])
		# Above layers there is no QEMU run: the baseline is QEMU at depth 1.
		if (k ~ /^boot_to_init_s_depth/) q = median(vals["boot_to_init_s" SUBSEP "qemu"])
		if (k ~ /^(blk|net)_(read|write|tx|rx)_MBps_depth/) { b = k; sub(/_depth.*/, "", b); q = median(vals[b SUBSEP "qemu"]) }
		ratio = (q > 0) ? sprintf("%.2f", r / q) : "-"
		printf "| %s | %s | %s | %s | %d |\n", desc[k] ? desc[k] : k, r, q, ratio, cnt[k SUBSEP "rampart"]
	}
}' "$raw")

echo "$table"
{
	echo "# Benchmarks"
	echo
	echo "Written by \`make bench\` (bench/run.sh); the latest run replaces this file."
	echo "Each value is the median of the runs; both VMMs boot the same Debian kernel"
	echo "($(cat build/images/KVER 2>/dev/null)), the same initramfs and 256 MiB, with"
	echo "the VMMs' order alternating between rounds. The baseline is QEMU"
	echo "$(qemu-system-x86_64 --version | head -n1 | sed 's/QEMU emulator version //') \`-M microvm\` with userspace virtio-net (tap, no vhost) and"
	echo "virtio-blk on a raw file. $MIB MiB per disk and network measurement."
	echo
	echo "- date: $(date -u +%Y-%m-%d)"
	echo "- where: $where"
	echo "- rampart: $(git describe --always --dirty 2>/dev/null)"
	echo
	echo "$table"
	echo
	echo "The rows \"above layers\" and \"through the layers\" run the same guest with"
	echo "\`--layers\`; their QEMU column is QEMU at depth 1 (QEMU has no layers)."
	echo
	if ! hw_kvm; then
		echo "Inside the test host every instruction of the host side (the VMM, the"
		echo "host kernel's tap and file paths, nc) is emulated by TCG, so absolute"
		echo "numbers are far below hardware; the ratios compare the two VMMs under the"
		echo "same emulation. Exits cost ~50 µs there, which weighs on both alike."
	fi
} >docs/benchmarks.md
echo "bench: table written to docs/benchmarks.md"
