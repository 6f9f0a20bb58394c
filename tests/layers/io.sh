#!/bin/sh
# Data through every layer, directly on /dev/kvm: the "io" test guest
# (src/layer/iotest.c) on top of 0 to 5 pass layers copies sectors of a real
# disk file and exchanges frames with the host over a real tap (in a network
# namespace of its own, so nothing leaves this machine). The host checks
# every byte: the copied sectors, the frames the guest sent
# (build/tapio writes them out) and the frames it received (written to the
# disk by the guest). More frames are sent to the guest than a layer has
# receive buffers, so each layer must wait for the one above and be woken
# by an event. Block requests go 16 per notify, and one batch mixes
# writes, reads and a flush, read back by the guest and checked here. Then
# the same runs, varied, count the stack's exits per block request and per
# frame at each depth, held under a bound. Each test prints "ok NAME" or
# "not ok NAME: reason"; needs root (netns, tap).
cd "$(dirname "$0")/../.." || exit 2
R=${RAMPART_TEST:-build/test/rampart} # the test build: its kinds (include/rampart/kinds.h)
. tests/count.sh
. tests/layers/tap.sh
tap_setup io rpio

chain() { c=""; i=1; while [ $i -lt $1 ]; do c="${c}pass,"; i=$((i + 1)); done; echo "${c}$2"; }

SECT=256 SEND=64 RECV=96 # RECV > the 32 receive buffers of each layer
MIX=16 # IO_MIX in src/layer/iotest.c
# io_run NAME DEPTH [noise]: one run, checked byte for byte ($IO_LAYERS and
# $IO_OPTS, when set, replace the chain and add to rampart's options)
io_run() {
	n=$1 L=${IO_LAYERS:-$(chain $2 io)}
	head -c $((4 << 20)) /dev/urandom >"$T/disk.img"
	head -c $((RECV * 1024)) /dev/urandom >"$T/in.bin"
	rm -f "$T/out.bin"
	exchange "$n" "${3:-}" --layers "$L" --layer-args $SECT,$SEND,$RECV${IO_MODE:+,$IO_MODE} \
		--disk "$T/disk.img" $IO_OPTS
	why=""
	[ $rc = 0 ] || why="rampart exit $rc ($(grep -o '"text":"io: [^"]*"' "$T/$n" | tail -1))"
	[ $trc = 0 ] || why="$why; host side: $(tail -1 "$T/tapio")"
	region "$T/disk.img" 0 $((SECT * 512)) >"$T/a"
	region "$T/disk.img" $((SECT * 512)) $((SECT * 512)) >"$T/b"
	cmp -s "$T/a" "$T/b" || why="$why; copied sectors differ"
	region "$T/disk.img" 0 $((SEND * 1024)) >"$T/a"
	cmp -s "$T/a" "$T/out.bin" || why="$why; frames sent differ"
	region "$T/disk.img" $((2 * SECT * 512)) $((RECV * 1024)) >"$T/a"
	cmp -s "$T/a" "$T/in.bin" || why="$why; frames received differ"
	# the mixed batch's writes (IO_MIX sectors after the frames received)
	region "$T/disk.img" $((2 * SECT * 512 + RECV * 1024)) $((MIX * 512)) >"$T/a"
	region "$T/disk.img" 0 $((MIX * 512)) >"$T/b"
	cmp -s "$T/a" "$T/b" || why="$why; the mixed batch's writes differ"
	grep -q '"text":"io: mixed batch' "$T/$n" || why="$why; no mixed batch read back"
}

for d in 1 2 3 4 5 6; do
	io_run io$d $d
	if [ -z "$why" ]; then
		ok "io depth $d: $SECT sectors copied, $SEND frames out, $RECV in, byte for byte"
	else
		notok "io depth $d" "$why"
	fi
done

# Exits as the unit of cost: the stack's KVM_RUN returns (the "end" event's
# "exits", every VM of the stack), per block request, per frame sent and
# per frame received, at each depth, from runs that differ in one thing
# only: A (SECT sectors, nothing on the network), B (2 * SECT: SECT / 8
# more requests of SPR sectors, 2 more batches), C (A and SEND frames
# out), and the run above (C, RECV frames in and one more batch of
# requests, the frames' RECV * 2 sectors written).
# A count, not a time: the same on a loaded host, but for the waits of the
# receiving guest, which depend on when the frames come.
# The bounds, from the design: the io guest issues block requests in
# batches of BLK_BATCH (IO_BLK_BATCH in src/layer/iotest.c) and sends frames
# in batches of TX_BATCH (IO_TX_BATCH), one notify each, and every layer
# hands its parent the batch whole with one notify and resumes its child
# with one RP_HC_VCPU_RUN: 2d - 1 exits per batch at depth d, a request or
# a frame sent under 2d / 16 + 0.1 (a notify per request or frame at any
# layer fails it). Frames received come in batches of up to 32 buffers per
# layer: under d / 2 + 1 per frame (a round trip per frame at any layer
# passes it).
# exits FILE: the end event's exits
exits() { sed -n 's/.*"event":"end".*"exits":\([0-9]*\).*/\1/p' "$T/$1"; }
SPR=16 BLK_BATCH=16 TX_BATCH=16 # IO_SECTORS_PER_REQ, IO_BLK_BATCH, IO_TX_BATCH
REQ_MORE=$((2 * SECT / SPR)) RX_BATCHES=$(((2 * RECV / SPR + BLK_BATCH - 1) / BLK_BATCH))
for d in 1 2 3 4 5 6; do
	SEND=0 RECV=0
	io_run exA$d $d
	w=$why
	SECT=$((2 * SECT))
	io_run exB$d $d
	w="$w$why" SECT=$((SECT / 2)) SEND=64
	io_run exC$d $d
	w="$w$why" RECV=96
	if [ -n "$w" ]; then
		notok "exits at depth $d" "$w"
		continue
	fi
	set -- $(exits exA$d) $(exits exB$d) $(exits exC$d) $(exits io$d)
	per=$(echo "$*" | awk -v m=$REQ_MORE -v s=$SEND -v r=$RECV -v rb=$RX_BATCHES -v b=$BLK_BATCH '{
		q = ($2 - $1) / m; printf "%.2f %.2f %.1f", q, ($3 - $1) / s, ($4 - $3 - rb * b * q) / r }')
	echo "# exits depth $d: per block request, frame sent, frame received: $per (runs: $*)"
	bb=$(awk -v d=$d -v b=$BLK_BATCH 'BEGIN { printf "%.2f", 2 * d / b + 0.1 }')
	txb=$(awk -v d=$d -v b=$TX_BATCH 'BEGIN { printf "%.2f", 2 * d / b + 0.1 }')
	over=$(echo "$per" | awk -v d=$d -v bb=$bb -v txb=$txb '{
		if ($1 >= bb) printf "%s per block request (bound %s); ", $1, bb
		if ($2 >= txb) printf "%s per frame sent (bound %s); ", $2, txb
		if ($3 >= d / 2 + 1) printf "%s per frame received (bound %.1f)", $3, d / 2 + 1 }')
	set -- $per
	if [ -z "$over" ]; then
		ok "exits at depth $d: $1 per block request (under $bb), $2 per frame sent (under $txb), $3 per frame received"
	else
		notok "exits at depth $d" "$over"
	fi
done

# Frames on the tap from before the drivers are up, and all along: they must
# neither stall the stack nor reach the guest as its own.
for d in 1 3; do
	io_run noise$d $d noise
	skipped=$(sed -n 's/.*io: frames of other kinds skipped: \([0-9]*\).*/\1/p' "$T/noise$d")
	[ -n "$skipped" ] && [ "$skipped" -gt 0 ] || why="$why; the guest skipped no other frames"
	if [ -z "$why" ]; then
		ok "io depth $d with other traffic on the tap ($skipped frames skipped by the guest)"
	else
		notok "io depth $d with other traffic on the tap" "$why"
	fi
done

# Layer 1 restarted while its devices are in use: flaky breaks once (after
# 200 exits of its child, while the io guest sends its 128 frames, the
# rings of the disk and the network full of the old layer 1's addresses,
# other traffic on the tap all along; the guest sends one frame per notify,
# IO_MODE 3, so that they are exits). The root must reset every device
# layer 1 had before the rebuilt one runs; the restarted stack then does
# all its I/O again, byte for byte (the host takes frames sent twice).
SEND=128 IO_LAYERS=flaky,io IO_OPTS="--on-violation restart" IO_MODE=3
io_run restart 2 "noise again"
SEND=64 IO_LAYERS= IO_OPTS= IO_MODE=
resets=$(grep '"event":"layer_restart"' -A20 "$T/restart" | grep -o '"event":"device_reset","layer":"L1#[0-9]*","device":"[a-z-]*"' | sed 's/.*"device":"//;s/"//' | sort | tr '\n' ' ')
[ "$(grep -c '"event":"layer_restart"' "$T/restart")" = 1 ] || why="$why; not one restart"
[ "$resets" = "virtio-blk virtio-net virtio-rng " ] || why="$why; devices reset after the restart: '$resets'"
# A device left as it was reads the new layer 1's memory through the old rings.
stale=$(sed -n '/"event":"layer_restart"/,$p' "$T/restart" | grep -o '"event":"device_refused","layer":"L1#[^}]*' | head -1)
[ -z "$stale" ] || why="$why; after the restart: $stale"
if [ -z "$why" ]; then
	ok "io: layer 1 restarted while its guest sends, its disk, rng and network reset, then all I/O again byte for byte"
else
	notok "io with a restart of layer 1" "$why"
fi

# The same one layer up: flaky at depth 2, rebuilt by its pass parent, which
# must reset the devices it gave it before it builds it again.
SEND=128 IO_LAYERS=pass,flaky,io IO_OPTS="--on-violation restart" IO_MODE=3
io_run restart2 3 "noise again"
SEND=64 IO_LAYERS= IO_OPTS= IO_MODE=
[ "$(grep -c '"event":"layer_restart","layer":"L2#' "$T/restart2")" = 1 ] || why="$why; not one restart of layer 2"
grep -q '"layer":"L1#[0-9]*","text":"pass: reset my child.s devices (3)"' "$T/restart2" ||
	why="$why; no reset of layer 2's devices"
stale=$(sed -n '/"event":"layer_restart"/,$p' "$T/restart2" | grep -o '"layer":"L1#[0-9]*","text":"pass: \(disk\|rng\|net\): [^"]*"' | head -1)
[ -z "$stale" ] || why="$why; after the restart: $stale"
if [ -z "$why" ]; then
	ok "io: layer 2 restarted while its guest sends, its parent resets its devices, then all I/O again byte for byte"
else
	notok "io with a restart of layer 2" "$why"
fi

# A network through layers needs every layer below the top to hand it on.
ip netns exec "$NS" timeout $((20 * TIME_SCALE)) "$R" run --layers test,io --layer-args 2,0,0 \
	--disk "$T/disk.img" --net tap:$TAP 2>"$T/refuse"
rc=$?
[ $rc = 1 ] && grep -q "layer 1 'test' does not hand devices on" "$T/refuse" &&
	ok "a layer that does not hand devices on is refused" ||
	notok "a layer that does not hand devices on is refused" "rc $rc"

summary io
