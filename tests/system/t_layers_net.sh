#!/bin/sh
# The network through the layers: with --layers [pass,...,]vmm --net tap:rt0
# the root gives layer 1 a virtio-net window; each layer drives its parent's
# device (src/virtio/driver.c) as the backend of the one it gives its child
# (src/layer/vnet.c), and a received frame reaches layer k as an event while
# the guest above it runs. As t_net.sh: MIB MiB each way through busybox nc
# over a tap in a netns, sha256 compared on both sides. Depths 2 (vmm),
# 3 (pass,vmm) and 6 (pass x4,vmm), one "ok layers_net ..." line each.
. "$(dirname "$0")/lib.sh"
T=layers_net
need_layers $T
MIB=1
net_setup || { notok $T "cannot create the namespace and tap"; exit 1; }
pattern h2g "$MIB" >"$SCRATCH/h2g"
want_h2g=$(sha <"$SCRATCH/h2g")
want_g2h=$(pattern net-g2h "$MIB" | sha)

# attempt LOG LAYERS: listeners, one boot, then the listeners' end
attempt() {
	rm -f "$SCRATCH/g2h" "$SCRATCH/hold"
	net_listen "$SCRATCH/g2h" "$SCRATCH/h2g"
	guest "$1" net "$MIB" --layers "$2" --net "tap:$TAP"
	_arc=$?
	net_wait 5
	return $_arc
}

# one_depth NAME LAYERS NPASS
one_depth() {
	n=$1 L=$2 np=$3 log=$SCRATCH/$1.log
	t0=$(date +%s)
	attempt "$log" "$L"
	rc=$?
	# As guest_tolerant (lib.sh): a guest kernel panic under the test host's emulated SVM is retried once.
	if [ $rc = 2 ] && [ "${RAMPART_IN_TESTHOST:-0}" = 1 ] && grep -q "Kernel panic" "$log"; then
		echo "# retry: the guest's kernel panicked under the emulated SVM:"
		tr -d '\r' <"$log" | grep -E "RIP:|Kernel panic" | head -n 4 | sed 's/^/#   /'
		attempt "$log" "$L"
		rc=$?
	fi
	t1=$(date +%s)
	got_g2h=$(sha <"$SCRATCH/g2h")
	sent=$(res "$log" net_send_sha256)
	recv=$(res "$log" net_recv_sha256)
	passes=$(grep -c "pass: net for the child layer" "$log")
	if [ $rc != 0 ]; then notok "$T $n" "exit status $rc, want 0"; tail_log "$log"; return; fi
	if ! grep -q "vmm: net for the guest" "$log"; then notok "$T $n" "the vmm did not report its parent's network"; tail_log "$log"; return; fi
	if [ "$passes" != "$np" ]; then notok "$T $n" "$passes pass layers reported the network, want $np"; tail_log "$log"; return; fi
	if [ "$sent" != "$want_g2h" ] || [ "$got_g2h" != "$want_g2h" ]; then
		notok "$T $n" "guest->host: guest sent '$sent', host got $got_g2h ($(wc -c <"$SCRATCH/g2h") bytes), want $want_g2h"
		tail_log "$log"; return
	fi
	if [ "$recv" != "$want_h2g" ]; then
		notok "$T $n" "host->guest: guest got '$recv', want $want_h2g"; tail_log "$log"; return
	fi
	ok "$T $n (--layers $L: $MIB MiB each way over a tap, sha256 equal on both sides; $((t1 - t0))s)"
}

one_depth depth2 vmm 0
one_depth depth3 pass,vmm 1
one_depth depth6 pass,pass,pass,pass,vmm 4
