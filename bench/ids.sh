#!/bin/sh
# The ids engine's benchmarks (make bench-ids; docs/benchmarks-ids.md):
#  (a) scan speed: the offline mode against `suricata -r --runmode single`
#      (one worker each), all of ET Open 2024, over a generated pcap of
#      HTTP/1.1 sessions (bench/ids-pcap.py); each engine also runs over a
#      16-frame pcap, so that the time to load the rules is taken out;
#  (b) plain hs_scan on the host (build/ids-hsbench) over the database of
#      an in-line blob made of Snort 3 community's prefilter literals
#      (bench/ids-fp.py), 1 KiB payloads, TSC cycles per byte: the
#      reference for the scan in the ids layer (its scan_cycles and
#      scanned_bytes counters, docs/ids.md);
#  (c) rule load per set: rules loaded / enabled (rampart ids check), the
#      offline engine's load and compile time, in-line blob compile time
#      and size.
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

# ---- (a) scan speed against Suricata
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

# ---- (b) hs_scan on the host over the in-line database
head -c $((4 << 20)) /dev/urandom >$O/payloads
build/ids-hsbench $O/snort.fp.blob $O/payloads 1024 4 >$O/host.json
cpb=$(sed -n 's/.*"cycles_per_byte":\([0-9.]*\).*/\1/p' $O/host.json)
hz=$(sed -n 's/.*"tsc_hz":\([0-9]*\).*/\1/p' $O/host.json)
echo "## (b) hs_scan on the host: Snort 3 community's $FP_RULES first prefilter literals, 1 KiB payloads"
echo
echo "| where | cycles/byte | GB/s |"
echo "|---|---:|---:|"
echo "| host, hs_scan (Debian libhs, its dispatcher's pick) | $cpb | $(echo "scale=3; $hz / $cpb / 1000000000" | bc) |"
