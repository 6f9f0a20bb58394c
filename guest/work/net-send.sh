# Send $1 MiB (default 4) of pattern(net-g2h) to the host; print sha256 of what was sent.
. /work/_lib.sh
mib=${1:-4}
[ -e /tmp/net-up ] || { net_up && : >/tmp/net-up; } || exit 1
pattern net-g2h "$mib" >/tmp/send
s=$(sha </tmp/send)
send_to_host </tmp/send || { echo "rampart-work: send failed"; exit 1; }
result "net_send_sha256=$s bytes=$((mib * 1048576))"
