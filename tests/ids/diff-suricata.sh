#!/bin/sh
# The offline ids engine against Suricata with a real rule set: every pcap of
# the suricata-verify tests (../shared/data/ids/verify/manifest.tsv) runs
# through `rampart-policy ids` and through Suricata 7 (the oracle, run here,
# never a stored result), both with every enabled rule of ET Open 2024,
# checksums off (-k none / --no-checksum-check) and midstream where the
# test asks for it, Suricata with tests/ids/suricata.yaml (the defaults that
# change alerts, one worker). For every rule both load, the alert count per
# sid and pcap must agree.
#
# A difference listed in tests/ids/diff-known ("PCAP-NAME SID", the known
# departures of docs/ids.md) is shown on the pcap's ok line (its other sids
# must agree); any other is not ok, and so is a listed one that no longer
# differs (the list must stay true).
# The closing lines count pcaps compared, alerts equal, alerts only we
# raise, alerts only Suricata raises.
#
#   tests/ids/diff-suricata.sh        (make ids-diff: a few minutes, most of
#                                      it Suricata loading ET Open)
# Needs suricata (bookworm-backports) and python3; no KVM.
set -u
cd "$(dirname "$0")/../.."
. tests/count.sh
SUITE=ids-diff
P=build/rampart-policy
D=${RAMPART_IDS_VERIFY:-../shared/data/ids/verify}
R=${RAMPART_IDS_ET:-../shared/data/ids/rules/et-open-2024-suricata5}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

if [ ! -f "$D/manifest.tsv" ] || [ ! -d "$R" ]; then
	skip "$SUITE" "no suricata-verify data at $D or no ET Open at $R"
	summary "$SUITE"
	exit $?
fi
if ! command -v suricata >/dev/null || ! command -v python3 >/dev/null; then
	skip "$SUITE" "suricata or python3 not installed (docs/ids.md says how)"
	summary "$SUITE"
	exit $?
fi

# One file of every enabled rule, the same bytes for both engines.
cat "$R"/*.rules >"$T/et.rules"
if ! $P ids-check --quiet --sids "$T/ours.sids" "$T/et.rules" 2>"$T/check.err"; then
	notok "$SUITE: rules" "ids-check failed: $(head -c 300 "$T/check.err")"
	summary "$SUITE"
	exit $?
fi
echo "# ours: $(tail -n 1 "$T/check.err")"

# The pcaps, split by midstream: Suricata's stream.midstream holds for a
# whole run, so two runs (in parallel), each loading the rules once.
: >"$T/list.0"
: >"$T/list.1"
grep -v '^#' "$D/manifest.tsv" | while IFS='	' read -r name pcap rules expect flags; do
	m=0
	case ",$flags," in *,midstream,*) m=1 ;; esac
	out="$T/out/$(echo "$name" | tr / _)"
	printf '%s\t%s\n' "$D/$pcap" "$out/suricata" >>"$T/list.$m"
	printf '%s\t%s\t%s\t%s\n' "$name" "$D/$pcap" "$out" "$m" >>"$T/pcaps"
done
Y=tests/ids/suricata.yaml
python3 tests/ids/suricata-run.py $Y "$T/et.rules" "$T/list.0" "$T/s0" -k none \
	>"$T/s0.out" 2>&1 &
s0=$!
python3 tests/ids/suricata-run.py $Y "$T/et.rules" "$T/list.1" "$T/s1" -k none \
	--set stream.midstream=true >"$T/s1.out" 2>&1 &
s1=$!

# Ours meanwhile, one run a pcap.
while IFS='	' read -r name pcap out m; do
	mkdir -p "$out"
	opts=--no-checksum-check
	[ "$m" = 1 ] && opts="$opts --midstream"
	# shellcheck disable=SC2086
	if ! $P ids --quiet --rules "$T/et.rules" --pcap "$pcap" --eve "$out/ours.json" $opts \
		2>"$out/ours.err"; then
		echo "offline mode failed: $(head -c 300 "$out/ours.err")" >"$out/ours.failed"
	fi
done <"$T/pcaps"

sok=1
wait $s0 || sok=0
wait $s1 || sok=0
cat "$T/s0.out" "$T/s1.out" | sed 's/^/# /'
if [ $sok = 0 ]; then
	notok "$SUITE: suricata" "the oracle did not run: $(tail -c 300 "$T/s0.out" "$T/s1.out")"
	summary "$SUITE"
	exit $?
fi
cat "$T/s0/failed.sids" "$T/s1/failed.sids" | sort -u >"$T/theirs.failed"

python3 - "$T/pcaps" "$T/ours.sids" "$T/theirs.failed" tests/ids/diff-known >"$T/result" <<'PY'
import collections, json, os, sys
pcaps, ours_sids, their_failed, known_file = sys.argv[1:5]
both = set(l.strip() for l in open(ours_sids)) - set(l.strip() for l in open(their_failed))
known = set()
for l in open(known_file):
    l = l.split('#')[0].split()
    if len(l) == 2:
        known.add((l[0], l[1]))
def count(path):
    c = collections.Counter()
    if os.path.exists(path):
        for l in open(path):
            e = json.loads(l)
            if e.get('event_type') == 'alert':
                c[str(e['alert']['signature_id'])] += 1
    return c
n = eq = only_ours = only_theirs = unshared = 0
seen_known = set()
for l in open(pcaps):
    name, pcap, out, m = l.rstrip('\n').split('\t')
    if os.path.exists(os.path.join(out, 'ours.failed')):
        print('notok\t%s\t%s' % (name, open(os.path.join(out, 'ours.failed')).read().strip()))
        continue
    if not os.path.exists(os.path.join(out, 'suricata', 'eve.json')):
        print('notok\t%s\tsuricata wrote no eve.json' % name)
        continue
    n += 1
    o = count(os.path.join(out, 'ours.json'))
    s = count(os.path.join(out, 'suricata', 'eve.json'))
    bad, departs = [], []
    for sid in sorted(set(o) | set(s), key=int):
        if sid not in both:
            unshared += o.get(sid, 0) + s.get(sid, 0)
            continue
        a, b = o.get(sid, 0), s.get(sid, 0)
        eq += min(a, b)
        only_ours += max(0, a - b)
        only_theirs += max(0, b - a)
        if a != b:
            what = 'sid %s: ours %d, suricata %d' % (sid, a, b)
            if (name, sid) in known:
                seen_known.add((name, sid))
                departs.append(what)
            else:
                bad.append(what)
    total = sum(v for k, v in s.items() if k in both)
    if bad:
        print('notok\t%s\t%s' % (name, '; '.join(bad)))
    elif departs:
        print('ok\t%s\t(%d alerts from Suricata; known departures, docs/ids.md: %s)'
              % (name, total, '; '.join(departs)))
    else:
        print('ok\t%s\t(%d alerts from Suricata, same from ours)' % (name, total))
for name, sid in sorted(known - seen_known):
    print('notok\t%s\tsid %s is listed in tests/ids/diff-known but agrees now' % (name, sid))
print('info\t%d pcaps compared, %d rules both load; alerts: %d equal, %d only ours, %d only Suricata'
      % (n, len(both), eq, only_ours, only_theirs))
print('info\t%d alerts (either engine) from rules only one of them loads, not compared' % unshared)
PY
while IFS='	' read -r kind name why; do
	case $kind in
	ok) ok "$name" "$why" ;;
	notok) notok "$name" "$why" ;;
	info) echo "# $name" ;;
	esac
done <"$T/result"
summary "$SUITE"
