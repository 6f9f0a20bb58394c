#!/bin/sh
# Network: the VMM runs in a network namespace with a persistent tap rt0
# (172.30.0.1/30, the guest is 172.30.0.2); 4 MiB go each way through busybox
# nc, sha256 compared on both sides.
. "$(dirname "$0")/lib.sh"
T=net
need_vmm $T
MIB=4
net_setup || { notok $T "cannot create the namespace and tap"; exit 1; }
pattern h2g "$MIB" >"$SCRATCH/h2g"
want_h2g=$(sha <"$SCRATCH/h2g")
want_g2h=$(pattern net-g2h "$MIB" | sha)
net_listen "$SCRATCH/g2h" "$SCRATCH/h2g"
guest "$SCRATCH/log" net "$MIB" --net "tap:$TAP"
rc=$?
net_wait 5
got_g2h=$(sha <"$SCRATCH/g2h")
sent=$(res "$SCRATCH/log" net_send_sha256)
recv=$(res "$SCRATCH/log" net_recv_sha256)
if [ $rc != 0 ]; then notok $T "exit status $rc, want 0"; tail_log "$SCRATCH/log"
elif [ "$sent" != "$want_g2h" ] || [ "$got_g2h" != "$want_g2h" ]; then
	notok $T "guest->host: guest sent '$sent', host got $got_g2h ($(wc -c <"$SCRATCH/g2h") bytes), want $want_g2h"
	tail_log "$SCRATCH/log"
elif [ "$recv" != "$want_h2g" ]; then
	notok $T "host->guest: guest got '$recv' ($(res "$SCRATCH/log" bytes) bytes), want $want_h2g"
	tail_log "$SCRATCH/log"
else ok "$T ($MIB MiB each way over tap in a netns, sha256 equal)"; fi
