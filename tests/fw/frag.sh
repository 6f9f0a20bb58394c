#!/bin/sh
# Fragments through the firewall engine (offline mode, build/rampart-policy
# firewall): the frames of tests/fw/frag.py under a deny-list and an
# allow-list. A first fragment must be judged on its ports or dropped: one
# that matches no port rule because its L4 header is cut short would pass a
# `policy accept` chain and open its later fragments (a datagram to a denied
# port crosses in pieces). A datagram fragmented the ordinary way must still
# reach an allowed port. No KVM, no root.
set -u
cd "$(dirname "$0")/../.."
. tests/count.sh
P=build/rampart-policy
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

cat >"$T/deny.nft" <<'NFT'
table inet rampart {
	chain forward {
		type filter hook forward priority 0; policy accept;
		udp dport 53 drop
		tcp dport 22 drop
	}
}
NFT
cat >"$T/allow.nft" <<'NFT'
table inet rampart {
	chain forward {
		type filter hook forward priority 0; policy drop;
		udp dport 53 accept
		icmp type echo-request accept
		icmpv6 type echo-request accept
	}
}
NFT

# check NAME POLICY EXPECT: EXPECT holds "LABEL-PREFIX=VERDICT" words; each
# frame takes the verdict of the first prefix its label starts with.
check() {
	"$P" firewall --rules "$2" --pcap "$T/frag.pcap" --guest 10.0.2.0/24 --guest fd00::/64 \
		--guest-mac 02:00:00:00:02:0f --stats >"$T/v" 2>"$T/stats" || {
		notok "$1" "the offline mode failed: $(head -c 300 "$T/stats")"
		return
	}
	bad=$(paste -d' ' "$T/labels" "$T/v" | awk -v rules="$3" '
		BEGIN { n = split(rules, e, " ") }
		{ want = ""
		  for (i = 1; i <= n && want == ""; i++) {
			split(e[i], kv, "=")
			if (index($1, kv[1]) == 1) want = kv[2]
		  }
		  if (want == "" || $3 != want) printf "%s: %s (want %s); ", $1, $3, want }
		END { if (NR == 0) print "no frames" }') || bad="awk failed"
	if [ -z "$bad" ]; then
		ok "$1" "$(wc -l <"$T/v") frames, $(grep -c ' accept$' "$T/v") accepted; $(cat "$T/stats")"
	else
		notok "$1" "$bad"
	fi
}

if ! command -v python3 >/dev/null; then
	skip fw-frag "python3 missing"
elif [ ! -x "$P" ]; then
	notok fw-frag "$P not built (make all)"
elif ! python3 tests/fw/frag.py "$T/frag.pcap" >"$T/labels"; then
	notok fw-frag "tests/fw/frag.py failed"
else
	# Denied ports stay denied in pieces; other fragmented datagrams pass.
	check fw-frag-deny-list "$T/deny.nft" "udp53-=drop tcp22=drop icmp-tiny=drop icmp-frag=accept udp5353-frag=accept"
	# An allowed port is reached in pieces; the rest is not.
	check fw-frag-allow-list "$T/allow.nft" "udp53-=accept tcp22=drop icmp-tiny=drop icmp-frag=accept udp5353-frag=drop"
	# Cut-short first fragments are counted as such.
	"$P" firewall --rules "$T/deny.nft" --pcap "$T/frag.pcap" --guest 10.0.2.0/24 \
		--guest fd00::/64 --stats >/dev/null 2>"$T/stats"
	if grep -q '"frag_dropped":[1-9]' "$T/stats"; then
		ok fw-frag-counted "$(cat "$T/stats")"
	else
		notok fw-frag-counted "no frag_dropped: $(cat "$T/stats")"
	fi
fi
summary fw-frag
