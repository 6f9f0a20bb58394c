#!/bin/sh
# The ids layer in-line, directly on /dev/kvm: the "io" test guest in UDP
# mode (src/layer/iotest.c) above an ids layer exchanges frames with
# build/tapio over a real tap in a network namespace of its own, under
# tests/layers/ids/io.rules. Frame i carries, at byte 100 of its 1 KiB, the
# alert rule's content when i % 4 == 1 and the drop rule's when i % 4 >= 2
# (both ways), none when i % 4 == 0; the io guest's extra frame (number
# 64, a foreign MAC) is dropped by a rule on its number and port. The host must receive exactly frames i % 4 < 2, byte for byte,
# the guest exactly those, in order (it fails on any other); each alert
# marker yields an "ids_alert" event (action allowed), each drop marker one
# with action blocked, and the "ids" event's counters are what was sent.
# Two rules confirm a content with a pcre: one fires on the alert markers
# (its content also matches the drop markers, where its pcre refutes it),
# one never fires (its content matches, its pcre never does).
# Before its frames, tapio sends the guest three later IPv4 fragments
# (offset 1480, no UDP header): the drop marker's is dropped, the alert
# marker's crosses with its event, the clean one crosses; neither is
# invalid (a later fragment is scanned alone, docs/ids.md); then the drop
# marker's fragment with the IPv4 reserved bit set, which the parser
# refuses: dropped and counted invalid, never crossing unscanned.
# The drop rule is walked (relative and negated contents); walked rules and
# thresholds fire on the guest's frames as counted; the guest's frames of
# a run with those rules give, offline (`rampart ids --pcap`), the same
# alerts sid by sid.
# Needs root (netns, tap). Each test prints "ok NAME" or "not ok NAME: reason".
cd "$(dirname "$0")/../.." || exit 2
R=${RAMPART_TEST:-build/test/rampart} # the test build: its kinds (include/rampart/kinds.h)
. tests/count.sh
. tests/layers/tap.sh
tap_setup ids rpids
cp tests/layers/ids/io.rules "$T/io.rules"

# mark FILE N: the markers into chunks 0..N of FILE, by i % 4 (the
# payload is a 4-byte number, then the chunk: byte 100 is at payload 104)
mark() {
	i=0
	while [ $i -lt "$2" ]; do
		case $((i % 4)) in
		1) m=RAMPART-IDS-ALERT ;;
		2 | 3) m=RAMPART-IDS-DROP ;;
		*) m= ;;
		esac
		[ -n "$m" ] && printf '%s' "$m" |
			dd of="$1" bs=1 seek=$((i * 1024 + 100)) conv=notrunc 2>/dev/null
		i=$((i + 1))
	done
}
# field NAME: the number NAME of the last ids event of the run
field() { grep '"event":"ids"' "$T/$n" | tail -1 | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }

SECT=256 SEND=64 RECVT=96
RECV=$((RECVT / 2)) # the guest waits for the frames without a drop marker
# ids_run NAME LAYERS [rampart options...]: one run, checked byte for byte
ids_run() {
	n=$1 L=$2
	shift 2
	head -c $((4 << 20)) /dev/urandom >"$T/disk.img"
	head -c $((RECVT * 1024)) /dev/urandom >"$T/in.bin"
	mark "$T/disk.img" $SEND
	mark "$T/in.bin" $RECVT
	rm -f "$T/out.bin"
	exchange "$n" "udp frag" $L --layer-args $SECT,$SEND,$RECV,1 --disk "$T/disk.img" "$@"
	why=""
	[ $rc = 0 ] || why="rampart exit $rc ($(grep -o '"text":"[a-z]*: [^"]*"' "$T/$n" | tail -1))"
	[ $trc = 0 ] || why="$why; host side: $(tail -1 "$T/tapio")"
	allowed "$T/disk.img" $SEND zeros >"$T/a"
	cmp -s "$T/a" "$T/out.bin" || why="$why; the frames the host received are not the allowed ones"
	allowed "$T/in.bin" $RECVT >"$T/a"
	region "$T/disk.img" $((2 * SECT * 512)) $((RECV * 1024)) >"$T/b"
	cmp -s "$T/a" "$T/b" || why="$why; the frames the guest received are not the allowed ones"
	# The counters: every frame scanned; the drop markers dropped. tapio also
	# sends each frame to port 6003 (i % 4 == 3, one with a drop marker)
	# three more times, to group addresses (the firewall suite's reject
	# check): scanned, alerted and dropped as the frame they copy.
	group=$((3 * (RECVT / 4)))
	drops=$((SEND / 2 + 1 + RECVT / 2 + group + 1))
	# Frames with the alert marker (sid 1000001 fires on each, 1000005 on
	# those to the guest's ports: am_in), with the drop marker to the
	# guest's ports (dm_in).
	am=$((SEND / 4 + RECVT / 4 + 1)) am_in=$((RECVT / 4)) dm_in=$((RECVT / 2 + group))
	# Headers and flow, on each side's frame 5: 1000011 on both (to the
	# server), 1000014 on the guest's (10.0.2.15, to 5000-5003), 1000010 on
	# the guest's only where HOME_NET is the guest alone (GUEST_HOME=1, the
	# stack file's run).
	# Flowbits: 1000016 on the host's alert markers from frame 9 on, 1000017
	# before it (frames 1 and 5), 1000015 never alerts (noalert).
	fb=$(((RECVT - 9 + 3) / 4 + 2))
	# dsize: 1000018 on the guest's frame 5.
	# Walked contents: 1000022 on the guest's frame 5; the thresholds on the
	# guest's 16 alert markers to 5001: 1000020 the first 2, 1000021 the
	# last 2 (the rest suppressed).
	g=$((SEND / 4)) rel=1 lim=2 df=2
	supp=$((g - lim + g - df))
	alerts=$((drops + am + am_in + 2 + 1 + ${GUEST_HOME:-0} + fb + 1 + rel + lim + df))
	# The walks: 1000002 on every marker (refuted on the alert markers),
	# 1000022 and 1000023 on the guest's alert markers to 5001 (1000023
	# refuted on each); 1000005 and 1000006, whose pcres are relative (R):
	# walked, their pcres in the walk (below), refuted there.
	pw=$((am_in + dm_in + am)) pwr=$((dm_in + am))
	walks="walk_runs=$((am + drops - 1 + 2 * g + pw)) walk_refuted=$((am + g - rel + g + pwr)) walk_limited=0 thr_suppressed=$supp thr_full=0 pcre_limited=0"
	# FAILED: scans stopped by a pattern the blob's table does not name
	# (the forged blob below: the clean later fragment's), each a drop.
	drops=$((drops + FAILED + 1)) # and tapio's frame with the reserved bit: invalid
	# pcre: 1000005's runs on every marker to the guest's ports, refuted on
	# the drop markers; 1000006's runs on every alert marker, refuted on
	# each (in their walks: walk_refuted, none after a walk).
	want="scanned=$((SEND + 1 + RECVT + group + 3)) alerts=$alerts drops=$drops invalid=1 scan_failed=$FAILED pcre_runs=$pw pcre_refuted=0"
	got="scanned=$(field scanned) alerts=$(field alerts) drops=$(field drops) invalid=$(field invalid) scan_failed=$(field scan_failed) pcre_runs=$(field pcre_runs) pcre_refuted=$(field pcre_refuted)"
	[ "$got" = "$want" ] || why="$why; ids event: $got, want $want"
	got="walk_runs=$(field walk_runs) walk_refuted=$(field walk_refuted) walk_limited=$(field walk_limited) thr_suppressed=$(field thr_suppressed) thr_full=$(field thr_full) pcre_limited=$(field pcre_limited)"
	[ "$got" = "$walks" ] || why="$why; ids event: $got, want $walks"
	[ "$(grep -c '"event":"ids_alert",.*"sid":1000020,' "$T/$n")" = $lim ] &&
		[ "$(grep -c '"event":"ids_alert",.*"sid":1000021,' "$T/$n")" = $df ] &&
		grep -q '"event":"ids_alert",.*"sid":1000022,.*"dest_port":5001,"direction":"from_guest"' "$T/$n" ||
		why="$why; not 2 alert events of the limit 2 rule and of the detection_filter 14 one, or none of the distance/within one"
	! grep -q '"event":"ids_alert",.*"sid":1000023,' "$T/$n" ||
		why="$why; an alert of the within rule whose window is a byte short"
	# Every firing is an ids_alert event, or counted as not logged (rate limits).
	lines=$(grep -c '"event":"ids_alert"' "$T/$n")
	[ $((lines + $(field alerts_unlogged) + $(field alert_lines_cut))) = "$alerts" ] ||
		why="$why; $lines ids_alert events + $(field alerts_unlogged) unlogged + $(field alert_lines_cut) cut, want $alerts"
	grep -q '"event":"ids_alert","layer":"L[0-9]#[0-9]*","depth":[0-9],"action":"allowed","sid":1000001,"rev":1,"msg":"ids test: alert marker","proto":"UDP","src_ip":"10.0.2.15","src_port":4000,"dest_ip":"10.0.2.2","dest_port":5001,"direction":"from_guest"' "$T/$n" ||
		why="$why; no alert event for the guest's frame to 5001"
	grep -q '"event":"ids_alert",.*"action":"blocked","sid":1000002,"rev":3,"msg":"ids test: drop marker","proto":"UDP",.*"dest_port":6002,"direction":"to_guest"' "$T/$n" ||
		why="$why; no blocked event for the host's frames to 6002"
	grep -q '"event":"ids_alert",.*"action":"allowed","sid":1000005,"rev":1,"msg":"ids test: content and pcre","proto":"UDP","src_ip":"10.0.2.2","src_port":4000,"dest_ip":"10.0.2.15","dest_port":6001,"direction":"to_guest"' "$T/$n" ||
		why="$why; no alert event for the content and pcre rule"
	! grep -q '"event":"ids_alert",.*"sid":1000006,' "$T/$n" ||
		why="$why; an alert from the rule whose pcre never matches"
	# Headers and flow (above): never to the client, never established.
	! grep -q '"event":"ids_alert",.*"sid":100001[23],' "$T/$n" ||
		why="$why; an alert of flow:to_client or flow:established, on flows never answered"
	# The guest's frames come first: their lines are within the budget. The
	# host's may have been cut (counted as unlogged): their alerts are in
	# the exact count above.
	cut=$(($(field alerts_unlogged) + $(field alert_lines_cut)))
	grep -q '"event":"ids_alert",.*"sid":1000011,.*"src_ip":"10.0.2.15","src_port":4000,"dest_ip":"10.0.2.2","dest_port":5001,"direction":"from_guest"' "$T/$n" ||
		why="$why; no flow:to_server alert from the guest"
	grep -q '"event":"ids_alert",.*"sid":1000011,.*"src_ip":"10.0.2.2","src_port":4000,"dest_ip":"10.0.2.15","dest_port":6001,"direction":"to_guest"' "$T/$n" || [ "$cut" -gt 0 ] ||
		why="$why; no flow:to_server alert to the guest"
	grep -q '"event":"ids_alert",.*"sid":1000014,.*"src_ip":"10.0.2.15",.*"direction":"from_guest"' "$T/$n" ||
		why="$why; no alert of the CIDR rule"
	! grep -q '"event":"ids_alert",.*"sid":1000015,' "$T/$n" ||
		why="$why; an alert of a flowbits:noalert rule"
	grep -q '"event":"ids_alert",.*"sid":1000017,.*"dest_port":6001,"direction":"to_guest"' "$T/$n" || [ "$cut" -gt 0 ] ||
		why="$why; no alert of flowbits:isnotset"
	! grep -q '"event":"ids_alert",.*"sid":1000016,.*"direction":"from_guest"' "$T/$n" ||
		why="$why; flowbits:isset on the guest's flow, where the bit was never set"
	grep -q '"event":"ids_alert",.*"sid":1000018,.*"dest_port":5001,"direction":"from_guest"' "$T/$n" &&
		! grep -q '"event":"ids_alert",.*"sid":1000019,' "$T/$n" ||
		why="$why; dsize:1028 did not fire, or dsize:<1028 did"
	# Only frames that cross enter the flow table: the flows to 5000, 5001,
	# 6000 and 6001; every frame to 5002, 5003, 6002 and 6003 carries the
	# drop marker, and a dropped frame leaves no flow behind.
	[ "$(field flows_full)" = 0 ] && [ "$(field flows)" = 4 ] ||
		why="$why; flows $(field flows), flows_full $(field flows_full) (want 4, 0)"
	# The later fragments: no ports (none in them), their datagram's protocol.
	grep -q '"event":"ids_alert",.*"action":"blocked","sid":1000002,.*"proto":"UDP","src_ip":"10.0.2.2","src_port":0,"dest_ip":"10.0.2.15","dest_port":0,"direction":"to_guest"' "$T/$n" ||
		why="$why; no blocked event for the later fragment with the drop marker"
	grep -q '"event":"ids_alert",.*"action":"allowed","sid":1000001,.*"proto":"UDP","src_ip":"10.0.2.2","src_port":0,"dest_ip":"10.0.2.15","dest_port":0,"direction":"to_guest"' "$T/$n" ||
		why="$why; no alert event for the later fragment with the alert marker"
	grep -q '"event":"measured","layer":[0-9],"kind":"policy"' "$T/$n" ||
		why="$why; no measured event for the policy"
	cyc=$(($(field scan_cycles) / $(field scanned)))
}

FAILED=0
ids_run ids1 "--layers ids,io" --rules ids="$T/io.rules"
if [ -z "$why" ]; then
	ok "ids,io: drop markers never cross, alert markers cross with their events, clean frames cross; counters exact ($cyc cycles a scan)"
else
	notok "ids,io" "$why"
fi
# The same frames through the offline mode: the guest's 64 frames
# (build/idstool pcap rebuilds them from its disk) under the walked
# drop rule, the walked rules and the thresholds of io.rules (and the
# rule on the guest's frame 64, which tapio must not receive), in-line (a
# run with those rules alone, the drop rule on the guest's ports only, the
# host's drop markers dropped by a noalert rule, so that the guest's alert
# lines (61: 38, the isdataat rule's 16, the byte rule's 4, the header-only
# rules' 3) are the only ones and stay within the layer's 64 a second:
# the guest's last drop markers may reach the layer after tapio's first
# frames, which it sends once it has the guest's allowed ones) and
# offline: sid by sid, the same alerts (isdataat too: one rule on each
# alert marker, its negation on none; header-only rules, without a
# content, found by the blob's address index or on every frame, with
# thresholds: 1, 1, 1 alerts and one on an address never seen, none;
# byte_test and byte_jump: one rule on the alert markers of the frames
# numbered below 16).
why="" agree=""
{
	grep -E 'sid:10000(04|2[0-3]);' "$T/io.rules"
	grep -E 'sid:1000002;' "$T/io.rules" | sed 's/-> any any/-> any 5000:5003/'
	echo 'drop udp any any -> any 6000:6003 (msg:"ids test: the host'"'"'s drop markers, silently"; content:"RAMPART-IDS-DROP"; flowbits:noalert; sid:1000008;)'
	# isdataat in-line: 900 bytes after the marker of a 1 KiB frame are
	# there (each of the guest's alert markers to 5001), and so never "not"
	echo 'alert udp any any -> any 5001 (msg:"ids test: isdataat"; content:"RAMPART-"; isdataat:900,relative; sid:1000024;)'
	echo 'alert udp any any -> any 5001 (msg:"ids test: not isdataat"; content:"RAMPART-"; isdataat:!900,relative; sid:1000025;)'
	# byte_test: the frame's number (the payload's first 4 bytes, big
	# endian) below 16; byte_jump: the marker's next byte, 'A' (65), less
	# 66 past it, back to it; a pcre walked with them (R: "A" there),
	# "ERT" one past its match ("DROP" lands elsewhere: no "A")
	echo 'alert udp any any -> any 5001 (msg:"ids test: byte_test byte_jump"; content:"RAMPART-IDS-"; byte_test:4,<,16,0; byte_jump:1,0,relative,post_offset -66; pcre:"/^A/R"; content:"ERT"; distance:1; within:4; sid:1000026;)'
	echo 'alert udp 10.0.2.15 any -> 10.0.2.2 5002 (msg:"ids test: header only, hosts"; threshold:type limit, track by_src, count 1, seconds 3600; sid:1000050;)'
	echo 'alert udp [10.0.2.0/24,!10.0.2.2] any -> any 5001 (msg:"ids test: header only, prefix"; threshold:type limit, track by_dst, count 1, seconds 3600; sid:1000051;)'
	echo 'alert udp any any -> any 5001 (msg:"ids test: header only, every frame"; dsize:>1000; threshold:type threshold, track by_src, count 16, seconds 3600; sid:1000052;)'
	echo 'alert ip 10.0.2.16 any -> any any (msg:"ids test: header only, never"; sid:1000053;)'
} >"$T/walk.rules"
n=ids4
rm -f "$T/out.bin"
exchange $n "udp frag" --layers ids,io --layer-args $SECT,$SEND,$RECV,1 --disk "$T/disk.img" --rules ids="$T/walk.rules"
[ $rc = 0 ] && [ $trc = 0 ] || why="in-line: rampart exit $rc, tapio $trc ($(tail -1 "$T/tapio"))"
build/idstool pcap "$T/disk.img" $SEND "$T/guest.pcap"
"$R" ids --rules "$T/walk.rules" --pcap "$T/guest.pcap" --eve "$T/eve" --no-checksum-check 2>"$T/offline" || why="$why; offline mode: $(tail -1 "$T/offline")"
for sid in 1000002 1000020 1000021 1000022 1000023 1000024 1000025 1000050 1000051 1000052 1000053 1000026; do
	on=$(grep -c "\"signature_id\":$sid," "$T/eve")
	in=$(grep -c "\"event\":\"ids_alert\",.*\"sid\":$sid,.*\"direction\":\"from_guest\"" "$T/$n")
	[ "$on" = "$in" ] || why="$why; sid $sid: $on alerts offline, $in in-line"
	agree="$agree $sid:$on"
done
[ "$(grep -c '"signature_id":1000002,' "$T/eve")" = $((SEND / 2)) ] || why="$why; offline, the drop rule did not fire on the guest's $((SEND / 2)) drop markers"
[ "$(grep -c '"signature_id":1000024,' "$T/eve")" = $((SEND / 4)) ] || why="$why; offline, the isdataat rule did not fire on the guest's $((SEND / 4)) alert markers to 5001"
[ "$(grep -c '"signature_id":1000026,' "$T/eve")" = $((SEND / 16)) ] || why="$why; offline, the byte_test and byte_jump rule did not fire on the guest's $((SEND / 16)) alert markers of frames below 16"
hdr=""
for sc in 1000050:1 1000051:1 1000052:1 1000053:0; do
	hdr="$hdr $(grep -c "\"event\":\"ids_alert\",.*\"sid\":${sc%:*}," "$T/$n")"
done
[ "$hdr" = " 1 1 1 0" ] || why="$why; header-only rules 1000050..53 fired$hdr times in-line, not 1 1 1 0"
if [ -z "$why" ]; then
	ok "the guest's frames in-line and through the offline mode: the same alerts, sid by sid (sid:count$agree)"
else
	notok "offline agreement" "$why"
fi
# HTTP in-line: tapio's six requests to the guest (tests/layers/tapio.c,
# "http"), each one TCP segment, under tests/layers/ids/http.rules (and
# io.rules' drop and frame-64 rules, so that the guest gets what it waits
# for): the uri, host and user agent rules fire on the requests with their
# bytes in their buffers and on no other (a decoy carries every rule's
# bytes elsewhere: in the query, another header, the cookie); a request
# whose header block does not end in its segment is counted partial and
# matched on its request line; a request whose header block (and user
# agent) is cut over two segments is parsed whole where its block ends,
# and its drop rule drops that segment; a request whose header block is
# longer than the layer's window is counted lost; HTTP rules with packet
# contents match them in the message's header block or its body, not
# across the two. The same frames (tapio writes them
# as a pcap) through the offline mode (--midstream: no handshake): the
# same alerts, sid by sid.
why="" agree=""
{ grep -E 'sid:10000(02|04);' "$T/io.rules"; cat tests/layers/ids/http.rules; } >"$T/http.rules"
n=ids5
rm -f "$T/out.bin" "$T/http.pcap"
TAPIO_HTTP_PCAP=$T/http.pcap
export TAPIO_HTTP_PCAP
exchange $n "udp http" --layers ids,io --layer-args $SECT,$SEND,$RECV,1 --disk "$T/disk.img" --rules ids="$T/http.rules"
unset TAPIO_HTTP_PCAP
[ $rc = 0 ] && [ $trc = 0 ] || why="in-line: rampart exit $rc, tapio $trc ($(tail -1 "$T/tapio"))"
"$R" ids --rules "$T/http.rules" --pcap "$T/http.pcap" --eve "$T/eve" --no-checksum-check --midstream 2>"$T/offline" || why="$why; offline mode: $(tail -1 "$T/offline")"
for want in 1000030:3 1000031:1 1000032:1 1000033:1 1000034:1 1000035:1 1000036:1 1000037:0 1000038:1; do
	sid=${want%:*}
	in=$(grep -c "\"event\":\"ids_alert\",.*\"sid\":$sid,.*\"proto\":\"TCP\",\"src_ip\":\"10.0.2.2\",.*\"direction\":\"to_guest\"" "$T/$n")
	on=$(grep -c "\"signature_id\":$sid," "$T/eve")
	[ "$in" = "${want#*:}" ] || why="$why; sid $sid: $in alerts in-line, want ${want#*:}"
	[ "$on" = "$in" ] || why="$why; sid $sid: $on alerts offline, $in in-line"
	agree="$agree $sid:$on"
done
grep -q '"event":"ids_alert",.*"sid":1000032,.*"src_port":40002,"dest_ip":"10.0.2.15","dest_port":80,' "$T/$n" ||
	why="$why; the user agent rule's alert is not request 2's"
grep -q '"event":"ids_alert",.*"action":"blocked","sid":1000033,.*"src_port":40010,"dest_ip":"10.0.2.15","dest_port":80,' "$T/$n" ||
	why="$why; the split user agent's drop rule did not block its request's second segment"
got="http_requests=$(field http_requests) http_partial=$(field http_partial) http_lost=$(field http_lost)"
[ "$got" = "http_requests=8 http_partial=3 http_lost=1" ] ||
	why="$why; ids event: $got, want http_requests=8 http_partial=3 http_lost=1"
grep -q '"text":"ids: blob checked, 11 rules, .*, http;' "$T/$n" || why="$why; the layer did not say it parses HTTP"
grep -q '"event":"ids_alert",.*"sid":1000034,.*"src_port":40010,' "$T/$n" ||
	why="$why; the alert http payload rule did not fire on the HTTP flow's second segment"
if [ -z "$why" ]; then
	ok "HTTP in-line: http.uri (normalized), http.host (lowercased, no port), http_user_agent on \$HTTP_PORTS fire on their requests and not on the same bytes elsewhere; a partial header block counted; a header block cut over two segments parsed where it ends, its drop rule dropping that segment; one longer than the window lost; an alert http payload rule on an HTTP flow's later segment, not a non-HTTP flow's; HTTP rules' packet contents in the header block or the body, not across them, and deep in a body past the window; offline the same (sid:count$agree)"
else
	notok "HTTP in-line" "$why"
fi
# A full list of rules waiting on a body: the same frames under io.rules'
# drop rules and N walked drop rules on POST requests whose packet contents
# are deep in a body (review-22): N - 1 on marks never sent, the last on
# the deep POST's mark (its last segment). With N = 8 every one waits on
# the deep POST's body (IDS_HTTP_PEND) and the last fires on its mark:
# one blocked alert. With N = 9 the last finds the list full of drop
# rules: it cannot watch the body, and the body's segments it cannot see
# are dropped instead of crossing unwatched (http_nowait counts it): no
# alert, and at least as many drops as with 8.
pend_run() { # pend_run NAME N: the run with N waiting drop rules
	grep -E 'sid:10000(02|04);' "$T/io.rules" >"$T/pend.rules"
	k=1
	while [ $k -lt "$2" ]; do
		echo "drop http any any -> any any (msg:\"ids test: waits, never\"; flow:to_server; content:\"RAMPART-NEVER-$k\"; content:\"POST\"; http_method; sid:$((1000060 + k)); rev:1;)"
		k=$((k + 1))
	done >>"$T/pend.rules"
	echo 'drop http any any -> any any (msg:"ids test: waits, the deep mark"; flow:to_server; content:"DEEP-PKT-MARK"; content:"POST"; http_method; sid:1000079; rev:1;)' >>"$T/pend.rules"
	n=$1
	rm -f "$T/out.bin"
	exchange $n "udp http" --layers ids,io --layer-args $SECT,$SEND,$RECV,1 --disk "$T/disk.img" --rules ids="$T/pend.rules"
	[ $rc = 0 ] && [ $trc = 0 ] || why="$why; $n: rampart exit $rc, tapio $trc ($(tail -1 "$T/tapio"))"
}
why=""
pend_run ids5p8 8
d8=$(field drops) w8=$(field http_nowait)
a8=$(grep -c '"event":"ids_alert",.*"action":"blocked","sid":1000079,' "$T/$n")
pend_run ids5p9 9
d9=$(field drops) w9=$(field http_nowait)
a9=$(grep -c '"event":"ids_alert",.*"sid":1000079,' "$T/$n")
[ "$a8" = 1 ] || why="$why; with 8 waiting drop rules the deep mark's rule blocked $a8 times, not once"
[ "$a9" = 0 ] || why="$why; with 9 the deep mark's rule fired $a9 times: it could not have waited"
[ "${w9:-0}" -ge 1 ] 2>/dev/null || why="$why; with 9 http_nowait is '$w9', not at least 1"
[ "${d9:-0}" -ge "${d8:-x}" ] 2>/dev/null || why="$why; with 9 waiting drop rules $d9 drops, fewer than the $d8 with 8: the body crossed unwatched"
if [ -z "$why" ]; then
	ok "HTTP bodies waited on by 8 drop rules: the deep mark blocked; by 9: the ninth cannot wait, the body it cannot see dropped ($d9 drops against $d8, http_nowait $w9 against $w8)"
else
	notok "HTTP bodies waited on by a full list" "$why"
fi
# DNS and TLS in-line: tapio's DNS queries and ClientHellos to the guest
# (tests/layers/tapio.c, "dnstls") under tests/layers/ids/dnstls.rules
# (and io.rules' drop and frame-64 rules): dns.query (nocase, dotprefix, a
# second question, two names in one query: one alert) and tls.sni alert
# and drop rules fire on the messages with their names, and on no other
# (a response, a name that only ends like the domain, the name in another
# extension); the drops blocked; bsize on each name (the length's rule
# fires, the same content on a name of another length does not). The same frames offline (--midstream):
# the same alerts, sid by sid.
why="" agree=""
{ grep -E 'sid:10000(02|04);' "$T/io.rules"; grep -v '^#' tests/layers/ids/dnstls.rules; } >"$T/dnstls.rules"
n=ids7
rm -f "$T/out.bin" "$T/dnstls.pcap"
TAPIO_DNSTLS_PCAP=$T/dnstls.pcap
export TAPIO_DNSTLS_PCAP
exchange $n "udp dnstls" --layers ids,io --layer-args $SECT,$SEND,$RECV,1 --disk "$T/disk.img" --rules ids="$T/dnstls.rules"
unset TAPIO_DNSTLS_PCAP
[ $rc = 0 ] && [ $trc = 0 ] || why="in-line: rampart exit $rc, tapio $trc ($(tail -1 "$T/tapio"))"
"$R" ids --rules "$T/dnstls.rules" --pcap "$T/dnstls.pcap" --eve "$T/eve" --no-checksum-check --midstream 2>"$T/offline" || why="$why; offline mode: $(tail -1 "$T/offline")"
for want in 1000040:2:allowed:UDP 1000041:1:blocked:UDP 1000042:1:allowed:TCP 1000043:1:blocked:TCP \
	1000044:1:allowed:UDP 1000045:1:allowed:TCP; do
	sid=${want%%:*} rest=${want#*:}
	cnt=${rest%%:*} rest=${rest#*:}
	act=${rest%%:*} proto=${rest#*:}
	in=$(grep -c "\"event\":\"ids_alert\",.*\"action\":\"$act\",\"sid\":$sid,.*\"proto\":\"$proto\",\"src_ip\":\"10.0.2.2\",.*\"direction\":\"to_guest\"" "$T/$n")
	on=$(grep -c "\"signature_id\":$sid," "$T/eve")
	[ "$in" = "$cnt" ] || why="$why; sid $sid: $in $act alerts in-line, want $cnt"
	[ "$on" = "$in" ] || why="$why; sid $sid: $on alerts offline, $in in-line"
	agree="$agree $sid:$on"
done
grep -q '"event":"ids_alert",.*"sid":1000041,.*"src_port":50001,"dest_ip":"10.0.2.15","dest_port":53,' "$T/$n" ||
	why="$why; the dns drop rule's alert is not message 1's"
grep -q '"event":"ids_alert",.*"sid":1000043,.*"src_port":41001,"dest_ip":"10.0.2.15","dest_port":443,' "$T/$n" ||
	why="$why; the tls drop rule's alert is not ClientHello 1's"
got="dns_queries=$(field dns_queries) dns_names=$(field dns_names) tls_hellos=$(field tls_hellos) tls_sni=$(field tls_sni)"
[ "$got" = "dns_queries=4 dns_names=6 tls_hellos=3 tls_sni=3" ] ||
	why="$why; ids event: $got, want dns_queries=4 dns_names=6 tls_hellos=3 tls_sni=3"
grep -q '"text":"ids: blob checked, 8 rules, .*, dns, tls;' "$T/$n" || why="$why; the layer did not say it parses DNS and TLS"
grep -q '"event":"ids_alert",.*"sid":1000044,.*"src_port":50000,' "$T/$n" ||
	why="$why; the dns bsize rule's alert is not message 0's"
if [ -z "$why" ]; then
	ok "DNS and TLS in-line: dns.query (nocase, dotprefix, any question, once a query, bsize) and tls.sni (bsize) alert and drop rules fire on their messages and not on the same bytes elsewhere; offline the same (sid:count$agree)"
else
	notok "DNS and TLS in-line" "$why"
fi
# TCP reassembly in-line: tapio's "split" segments of one flow to the
# guest (tests/layers/tapio.c, split_seg[]; its sequence numbers wrap
# through 0) under tests/layers/ids/split.rules (and io.rules' drop and
# frame-64 rules, for the guest's frames). The drop marker lies across the
# first two segments: the second is dropped, its alert blocked (without
# reassembly it crossed: neither segment holds the marker); the segment
# ahead of the stream is dropped (stream_ooo), the first one resent with a
# byte changed is dropped (stream_diff), resent as it was it crosses, and a
# clean second half crosses, scanned with the first's bytes before it. The
# same frames offline (--midstream): the same alert.
why=""
{ grep -E 'sid:10000(02|04);' "$T/io.rules"; cat tests/layers/ids/split.rules; } >"$T/split.rules"
n=ids6
rm -f "$T/out.bin" "$T/split.pcap"
TAPIO_SPLIT_PCAP=$T/split.pcap
export TAPIO_SPLIT_PCAP
exchange $n "udp split" --layers ids,io --layer-args $SECT,$SEND,$RECV,1 --disk "$T/disk.img" --rules ids="$T/split.rules"
unset TAPIO_SPLIT_PCAP
[ $rc = 0 ] && [ $trc = 0 ] || why="in-line: rampart exit $rc, tapio $trc ($(tail -1 "$T/tapio"))"
in=$(grep -c '"event":"ids_alert",.*"action":"blocked","sid":1000040,.*"proto":"TCP","src_ip":"10.0.2.2","src_port":41000,"dest_ip":"10.0.2.15","dest_port":7000,"direction":"to_guest"' "$T/$n")
[ "$in" = 1 ] || why="$why; $in blocked alerts of the split marker in-line, want 1"
got="stream_segs=$(field stream_segs) stream_ooo=$(field stream_ooo) stream_diff=$(field stream_diff) stream_nomem=$(field stream_nomem) stream_tails=$(field stream_tails)"
[ "$got" = "stream_segs=2 stream_ooo=1 stream_diff=1 stream_nomem=0 stream_tails=1" ] ||
	why="$why; ids event: $got, want stream_segs=2 stream_ooo=1 stream_diff=1 stream_nomem=0 stream_tails=1"
# the guest's UDP drop markers and its frame 64, the host's drop markers
# and the copies of its frames to 6003 (as in the first run; no fragments
# here), and the three segments
want=$((SEND / 2 + 1 + RECVT / 2 + 3 * (RECVT / 4) + 3))
[ "$(field drops)" = "$want" ] || why="$why; drops $(field drops), want $want"
grep -q '"text":"ids: blob checked, 3 rules, .*, flow table, tcp streams (ips);' "$T/$n" || why="$why; the layer did not say it reassembles TCP"
"$R" ids --rules "$T/split.rules" --pcap "$T/split.pcap" --eve "$T/eve" --no-checksum-check --midstream 2>"$T/offline" || why="$why; offline mode: $(tail -1 "$T/offline")"
on=$(grep -c '"signature_id":1000040,' "$T/eve")
[ "$on" = "$in" ] || why="$why; sid 1000040: $on alerts offline, $in in-line"
if [ -z "$why" ]; then
	ok "TCP reassembly in-line: a drop marker split over two segments drops the second (alert blocked), out-of-order and changed overlapping segments dropped and counted, the rest cross; offline the same alert"
else
	notok "TCP reassembly in-line" "$why"
fi
# The stack file's form, under a pass: the rules' path is relative to the
# file; its vars make HOME_NET the guest alone, so that sid 1000010
# ($HOME_NET -> $EXTERNAL_NET) fires on the guest's alert markers.
printf '{"layers":[{"kind":"pass"},{"kind":"ids","rules":"io.rules","vars":{"HOME_NET":"[10.0.2.15]"}},{"kind":"io"}]}' >"$T/ids.json"
GUEST_HOME=1
ids_run ids2 "$T/ids.json"
GUEST_HOME=0
grep -q '"event":"ids_alert",.*"sid":1000010,.*"src_ip":"10.0.2.15","src_port":4000,"dest_ip":"10.0.2.2","dest_port":5001,"direction":"from_guest"' "$T/ids2" ||
	why="$why; no alert of \$HOME_NET -> \$EXTERNAL_NET with the stack file's HOME_NET"
if [ -z "$why" ]; then
	ok "pass,ids,io (stack file, vars): the same, at depth 2, and \$HOME_NET -> \$EXTERNAL_NET from the guest ($cyc cycles a scan)"
else
	notok "pass,ids,io (stack file)" "$why"
fi
# A stopped scan is not a clean one: a blob whose Hyperscan database has a
# pattern its table does not name (build/idstool forge: io.rules'
# table, the database of io.rules and one more rule on the "ccc..." of
# tapio's clean later fragment), put where the root finds its compile in
# the compiler's cache. It passes every check (the table is whole); the
# layer must count the match as scan_failed and drop that fragment, the
# rest as before.
C=$T/cache/rampart-policy
mkdir -p "$C"
{ cat "$T/io.rules"; echo 'alert udp any any -> any any (msg:"not in the table"; content:"cccccccccccccccc"; sid:1000099;)'; } >"$T/more.rules"
if build/rampart-policy compile "$T/io.rules" -o "$T/io.blob" --kind ids --cache "$C" >/dev/null 2>&1 &&
	build/rampart-policy compile "$T/more.rules" -o "$T/more.blob" --kind ids 2>/dev/null &&
	set -- "$C"/*.blob && [ $# = 1 ] && build/idstool forge "$T/io.blob" "$T/more.blob" "$1"; then
	FAILED=1
	XDG_CACHE_HOME=$T/cache
	export XDG_CACHE_HOME
	ids_run ids3 "--layers ids,io" --rules ids="$T/io.rules"
	unset XDG_CACHE_HOME
	grep -q '"event":"measured","layer":[0-9],"kind":"policy".*'"$(sha256sum "$1" | cut -c1-64)" "$T/ids3" ||
		why="$why; the root did not run the forged blob"
	if [ -z "$why" ]; then
		ok "ids,io with a database pattern the blob's table does not name: that frame dropped as scan_failed, the rest as before"
	else
		notok "ids,io (forged blob)" "$why"
	fi
else
	notok "ids,io (forged blob)" "could not forge the blob"
fi
# The scan probe (src/ids/probe.h): at its start the layer's own Hyperscan
# scans the probe's fixed bytes with its payload database; plain hs_scan on
# the host over the same bytes and the same database (build/ids-hsbench,
# bench/ids.sh's reference) must find as many matches (each short content
# below matches in most of the probe's 1 KiB scans), and the layer must
# report the probe's size and a cycle count.
{
	echo 'alert udp any any -> any any (msg:"probe a"; content:"|41|"; sid:1000090;)'
	echo 'alert udp any any -> any any (msg:"probe b"; content:"|00 ff|"; sid:1000091;)'
	echo 'alert tcp any any -> any any (msg:"probe c"; content:"|7a|"; nocase; sid:1000092;)'
	echo 'alert udp any any -> any any (msg:"probe d"; content:"never in 128 KiB of the probe"; sid:1000093;)'
} >"$T/probe.rules"
n=ids_probe
"$R" run --layers ids,spin --layer-args 2,1000 --rules ids="$T/probe.rules" 2>"$T/$n"
rc=$?
lp=$(sed -n 's/.*"text":"ids: blob checked.*; probe \([0-9]*\) bytes, \([0-9]*\) cycles, \([0-9]*\) matches.*/\1 \2 \3/p' "$T/$n" | head -1)
hp=""
build/rampart-policy compile "$T/probe.rules" -o "$T/probe.blob" --kind ids 2>/dev/null &&
	hp=$(build/ids-hsbench "$T/probe.blob" probe | sed -n 's/.*"probe_bytes":\([0-9]*\).*"matches":\([0-9]*\).*/\1 \2/p')
set -- $lp
if [ $rc = 0 ] && [ $# = 3 ] && [ "$1 $3" = "$hp" ] && [ "$2" -gt 0 ] && [ "$3" -gt 128 ]; then
	ok "the layer's scan probe: $1 bytes, $3 matches, as plain hs_scan finds on the host ($2 cycles)"
else
	notok "the scan probe" "exit $rc; layer: bytes cycles matches '$lp'; host: bytes matches '$hp'"
fi

# The rule the layer cannot enforce is reported, not silently dropped (the
# root's compiles above may have come from the blob cache, which reports
# nothing: compile here, without it).
build/rampart-policy compile "$T/io.rules" -o "$T/io.blob" --kind ids 2>"$T/compile"
grep -q "io.rules:14: sid 1000003: not loaded in-line: pcre without a content" "$T/compile" &&
	grep -q "io.rules:23: sid 1000007: not loaded in-line: packet contents in an HTTP rule" "$T/compile" &&
	grep -q "19 rules in-line (19 contents, 2 pcres, .* 3 flowbits operations, 12 walked contents, .*), 2 not loaded in-line" "$T/compile" &&
	ok "a pcre without a content, and a pcre with a buffer flag (U) after a packet content, are reported as not loaded in-line" ||
	notok "not loaded in-line" "$(cat "$T/compile")"

summary ids
