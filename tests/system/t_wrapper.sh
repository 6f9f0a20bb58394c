#!/bin/sh
# The Linux guest behind a wrapper layer (docs/wrapper.md), --layers
# wrapper,vmm, a disk and a tap, the "wrapcheck" workload, under a policy
# that limits the disk to DISK_BPS bytes/s each way, makes sectors
# [0, 2048) read-only, limits what the guest receives to NET_BPS bytes/s
# and withholds the rng (the root gives every stack one):
#  - the guest's O_DIRECT write into the read-only range fails with EIO
#    (dd's "Input/output error") and the disk file's bytes there are
#    unchanged;
#  - its timed O_DIRECT write and read of MIB MiB elsewhere, and its
#    receive of NET_MB MB from the host, each run within 10 % of the limit;
#  - it has no RNG: no hardware RNG for /dev/hwrng (the node exists with
#    the kernel's hw_random core built in, but reading it fails);
#  - the wrapper's counters say so: a read-only refusal, delayed requests.
# A first boot under a policy that confines nothing gives the path's own
# rates and shows the write at sector 0 and the RNG go through without the
# policy. A limit is only worth checking where it binds: each is the
# nominal one (10 MB/s on the disk; 5 MB/s received, 0.5 MB/s inside the
# test host, where the guest behind a layer receives about 1 to 10 MB/s)
# or half the open path's rate where that is lower (a shared, slow host);
# a path under 0.2 MB/s fails the check.
. "$(dirname "$0")/lib.sh"
T=wrapper
need_layers $T
MIB=30
DISK_BPS=10000000
if [ "${RAMPART_IN_TESTHOST:-0}" = 1 ]; then NET_BPS=500000 NET_MB=4; else NET_BPS=5000000 NET_MB=25; fi
net_setup || { notok $T "cannot create the namespace and tap"; exit 1; }

img=$SCRATCH/disk.img
truncate -s 64M "$img"
head -c 1048576 /dev/urandom | dd of="$img" conv=notrunc 2>/dev/null
head -c $((NET_MB * 1000000)) /dev/urandom >"$SCRATCH/h2g"
want_h2g=$(sha <"$SCRATCH/h2g")


# within VALUE LIMIT_MBPS: VALUE lies within 10 % of the limit
within() { awk -v v="$1" -v l="$2" 'BEGIN { exit !(v != "" && v >= 0.9 * l && v <= 1.1 * l) }'; }
# wrfield NAME: a number of the run's last wrapper event
wrfield() { grep '"event":"wrapper"' "$log" | tail -1 | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }

# boot LOG POLICY: the wrapcheck workload behind wrapper,vmm; sets rc
boot() {
	rm -f "$SCRATCH/hold"
	net_listen "" "$SCRATCH/h2g"
	guest "$1" wrapcheck "$MIB" --layers wrapper,vmm --disk "$img" --net "tap:$TAP" --rules wrapper="$2"
	rc=$?
	net_wait 5
}
# The same stack with a policy that confines nothing: the path's own rates,
# and what the guest sees with the RNG and without the read-only range.
echo '{}' >"$SCRATCH/open.json"
log=$SCRATCH/open.log
boot "$log" "$SCRATCH/open.json"
w0=$(res "$log" wrap_write_MBps) r0=$(res "$log" wrap_read_MBps) n0=$(res "$log" wrap_recv_MBps)
why=""
[ $rc = 0 ] || why="exit status $rc"
[ "$(res "$log" wrap_ro)" = written ] || why="$why; the write at sector 0: '$(res "$log" wrap_ro)'"
case $(res "$log" wrap_rng_available) in *virtio*) ;; *) why="$why; no virtio RNG ('$(res "$log" wrap_rng_available)')" ;; esac
[ "$(res "$log" net_recv_sha256)" = "$want_h2g" ] || why="$why; the guest did not receive the bytes sent"
if [ -z "$why" ]; then
	ok "$T open policy (write $w0, read $r0 MB/s, received at $n0 MB/s; sector 0 written; a virtio RNG)"
else
	notok "$T open policy" "$why"
	tail_log "$log" 25
fi

# limit NOMINAL OPEN_MBPS: the limit in bytes/s (see the top)
limit() { awk -v n="$1" -v o="$2" 'BEGIN { h = o * 1e6 / 2; printf "%d", (o != "" && h < n) ? h : n }'; }
DISK_BPS=$(limit $DISK_BPS "$(awk -v w="$w0" -v r="$r0" 'BEGIN { print (w + 0 < r + 0) ? w : r }')")
NET_BPS=$(limit $NET_BPS "$n0")
disk_mbps=$(awk -v b=$DISK_BPS 'BEGIN { print b / 1e6 }')
net_mbps=$(awk -v b=$NET_BPS 'BEGIN { print b / 1e6 }')
cat >"$SCRATCH/wrap.json" <<JSON
{
	"devices": ["disk", "net"],
	"disk": {"read_only": [[0, 2048]], "bytes_per_s": $DISK_BPS, "burst": 1048576},
	"net": {"rx": {"bytes_per_s": $NET_BPS, "burst": 65536}}
}
JSON

head -c 1048576 /dev/urandom | dd of="$img" conv=notrunc 2>/dev/null
ro_before=$(head -c 1048576 "$img" | sha)
log=$SCRATCH/wrap.log
t0=$(date +%s)
boot "$log" "$SCRATCH/wrap.json"
t1=$(date +%s)
w=$(res "$log" wrap_write_MBps) r=$(res "$log" wrap_read_MBps) n=$(res "$log" wrap_recv_MBps)
why=""
[ $rc = 0 ] || why="exit status $rc"
[ "$(res "$log" wrap_ro)" = eio ] || why="$why; the write into the read-only range: '$(res "$log" wrap_ro)', want an I/O error"
[ "$(head -c 1048576 "$img" | sha)" = "$ro_before" ] || why="$why; the disk file's read-only range changed"
[ "$(res "$log" wrap_rng_available)" = none ] && [ "$(res "$log" wrap_hwrng_reads)" = no ] ||
	why="$why; the guest has an RNG: '$(res "$log" wrap_rng_available)', /dev/hwrng reads: $(res "$log" wrap_hwrng_reads)"
[ "$(res "$log" net_recv_sha256)" = "$want_h2g" ] || why="$why; the guest did not receive the bytes sent"
[ "$(wrfield refused_read_only)" -ge 1 ] 2>/dev/null || why="$why; no read-only refusal counted"
[ "$(wrfield delayed)" -ge 1 ] 2>/dev/null || why="$why; no delay counted"
[ "$(wrfield devices_withheld)" -ge 1 ] 2>/dev/null || why="$why; no device withheld"
if [ -z "$why" ]; then
	ok "$T policy (read-only write refused with EIO, file unchanged; no RNG; $(wrfield delayed) requests and frames delayed; $((t1 - t0))s)"
else
	notok "$T policy" "$why"
	tail_log "$log" 25
fi

# rate WHAT GOT OPEN LIMIT: GOT within 10 % of LIMIT (MB/s), the open path
# (OPEN) fast enough to show a limit
rate() {
	if ! awk -v o="$3" 'BEGIN { exit !(o != "" && o >= 0.2) }'; then
		notok "$T $1 limit" "the open path gave '$3' MB/s: too slow to show a limit"
	elif within "$2" "$4"; then
		ok "$T $1 limit ($2 MB/s at a $4 MB/s limit, $3 MB/s without)"
	else
		notok "$T $1 limit" "$2 MB/s, want $4 ± 10 % (the path gave $3 MB/s without)"
	fi
}
rate "disk write" "$w" "$w0" "$disk_mbps"
rate "disk read" "$r" "$r0" "$disk_mbps"
rate "receive" "$n" "$n0" "$net_mbps"
