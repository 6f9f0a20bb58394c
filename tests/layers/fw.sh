#!/bin/sh
# The firewall layer in-line, directly on /dev/kvm: the "io" test guest in
# UDP mode (src/layer/iotest.c) above a firewall layer (alone, under a pass,
# over a pass) exchanges frames with build/tapio over a real tap in a network
# namespace of its own (the guest sends 16 frames per notify: the firewall
# judges each frame of a batch), under tests/layers/fw/io.nft: guest -> host UDP
# ports 5000/5001 pass, 5002 is dropped, 5003 rejected; host -> guest 6000/
# 6001 pass, 6002 dropped, 6003 rejected. The host must receive exactly the
# allowed frames, byte for byte, and an ICMP port unreachable for each frame
# it sent to 6003 at the guest's MAC and address, none for its copies sent to
# the broadcast MAC, the IPv4 broadcast or a multicast group; the guest exactly the allowed ones, in order (it fails on
# a frame to a denied port); a frame the guest sends with a MAC not its own,
# or behind a VLAN tag (an ARP reply after a VID 0 tag claiming 10.0.2.2 for
# another MAC), never arrives; the "firewall" event's counters are the frames sent. Then
# the firewall faults mid-transfer (fwflaky) under the restart policy: no
# frame to a denied port crosses before, during or after its rebuild, and
# the rebuilt layer checks its policy again before its child runs. Needs
# root (netns, tap). Each test prints "ok NAME" or "not ok NAME: reason".
cd "$(dirname "$0")/../.." || exit 2
R=${RAMPART_TEST:-build/test/rampart} # the test build: its kinds (include/rampart/kinds.h)
. tests/count.sh
. tests/layers/tap.sh
tap_setup fw rpfw
cp tests/layers/fw/io.nft "$T/io.nft"

# field NAME: the number NAME of the last firewall event of the run
field() { grep '"event":"firewall"' "$T/$n" | tail -1 | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
# rule LINE: the packets of the rule on LINE of io.nft
rule() { grep '"event":"firewall"' "$T/$n" | tail -1 | sed -n "s/.*{\"rule\":[0-9]*,\"line\":$1,\"packets\":\([0-9]*\).*/\1/p"; }

SECT=256 SEND=64 RECVT=96
RECV=$((RECVT / 2)) # the guest waits for the allowed ones only
# fw_run NAME LAYERS [rampart options...]: one run, checked byte for byte
fw_run() {
	n=$1 L=$2
	shift 2
	head -c $((4 << 20)) /dev/urandom >"$T/disk.img"
	head -c $((RECVT * 1024)) /dev/urandom >"$T/in.bin"
	rm -f "$T/out.bin"
	exchange "$n" "$TAPIO_OPTS udp" $L --layer-args $SECT,$SEND,$RECV,1${ONE_PER_NOTIFY:+,1} \
		--disk "$T/disk.img" "$@"
	why=""
	[ $rc = 0 ] || why="rampart exit $rc ($(grep -o '"text":"[a-z]*: [^"]*"' "$T/$n" | tail -1))"
	[ $trc = 0 ] || why="$why; host side: $(tail -1 "$T/tapio")"
	region "$T/disk.img" 0 $((SECT * 512)) >"$T/a"
	region "$T/disk.img" $((SECT * 512)) $((SECT * 512)) >"$T/b"
	cmp -s "$T/a" "$T/b" || why="$why; copied sectors differ"
	allowed "$T/disk.img" $SEND zeros >"$T/a"
	cmp -s "$T/a" "$T/out.bin" || why="$why; the frames the host received are not the allowed ones"
	allowed "$T/in.bin" $RECVT >"$T/a"
	region "$T/disk.img" $((2 * SECT * 512)) $((RECV * 1024)) >"$T/b"
	cmp -s "$T/a" "$T/b" || why="$why; the frames the guest received are not the allowed ones"
	icmp=$(sed -n 's/.*; icmp \([0-9]*\)$/\1/p' "$T/tapio")
	[ "$icmp" = $((RECVT / 4)) ] ||
		why="$why; $icmp ICMP port unreachable for the $((RECVT / 4)) frames to 6003"
}

# counters: the firewall event against what was sent (the spoofed frame
# and the guest's VLAN-tagged ARP count as seen and dropped; tapio's three
# copies of each frame to 6003 to group addresses as rejected, unanswered)
counters() {
	G=$((3 * RECVT / 4))
	want="frames=$((SEND + 2 + RECVT + G)) accepted=$((SEND / 2 + RECVT / 2)) dropped=$((SEND / 4 + 2 + RECVT / 4)) rejected=$((SEND / 4 + RECVT / 4 + G)) spoofed=1 tagged=1 reject_unsent=$G"
	got="frames=$(field frames) accepted=$(field accepted) dropped=$(field dropped) rejected=$(field rejected) spoofed=$(field spoofed) tagged=$(field tagged) reject_unsent=$(field reject_unsent)"
	[ "$got" = "$want" ] || why="$why; firewall event: $got, want $want"
	want="$((SEND / 2)) $((SEND / 4)) $((RECVT / 2)) $((RECVT / 4 + G)) $((SEND / 4 + RECVT / 4))"
	got="$(rule 7) $(rule 8) $(rule 9) $(rule 10) $(rule 11)"
	[ "$got" = "$want" ] || why="$why; rule counters (lines 7..11) $got, want $want"
	[ "$(grep -c '"event":"firewall"' "$T/$n")" = 1 ] || why="$why; not one firewall event"
	grep -q '"event":"measured","layer":[0-9],"kind":"policy"' "$T/$n" ||
		why="$why; no measured event for the policy"
}

# The stack file's form first: the rules' path is relative to the file.
printf '{"layers":[{"kind":"firewall","rules":"io.nft"},{"kind":"io"}]}' >"$T/fw.json"
TAPIO_OPTS=
fw_run fw1 "$T/fw.json"
counters
if [ -z "$why" ]; then
	ok "firewall,io (stack file): exactly the allowed frames both ways, $icmp rejects answered, the spoofed frame and the tagged ARP dropped, counters exact"
else
	notok "firewall,io (stack file)" "$why"
fi
for S in pass,firewall,io firewall,pass,io; do
	fw_run "fw-$S" "--layers $S" --rules firewall="$T/io.nft"
	counters
	if [ -z "$why" ]; then
		ok "$S: exactly the allowed frames both ways, $icmp rejects answered, the spoofed frame and the tagged ARP dropped, counters exact"
	else
		notok "$S" "$why"
	fi
done

# Fail closed: the firewall breaks once (after 200 exits of its child, while
# the io guest sends its 128 frames) and is rebuilt with its child under the
# restart policy; the guest then does all its I/O again (the host takes
# frames sent twice, "again"). No frame to a denied port may reach either
# side at any time (tapio and the guest fail on one), the policy is checked
# again before the rebuilt firewall's child runs, and the counters after the
# restart are the rebuilt layer's (conntrack and counters start afresh).
# The guest sends one frame per notify here, so that they are exits.
SEND=128 TAPIO_OPTS=again ONE_PER_NOTIFY=1
for S in fwflaky,io pass,fwflaky,io; do
	fw_run "restart-$S" "--layers $S" --rules fwflaky="$T/io.nft" --on-violation restart
	[ "$(grep -c '"event":"layer_restart"' "$T/$n")" = 1 ] || why="$why; not one restart"
	checked=$(grep -c '"text":"firewall: policy checked' "$T/$n")
	[ "$checked" = 2 ] || why="$why; the policy was checked $checked times (want 2: before and after)"
	[ "$(field restarts)" = 1 ] || why="$why; the firewall event does not say the layer restarted"
	if [ -z "$why" ]; then
		ok "$S: the firewall broke mid-transfer and was rebuilt, its policy checked again; nothing denied crossed"
	else
		notok "$S with a restart of the firewall" "$why"
	fi
done

# SIGUSR1: the counters now, from the layer's last periodic report (every
# 5 s); the io guest waits for a frame that never comes.
n=usr1
ip netns exec "$NS" sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$T/pid" "$R" run \
	--layers firewall,io --layer-args 16,0,1,1 --disk "$T/disk.img" --net tap:$TAP \
	--rules firewall="$T/io.nft" 2>"$T/$n" &
sp=$!
sleep $((7 * TIME_SCALE))
rp=$(cat "$T/pid")
kill -USR1 "$rp"
sleep 1
got=$(grep -c '"event":"firewall"' "$T/$n")
kill -TERM "$rp"
wait $sp
rc=$?
why=""
[ "$got" = 1 ] || why="$got firewall events after SIGUSR1, want 1"
[ "$(field spoofed)" = 1 ] && [ "$(field tagged)" = 1 ] && [ "$(field reports)" -ge 1 ] ||
	why="$why; the event does not carry the periodic report: $(grep '"event":"firewall"' "$T/$n" | head -c 300)"
[ $rc = 5 ] && [ "$(grep -c '"event":"firewall"' "$T/$n")" = 2 ] || why="$why; exit $rc, not a second event at the end"
if [ -z "$why" ]; then
	ok "SIGUSR1 writes the firewall event from the last report (reports $(field reports), uptime $(field uptime_s) s); the end writes it again"
else
	notok "SIGUSR1" "$why"
fi

summary fw
