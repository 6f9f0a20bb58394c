# Shared helpers for the guest workloads (sourced, busybox ash).
HOST_IP=172.30.0.1
GUEST_IP=172.30.0.2
PORT_G2H=5001   # guest -> host: the host listens and reads
PORT_H2G=5002   # host -> guest: the host listens and writes

result() { echo "RAMPART-RESULT $*"; }

# now_cs: uptime in centiseconds
now_cs() { read -r _u _ </proc/uptime; echo "${_u%.*}${_u#*.}" | sed 's/^0*//;s/^$/0/'; }

# rate BYTES CS: MB/s (10^6 bytes per second), one decimal
rate() { awk -v b="$1" -v c="$2" 'BEGIN { if (c < 1) c = 1; printf "%.1f", b / 1e6 / (c / 100) }'; }

# wait_for PATH SECONDS
wait_for() {
	_n=$(($2 * 10))
	while [ ! -e "$1" ] && [ "$_n" -gt 0 ]; do usleep 100000; _n=$((_n - 1)); done
	[ -e "$1" ] || { echo "rampart-work: $1 did not appear"; return 1; }
}

# pattern SEED MIB: deterministic bytes (the host side regenerates them the same way)
pattern() { yes "rampart-pattern-$1" | head -c $(($2 * 1048576)); }

sha() { sha256sum | cut -d' ' -f1; }

net_up() {
	wait_for /sys/class/net/eth0 10 || return 1
	ip link set lo up
	ip addr add $GUEST_IP/30 dev eth0
	ip link set eth0 up
}

# send_to_host: stdin goes to the host's listener on PORT_G2H (retries the connect)
send_to_host() {
	_i=0
	while ! nc -w 10 $HOST_IP $PORT_G2H; do
		_i=$((_i + 1)); [ $_i -ge 20 ] && return 1; usleep 250000
	done
}

# recv_from_host: the host's writer on PORT_H2G to stdout. stdin is a FIFO held
# open read-write, so nc never sees EOF on it and leaves when the host closes.
recv_from_host() {
	[ -p /tmp/nc-hold ] || mkfifo /tmp/nc-hold
	_i=0
	while ! nc -w 10 $HOST_IP $PORT_H2G 0<>/tmp/nc-hold; do
		_i=$((_i + 1)); [ $_i -ge 20 ] && return 1; usleep 250000
	done
}
