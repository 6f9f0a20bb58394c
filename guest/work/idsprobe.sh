# Traffic for an ids layer's rules (tests/system/t_ids.sh): receive what the
# host sends on PORT_H2G (it carries the alert marker), then send a pattern
# of $1 KiB with the drop marker in its middle (twice, 724 bytes apart: one
# of the two lies whole in a segment of 1448 bytes or more) to PORT_G2H,
# for at most 20 s (the segment that carries a marker never crosses, so TCP
# retransmits it until then). One RESULT line each.
. /work/_lib.sh
kib=${1:-256}
[ -e /tmp/net-up ] || { net_up && : >/tmp/net-up; } || exit 1
recv_from_host >/tmp/recv || { echo "rampart-work: receive failed"; exit 1; }
result "ids_recv_sha256=$(sha </tmp/recv) bytes=$(wc -c </tmp/recv)"
half=$((kib * 512))
marked() { # marked SEED HALF MARKER: HALF bytes, MARKER, 708 bytes, MARKER, HALF bytes
	pattern "$1" 1 | head -c "$2"
	printf %s "$3"
	pattern "$1" 1 | head -c 708
	printf %s "$3"
	pattern "$1" 1 | head -c "$2"
}
marked ids-g2h $half RAMPART-IDS-DROP >/tmp/send
timeout 20 nc -w 5 $HOST_IP $PORT_G2H </tmp/send
result "ids_send_rc=$?"
