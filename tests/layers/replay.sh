#!/bin/sh
# Pcaps replayed in-line through the ids layer against the offline mode on
# the same frames: for each suricata-verify test under
# ../shared/data/ids/verify (manifest.tsv), build/idstool replay-split
# makes its pcap a replay script (src/layer/replay.h; checksums made right,
# as tcpreplay's --fixcsum, and each flow's opener on the guest's side),
# then the "io" test guest in replay mode (src/layer/iotest.c) sends the
# guest's frames and build/idstool replay-host the host's on a real tap,
# in the pcap's order (each side waits for the other's turn frame), through
# `--layers ids,io` with the test's rules; and the offline mode
# (`rampart ids --midstream`, the in-line flow table's way of picking up a
# flow) runs the same rules over the script's frames. Each test passes
# when every frame crossed (ids mode holds nothing back) and the alerts
# are the same, sid by sid, in-line and offline. This is the in-line half
# of tests/ids/verify.sh's agreement with Suricata: it runs every test of
# the manifest, those the offline mode fails against Suricata too. Alerts
# compare as sid and source address; a known difference is a line of
# tests/layers/replay-known ("TEST SID IN-LINE OFFLINE": the two counts,
# which must be those). Then evasions built by `build/idstool attack` are
# replayed in ips mode (below).
# Needs root (netns, tap). Each test prints "ok NAME" or "not ok NAME: reason".
cd "$(dirname "$0")/../.." || exit 2
R=${RAMPART_TEST:-build/test/rampart} # the test build: its kinds (include/rampart/kinds.h)
D=${RAMPART_IDS_VERIFY:-../shared/data/ids/verify}
. tests/count.sh
. tests/layers/tap.sh
tap_setup replay rprp

if [ ! -f "$D/manifest.tsv" ]; then
	skip replay "no suricata-verify data at $D"
	summary replay
	exit $?
fi
# RAMPART_REPLAY_ONLY=NAME: that test alone
grep -v '^#' "$D/manifest.tsv" | grep "^${RAMPART_REPLAY_ONLY:-}" >"$T/list"

# counts FILE: "key=count" of FILE's lines (one key a line), sorted
counts() { sort "$1" | uniq -c | awk '{ print $2 "=" $1 }' | tr '\n' ' '; }

# replay PCAP RULES: PCAP replayed through --layers ids,io under RULES
# (events in $T/run, the host's end in $T/host); rc, hrc: their exit
# statuses; g, h: "received sent" of the guest's and the host's ends
# (empty when the script could not be made: $T/split says why)
replay() {
	g="" h=""
	build/idstool replay-split "$1" "$T/script" "$T/frames.pcap" >"$T/split" 2>&1 || return 1
	# the disk: the script, in whole sectors (at least 2)
	size=$(wc -c <"$T/script")
	sect=$(((size + 511) / 512))
	[ $sect -ge 2 ] || sect=2
	cp "$T/script" "$T/disk.img"
	head -c $((sect * 512 - size)) /dev/zero >>"$T/disk.img"
	ip netns exec "$NS" build/idstool replay-host "$TAP" "$T/script" $((30 * TIME_SCALE)) \
		>"$T/host" 2>&1 &
	hp=$!
	i=0
	while ! grep -qs ready "$T/host" && [ $i -lt $((50 * TIME_SCALE)) ]; do sleep 0.1; i=$((i + 1)); done
	ip netns exec "$NS" timeout $((40 * TIME_SCALE)) "$R" run --layers ids,io \
		--layer-args $sect,0,0,4 --disk "$T/disk.img" --rules ids="$2" \
		--net "tap:$TAP" 2>"$T/run"
	rc=$?
	[ $rc = 0 ] || kill "$(sed -n 's/^ready //p' "$T/host")" 2>/dev/null
	wait $hp
	hrc=$?
	g=$(sed -n 's/.*io: replay: [0-9]* records, [0-9]* sent, \([0-9]*\) of \([0-9]*\) received.*/\1 \2/p' "$T/run")
	h=$(sed -n 's/^replay-host: [0-9]* records, [0-9]* sent, \([0-9]*\) of \([0-9]*\) received.*/\1 \2/p' "$T/host")
	return 0
}

while IFS='	' read -r name pcap rules _expect _flags; do
	why=""
	if ! replay "$D/$pcap" "$D/$rules"; then
		notok "$name" "replay-split: $(tail -1 "$T/split")"
		continue
	fi
	# the rules the layer cannot enforce (the compiler names each; the run
	# does not when its blob was cached): left out of the offline count;
	# with none left, the stack must refuse
	build/rampart-policy compile "$D/$rules" -o "$T/blob" --kind ids 2>"$T/compile"
	sed -n 's/^[^ ]*: sid \([0-9]*\): not loaded in-line: .*/\1/p' "$T/compile" | sort -u >"$T/notin"
	nin=$(wc -l <"$T/notin")
	if grep -q 'no rule can be enforced in-line' "$T/run"; then
		reasons=$(sed -n 's/^[^ ]*: sid [0-9]*: not loaded in-line: \([^:(]*\).*/\1/p' "$T/run" | sed 's/ *$//' | sort -u | tr '\n' ';')
		if [ $rc != 0 ] && [ "$nin" -gt 0 ] && grep -q "rules $D/$rules refused" "$T/run"; then
			ok "$name" "(none of its rules in-line: $nin named, ${reasons%;}; the stack refused to start)"
		else
			notok "$name" "no rule in-line, yet rampart exit $rc, $nin rules named"
		fi
		continue
	fi
	[ $rc = 0 ] || why="rampart exit $rc ($(grep -o '"text":"[a-z]*: [^"]*"' "$T/run" | tail -1))"
	[ $hrc = 0 ] || why="$why; host side: $(tail -1 "$T/host")"
	# every frame crossed, both ways (ids mode)
	{ [ -n "$g" ] && [ "${g% *}" = "${g#* }" ]; } || why="$why; the guest received ${g% *} of the host's ${g#* } frames"
	{ [ -n "$h" ] && [ "${h% *}" = "${h#* }" ]; } || why="$why; the host received ${h% *} of the guest's ${h#* } frames"
	if ! "$R" ids --quiet --rules "$D/$rules" --pcap "$T/frames.pcap" --eve "$T/eve" --midstream \
		2>"$T/off"; then
		why="$why; offline mode: $(tail -1 "$T/off")"
	fi
	# each alert as "sid@source address", in-line and offline
	grep '"event":"ids_alert"' "$T/run" |
		sed -n 's/.*"sid":\([0-9]*\),.*"src_ip":"\([^"]*\)".*/\1@\2/p' >"$T/in-all"
	grep '"event_type":"alert"' "$T/eve" 2>/dev/null |
		sed -n 's/.*"src_ip":"\([^"]*\)".*"signature_id":\([0-9]*\),.*/\2@\1/p' >"$T/off-all"
	# the rules not in-line, and the known departures (each shown, its
	# counts as listed), out of the comparison; busybox's grep takes an
	# empty pattern file as one empty pattern, hence the "-"
	grep "^$name " tests/layers/replay-known | cut -d' ' -f2- >"$T/known"
	{ echo "-"; cat "$T/notin"; cut -d' ' -f1 "$T/known"; } | sed 's/^/^/; s/$/@/' >"$T/skip"
	grep -vf "$T/skip" "$T/in-all" >"$T/in"
	grep -vf "$T/skip" "$T/off-all" >"$T/off-sids"
	inl=$(counts "$T/in") off=$(counts "$T/off-sids") known=""
	[ "$inl" = "$off" ] || why="$why; in-line alerts ${inl:-none}, offline ${off:-none}"
	while read -r k ka kb; do
		a=$(grep -c "^$k@" "$T/in-all") b=$(grep -c "^$k@" "$T/off-all")
		[ "$a $b" = "$ka $kb" ] ||
			why="$why; sid $k: $a in-line, $b offline, where tests/layers/replay-known says $ka and $kb"
		known="$known; known: sid $k: $a in-line, $b offline"
	done <"$T/known"
	# every frame was scanned, and nothing came that was not sent
	[ "$(grep '"event":"ids"' "$T/run" | tail -1 | sed -n 's/.*"scanned":\([0-9]*\).*/\1/p')" -gt 0 ] 2>/dev/null ||
		why="$why; the layer scanned nothing"
	grep -q 'io: replay: .* 0 other' "$T/run" && grep -q '^replay-host: .* 0 other' "$T/host" ||
		why="$why; a frame nobody sent came ($(grep -o '[0-9]* other' "$T/run" "$T/host" | tr '\n' ' '))"
	cut=$(grep '"event":"ids"' "$T/run" | tail -1 | sed -n 's/.*"alerts_unlogged":\([0-9]*\).*/\1/p')
	[ "${cut:-0}" = 0 ] || why="$why; $cut alerts not logged"
	if [ -z "$why" ]; then
		ok "$name" "($(sed 's/^replay-split: //; s/ frames,.*//' "$T/split") frames; alerts ${inl:-none}$([ "$nin" = 0 ] || echo "; $nin rules not in-line")$known)"
	else
		notok "$name" "$why"
		[ -z "${RAMPART_REPLAY_KEEP:-}" ] || { mkdir -p "$RAMPART_REPLAY_KEEP/$name" && cp "$T/run" "$T/host" "$T/eve" "$RAMPART_REPLAY_KEEP/$name/" 2>/dev/null; }
	fi
done <"$T/list"

# Evasions replayed in ips mode (build/idstool attack, review-23 and -24):
# a SYN's data the SYN-ACK does not take, then the same bytes after the
# handshake, under a flow:established drop rule: they are inspected again
# (the receiver takes them now) and dropped; an HTTP request so, sent
# again in two segments that cut its URI: the SYN-ACK undid the SYN's
# data, so the stream and the HTTP parser take the request again, and the
# segment that completes it is dropped by an http.uri drop rule; a byte
# 'X' the receiver did not acknowledge, then 0x16 in its place (a
# keepalive probe's shape) and the rest of a ClientHello (a receiver that
# never took the 'X' reads a ClientHello, the layer's stream an 'X'): the
# 0x16 is no probe, a difference from the stream, dropped.
for a in ${RAMPART_REPLAY_ATTACKS:-syn-data:1000090:2 syn-http:1000092:3 probe:1000091:4}; do
	n=${a%%:*} sid=${a#*:} want=${a##*:}
	sid=${sid%:*}
	why=""
	cat >"$T/attack.rules" <<'RULES'
drop tcp any any -> any any (msg:"replay attack: bytes first seen before the handshake"; flow:established,to_server; content:"RAMPART-EVIL"; sid:1000090; rev:1;)
drop tls any any -> any any (msg:"replay attack: the evil server name"; tls.sni; content:"evil.example"; sid:1000091; rev:1;)
drop http any any -> any any (msg:"replay attack: the evil uri after the handshake"; flow:established,to_server; http.uri; content:"/evil"; sid:1000092; rev:1;)
RULES
	if ! build/idstool attack "$n" "$T/attack.pcap" 2>"$T/split" || ! replay "$T/attack.pcap" "$T/attack.rules"; then
		notok "attack $n" "$(tail -1 "$T/split")"
		continue
	fi
	[ $rc = 0 ] || why="rampart exit $rc"
	[ "${h% *}" = "$want" ] || why="$why; the host received ${h% *} of the guest's ${h#* } frames, not $want"
	diff=$(grep '"event":"ids"' "$T/run" | tail -1 | sed -n 's/.*"stream_diff":\([0-9]*\).*/\1/p')
	case $n in
	syn-*) grep '"event":"ids_alert"' "$T/run" | grep -q "\"action\":\"blocked\",\"sid\":$sid," ||
		why="$why; no blocked alert of sid $sid" ;;
	probe) [ "${diff:-0}" -ge 1 ] 2>/dev/null || why="$why; stream_diff '$diff', not at least 1" ;;
	esac
	if [ -z "$why" ]; then
		ok "attack $n" "(the host received $want of the guest's ${h#* } frames: the evading one dropped; stream_diff ${diff:-0})"
	else
		notok "attack $n" "$why"
	fi
done
summary replay
