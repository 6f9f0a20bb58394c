#!/bin/sh
# The ids engine against Suricata's own tests: for each suricata-verify test
# under ../shared/data/ids/verify (manifest.tsv), the offline mode
# (build/rampart-policy ids) runs the test's rules over its pcap with its
# options, and the alert count of every sid the manifest lists must be the
# one it expects (the counts Suricata 7 gives: run_suricata_oracle.py).
#
#   tests/ids/verify.sh          the tests listed in tests/ids/passing
#   tests/ids/verify.sh --all    all of them (make ids-verify-all, RAMPART_IDS_ALL=1)
# Needs python3 (to count alerts in the EVE output); no KVM.
set -u
cd "$(dirname "$0")/../.."
. tests/count.sh
P=build/rampart-policy
D=${RAMPART_IDS_VERIFY:-../shared/data/ids/verify}
SUITE=ids-verify
ALL=0
{ [ "${1:-}" = --all ] || [ "${RAMPART_IDS_ALL:-0}" = 1 ]; } && ALL=1 && SUITE=ids-verify-all
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

if [ ! -f "$D/manifest.tsv" ]; then
	skip "$SUITE" "no suricata-verify data at $D"
	summary "$SUITE"
	exit $?
fi
grep -v '^#' "$D/manifest.tsv" | while IFS='	' read -r name pcap rules expect flags; do
	if [ $ALL = 0 ] && ! grep -v "^#" tests/ids/passing | grep -qx "$name"; then
		continue
	fi
	echo "$name	$pcap	$rules	$expect	$flags"
done >"$T/list"

while IFS='	' read -r name pcap rules expect flags; do
	opts=""
	case ",$flags," in *,k-none,*) opts="$opts --no-checksum-check" ;; esac
	case ",$flags," in *,midstream,*) opts="$opts --midstream" ;; esac
	# shellcheck disable=SC2086
	if ! $P ids --quiet --rules "$D/$rules" --pcap "$D/$pcap" --eve "$T/eve.json" $opts \
		2>"$T/err"; then
		notok "$name" "offline mode failed: $(head -c 300 "$T/err")"
		continue
	fi
	got=$(python3 -c '
import json, sys, collections
c = collections.Counter()
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get("event_type") == "alert":
        c[str(e["alert"]["signature_id"])] += 1
bad = []
for kv in sys.argv[2].split(","):
    s, n = kv.split("=")
    if c.get(s, 0) != int(n):
        bad.append("sid %s: %d alerts, expected %s" % (s, c.get(s, 0), n))
print("; ".join(bad))' "$T/eve.json" "$expect")
	if [ -z "$got" ]; then
		ok "$name" "($expect)"
	else
		notok "$name" "$got"
	fi
done <"$T/list"
summary "$SUITE"
