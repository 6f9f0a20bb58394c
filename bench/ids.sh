#!/bin/sh
# The ids engine's benchmarks (make bench-ids; docs/benchmarks-ids.md):
#  (a) scan speed: the offline mode against `suricata -r --runmode single`
#      (one worker each), all of ET Open 2024, over a generated pcap of
#      HTTP/1.1 sessions (bench/ids-pcap.py); each engine also runs over a
#      16-frame pcap, so that the time to load the rules is taken out;
#  (b) the scan: the ids layer's scan probe (src/ids/probe.h: its own
#      Hyperscan over fixed bytes at its start) against the same probe
#      with plain hs_scan on the host (build/ids-hsbench BLOB probe): the
#      engine's speed inside the layer against its ceiling; then the
#      pipeline: plain hs_scan on the host over the payload database of
#      an in-line blob (Snort 3 community's prefilter literals,
#      bench/ids-fp.py; each whole set in-line), 1 KiB payloads of random
#      bytes, TSC cycles per byte, against the ids layer's scan of the
#      same rules over the same kind of frames in the same run (its
#      hs_cycles, scan_cycles and scanned_bytes counters, docs/ids.md);
#  (c) rule load per set: rules loaded / enabled (rampart ids check), the
#      offline engine's load and compile time, in-line blob compile time
#      and size.
# IDS_BENCH_A=0 leaves (a) out (Suricata over the generated pcap: minutes).
# Results: build/bench/ids/ (raw), the tables on stdout.
set -u
cd "$(dirname "$0")/.." || exit 1
P=build/rampart-policy
DATA=${RAMPART_DATA:-../shared/data}
ET=$DATA/ids/rules/et-open-2024-suricata5
SN=$DATA/ids/rules/snort3-community-2022/snort3-community.rules
SMALL=$DATA/ids/verify/tests/http-async/input.pcap
SESSIONS=${IDS_BENCH_SESSIONS:-2000}
# The in-line database holds at most 1 MiB (IDS_BLOB_DB_MAX): 2,000 of
# Snort's literals fit.
FP_RULES=2000
O=build/bench/ids
mkdir -p $O
if [ ! -d "$ET" ] || [ ! -f "$SN" ] || ! command -v suricata >/dev/null; then
	echo "bench-ids: needs $ET, $SN and suricata (docs/ids.md)" >&2
	exit 1
fi
cat "$ET"/*.rules >$O/et.rules
cp "$SN" $O/snort.rules

# wall SECONDS-FILE CMD...: runs CMD, its wall time in seconds into the file
wall() {
	f=$1
	shift
	/usr/bin/time -f '%e %M' -o "$f" "$@" >/dev/null 2>>$O/stderr.log
}
secs() { cut -d' ' -f1 "$1"; }
rss_mb() { echo "$(cut -d' ' -f2 "$1") / 1024" | bc; }
ratio() { echo "scale=2; $1 / $2" | bc; }

# ---- (c) rule load per set
echo "## (c) rules loaded and compile cost"
echo
echo "| set | enabled | loaded | share | offline load + compile (s) | max RSS (MB) | in-line | fast-pattern blob ($FP_RULES rules): compile (s), bytes |"
echo "|---|---:|---:|---:|---:|---:|---:|---|"
for s in snort et; do
	$P ids-check --quiet --sids $O/$s.sids $O/$s.rules 2>$O/$s.check
	line=$(tail -n 1 $O/$s.check)
	en=$(echo "$line" | sed -n 's/.*: \([0-9]*\) enabled rules, \([0-9]*\) loaded.*(\(.*\) loaded)/\1/p')
	lo=$(echo "$line" | sed -n 's/.*: \([0-9]*\) enabled rules, \([0-9]*\) loaded.*(\(.*\) loaded)/\2/p')
	sh=$(echo "$line" | sed -n 's/.*: \([0-9]*\) enabled rules, \([0-9]*\) loaded.*(\(.*\) loaded)/\3/p')
	wall $O/$s.load.t $P ids --quiet --rules $O/$s.rules --pcap "$SMALL" --eve /dev/null \
		--no-checksum-check
	# In-line: every rule the parser loads, through the in-line compiler.
	python3 -c '
import re, sys
ok = set(open(sys.argv[1]).read().split())
for l in open(sys.argv[2], errors="replace"):
    m = re.search(r"[;(\s]sid\s*:\s*(\d+)", l)
    if l.lstrip().startswith("#") or not m or m.group(1) in ok:
        sys.stdout.write(l)' $O/$s.sids $O/$s.rules >$O/$s.loaded.rules
	$P compile $O/$s.loaded.rules -o $O/$s.blob --kind ids >/dev/null 2>$O/$s.inline
	inl=$(sed -n 's/.*: \([0-9]*\) rules in-line.*/\1/p' $O/$s.inline | tail -n 1)
	if [ -z "$inl" ]; then
		inl="not compiled"
		grep -q "larger than the limit" $O/$s.inline && inl="not compiled (file over 16 MiB)"
	fi
	python3 bench/ids-fp.py $O/$s.rules $O/$s.sids $FP_RULES >$O/$s.fp.rules
	wall $O/$s.fp.t $P compile $O/$s.fp.rules -o $O/$s.fp.blob --kind ids
	fpb=$(stat -c %s $O/$s.fp.blob 2>/dev/null || echo "not built")
	echo "| $s | $en | $lo | $sh | $(secs $O/$s.load.t) | $(rss_mb $O/$s.load.t) | $inl | $(secs $O/$s.fp.t), $fpb |"
done
echo

# ---- (a) scan speed against Suricata (IDS_BENCH_A=0: left out)
if [ "${IDS_BENCH_A:-1}" = 1 ]; then
python3 bench/ids-pcap.py $O/http.pcap "$SESSIONS" 1
mb=$(echo "scale=1; $(stat -c %s $O/http.pcap) / 1000000" | bc)
Y=tests/ids/suricata.yaml
wall $O/ours.small.t $P ids --quiet --rules $O/et.rules --pcap "$SMALL" --eve $O/ours.small.json --no-checksum-check
wall $O/ours.big.t $P ids --quiet --rules $O/et.rules --pcap $O/http.pcap --eve $O/ours.big.json --no-checksum-check
rm -rf $O/suri.small $O/suri.big
mkdir -p $O/suri.small $O/suri.big
wall $O/suri.small.t suricata -c $Y -l $O/suri.small -k none --runmode single -S $O/et.rules -r "$SMALL"
wall $O/suri.big.t suricata -c $Y -l $O/suri.big -k none --runmode single -S $O/et.rules -r $O/http.pcap
net() { echo "scale=2; $(secs "$1") - $(secs "$2")" | bc; }
on=$(net $O/ours.big.t $O/ours.small.t)
sn=$(net $O/suri.big.t $O/suri.small.t)
oa=$(grep -c '"event_type":"alert"' $O/ours.big.json)
sa=$(grep -c '"event_type":"alert"' $O/suri.big/eve.json)
echo "## (a) scan speed: ET Open 2024 (all enabled rules), $SESSIONS HTTP sessions, $mb MB, one worker"
echo
echo "| engine | wall, 16-frame pcap (s) | wall, $mb MB pcap (s) | scan (s, difference) | MB/s | max RSS (MB) | alerts |"
echo "|---|---:|---:|---:|---:|---:|---:|"
echo "| rampart ids (offline) | $(secs $O/ours.small.t) | $(secs $O/ours.big.t) | $on | $(echo "scale=1; $mb / $on" | bc) | $(rss_mb $O/ours.big.t) | $oa |"
echo "| suricata -r --runmode single | $(secs $O/suri.small.t) | $(secs $O/suri.big.t) | $sn | $(echo "scale=1; $mb / $sn" | bc) | $(rss_mb $O/suri.big.t) | $sa |"
echo
echo "ratio (Suricata's scan time / ours; above 1: ours faster): $(ratio "$sn" "$on"); whole runs: $(ratio "$(secs $O/suri.big.t)" "$(secs $O/ours.big.t)")"
echo
fi

# ---- (b) hs_scan on the host, and the same scan in the layer
# The host: build/ids-hsbench over 4 MiB of random bytes in 1 KiB payloads
# with a blob's payload database. The layer: the io test guest in UDP mode
# behind `ids` with the same rules, exchanging frames of 1 KiB of random
# bytes with build/tapio over a tap (as tests/layers/ids.sh does); its
# scan_cycles and scanned_bytes counters (the TSC cycles of the whole
# scan: Hyperscan, the candidates' checks, the header-only index) give
# cycles per byte. Needs root (a network namespace and a tap) and
# /dev/kvm; the layer's column says why when it is not measured.
head -c $((4 << 20)) /dev/urandom >$O/payloads
field() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$2" | tail -1; }
SECT=1024 SEND=512 RECVT=512
. bench/tapns.sh
tapns_setup rpidsb$$ rpidsb0 build/tapio build/test/rampart
# in_layer RULES NAME: the layer's cycles per byte over RULES, Hyperscan's
# (hs_cycles) then the whole scan's (scan_cycles), or why not
in_layer() {
	[ "$LAYER" = yes ] || { echo "not measured: $LAYER"; return; }
	head -c $((4 << 20)) /dev/urandom >$O/disk.img
	head -c $((RECVT * 1024)) /dev/urandom >$O/in.bin
	rm -f $O/out.bin
	ip netns exec $NS build/tapio $TAP $SEND $O/out.bin $O/in.bin 300 udp >$O/$2.tapio 2>&1 &
	tp=$!
	k=0
	while ! grep -qs ready $O/$2.tapio && [ $k -lt 100 ]; do sleep 0.1; k=$((k + 1)); done
	ip netns exec $NS timeout 600 build/test/rampart run --layers ids,io --rules ids="$1" \
		--layer-args $SECT,$SEND,$((RECVT / 2)),1 --disk $O/disk.img --net tap:$TAP 2>$O/$2.run
	rc=$?
	[ $rc = 0 ] || kill $tp 2>/dev/null
	wait $tp
	grep '"event":"ids"' $O/$2.run | tail -1 >$O/$2.event
	c=$(field scan_cycles $O/$2.event)
	h=$(field hs_cycles $O/$2.event)
	b=$(field scanned_bytes $O/$2.event)
	# the layer's scan probe, from its start line (src/ids/probe.h)
	pr=$(sed -n 's/.*"text":"ids: blob checked.*; probe \([0-9]*\) bytes, \([0-9]*\) cycles, \([0-9]*\) matches.*/\1 \2 \3/p' $O/$2.run | head -1)
	if [ $rc != 0 ] || [ -z "$c" ] || [ -z "$h" ] || [ "${b:-0}" = 0 ] || [ -z "$pr" ]; then
		echo "failed (exit $rc: $(tail -1 $O/$2.tapio))"
		return
	fi
	set -- $pr
	echo "$(echo "scale=2; $h / $b" | bc) $(echo "scale=2; $c / $b" | bc) $(echo "scale=3; $2 / $1" | bc) $3"
}
echo "## (b) the scan: hs_scan on the host against the ids layer"
echo
echo "Probe: the same 128 KiB of the probe's bytes (src/ids/probe.h) in 1 KiB scans, the fastest of five warm passes, plain hs_scan on the host against the ids layer's own Hyperscan at its start. Pipeline: 1 KiB frames of random bytes through the layer (its hs_cycles and scan_cycles counters) against hs_scan on the host over 4 MiB of random 1 KiB payloads."
echo
echo "| rules (payload database) | probe: host, cycles/byte | probe: layer, cycles/byte | ratio (host / layer; goal >= 0.7) | matches (host, layer) | pipeline: host hs_scan, cycles/byte | host GB/s | layer hs_scan, cycles/byte | ratio | layer, whole scan, cycles/byte | ratio |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for s in snort.fp snort et; do
	case $s in
	snort.fp) what="Snort 3 community's $FP_RULES first prefilter literals" rules=$O/snort.fp.rules ;;
	snort) what="Snort 3 community, every rule in-line" rules=$O/snort.loaded.rules ;;
	et) what="ET Open 2024, every rule in-line" rules=$O/et.loaded.rules ;;
	esac
	if [ ! -f $O/$s.blob ] || ! build/ids-hsbench $O/$s.blob $O/payloads 1024 4 >$O/$s.host.json ||
		! build/ids-hsbench $O/$s.blob probe >$O/$s.probe.json; then
		echo "| $what | not built | - | - | - | - | - | - | - | - | - |"
		continue
	fi
	cpb=$(sed -n 's/.*"cycles_per_byte":\([0-9.]*\).*/\1/p' $O/$s.host.json)
	hz=$(sed -n 's/.*"tsc_hz":\([0-9]*\).*/\1/p' $O/$s.host.json)
	ppb=$(sed -n 's/.*"cycles_per_byte":\([0-9.]*\).*/\1/p' $O/$s.probe.json)
	pm=$(sed -n 's/.*"matches":\([0-9]*\).*/\1/p' $O/$s.probe.json)
	gbs=$(echo "scale=3; $hz / $cpb / 1000000000" | bc)
	lc=$(in_layer "$rules" $s)
	set -- $lc
	if [ $# = 4 ]; then
		r0=$(echo "$ppb $3" | awk '$2 + 0 > 0 { printf "%.2f", $1 / $2 }')
		r1=$(echo "$cpb $1" | awk '$2 + 0 > 0 { printf "%.2f", $1 / $2 }')
		r2=$(echo "$cpb $2" | awk '$2 + 0 > 0 { printf "%.2f", $1 / $2 }')
		echo "| $what | $ppb | $3 | ${r0:--} | $pm, $4 | $cpb | $gbs | $1 | ${r1:--} | $2 | ${r2:--} |"
	else
		echo "| $what | $ppb | $lc | - | $pm | $cpb | $gbs | - | - | - | - |"
	fi
done
