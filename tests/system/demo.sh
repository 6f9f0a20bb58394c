#!/bin/sh
# The demo's inner part (run by scripts/demo.sh, here or inside the test host):
# boots the `demo` workload on a fresh disk file and a tap in a network
# namespace, checks the disk and the network from both sides, and prints a
# summary; every summary line starts with "| ". Exit 0 only if all went well.
. "$(dirname "$0")/lib.sh"
say() { echo "| $*"; }
fail=0
need_vmm demo >/dev/null || { say "VMM or images missing"; exit 1; }
truncate -s 64M "$SCRATCH/disk.img"
net_setup || { say "cannot create the network namespace and tap"; exit 1; }
pattern h2g 4 >"$SCRATCH/h2g"
want_h2g=$(sha <"$SCRATCH/h2g")
want_g2h=$(pattern net-g2h 4 | sha)
want_disk=$(pattern demo 4 | sha)
net_listen "$SCRATCH/g2h" "$SCRATCH/h2g"
t0=$(cut -d' ' -f1 /proc/uptime)
guest "$SCRATCH/log" demo "" --disk "$SCRATCH/disk.img" --net "tap:$TAP"
rc=$?
t1=$(cut -d' ' -f1 /proc/uptime)
net_wait 5
L=$SCRATCH/log
wall=$(echo "$t1 $t0" | awk '{ printf "%.1f", $1 - $2 }')

case $rc in 0) what="guest powered off" ;; 1) what="VMM error" ;; 2) what="guest reset" ;;
3) what="guest triple fault" ;; 124) what="timed out after $VMM_TIMEOUT s" ;; *) what="unexpected" ;; esac
[ "$VMM" = qemu ] && vname="QEMU microvm" || vname=$RAMPART
say "VMM:      $vname"
if has "$L" RAMPART-INIT-OK; then
	say "boot:     guest init reached at $(res "$L" boot_uptime_s) s guest uptime; whole run $wall s wall"
else
	say "boot:     FAILED: the guest never reached its init"; fail=1
fi
dw=$(res "$L" disk_write_sha256) dr=$(res "$L" disk_read_sha256)
df=$(head -c 4194304 "$SCRATCH/disk.img" | sha)
if [ "$dw" = "$want_disk" ] && [ "$dr" = "$want_disk" ] && [ "$df" = "$want_disk" ]; then
	say "disk:     ok: 4 MiB written, read back with O_DIRECT, and the host's disk file matches (sha256 ${want_disk%"${want_disk#????????????????}"}...)"
else
	say "disk:     FAILED: wrote ${dw:-?}, read ${dr:-?}, file $df, want $want_disk"; fail=1
fi
gs=$(res "$L" net_send_sha256) gr=$(res "$L" net_recv_sha256)
hg=$(sha <"$SCRATCH/g2h")
rates=$(tr -d '\r' <"$L" | sed -n 's/.*RAMPART-RESULT net_\(send\|recv\)_sha256.* MBps=\([0-9.]*\).*/\2/p' | tr '\n' ' ')
set -- $rates
if [ "$gs" = "$want_g2h" ] && [ "$hg" = "$want_g2h" ]; then
	say "net out:  ok: guest -> host 4 MiB over virtio-net + tap, sha256 equal on both sides (${1:-?} MB/s)"
else
	say "net out:  FAILED: guest sent ${gs:-?}, host got $hg ($(wc -c <"$SCRATCH/g2h") bytes)"; fail=1
fi
if [ "$gr" = "$want_h2g" ]; then
	say "net in:   ok: host -> guest 4 MiB, sha256 equal on both sides (${2:-?} MB/s)"
else
	say "net in:   FAILED: guest got ${gr:-?}, want $want_h2g"; fail=1
fi
[ $rc = 0 ] || fail=1
say "exit:     $rc ($what)"

# The same guest behind a stack of layers: the vmm layer boots it and gives
# it the stack's disk, which crosses every layer down to the root's file.
if [ "$VMM" = rampart ]; then
	layers=${DEMO_LAYERS:-pass,vmm}
	depth=$(($(echo "$layers" | tr ',' '\n' | wc -l) + 1))
	truncate -s 64M "$SCRATCH/layers.img"
	guest "$SCRATCH/lw" disk-write demo-layers --layers "$layers" --disk "$SCRATCH/layers.img"
	lrc1=$?
	guest "$SCRATCH/lr" disk-read "" --layers "$layers" --disk "$SCRATCH/layers.img"
	lrc2=$?
	want=$(pattern demo-layers 4 | sha)
	lw=$(res "$SCRATCH/lw" disk_write_sha256) lr=$(res "$SCRATCH/lr" disk_read_sha256)
	lf=$(head -c 4194304 "$SCRATCH/layers.img" | sha)
	if [ $lrc1 = 0 ] && [ $lrc2 = 0 ] && [ "$lw" = "$want" ] && [ "$lr" = "$want" ] && [ "$lf" = "$want" ]; then
		say "layers:   ok: the same guest behind --layers $layers (guest at depth $depth): init at $(res "$SCRATCH/lw" boot_uptime_s) s;"
		say "          4 MiB written, read back after a reboot, and the host's file matches, through every layer"
	else
		say "layers:   FAILED behind --layers $layers: exits $lrc1/$lrc2, wrote ${lw:-?}, read ${lr:-?}, file $lf"
		fail=1
		tail_log "$SCRATCH/lw" 15
	fi
fi
if [ $fail = 0 ]; then say "result:   DEMO OK"; else say "result:   DEMO FAILED"; tail_log "$L" 25; fi
exit $fail
