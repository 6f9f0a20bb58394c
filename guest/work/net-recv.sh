# Receive what the host sends on PORT_H2G; print its sha256 and size.
. /work/_lib.sh
[ -e /tmp/net-up ] || { net_up && : >/tmp/net-up; } || exit 1
recv_from_host >/tmp/recv || { echo "rampart-work: receive failed"; exit 1; }
result "net_recv_sha256=$(sha </tmp/recv) bytes=$(wc -c </tmp/recv)"
