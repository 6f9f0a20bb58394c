# What the suites with the io test guest on a tap share (sourced by io.sh,
# fw.sh, ids.sh, wrap.sh after tests/count.sh): a network namespace of their
# own holding a tap, removed at exit with the scratch folder, one exchange of
# frames between build/tapio and a stack, and the helpers that cut the
# frames' bytes out of files.
#   tap_setup SUITE PREFIX: sets NS (PREFIX + pid), TAP (PREFIX0) and T (a
#   scratch folder); on failure the suite ends with one "not ok" line.
tap_setup() {
	NS=$2$$
	TAP=${2}0
	T=$(mktemp -d) || exit 2
	trap 'ip netns del "$NS" 2>/dev/null; rm -rf "$T"' EXIT
	if ! ip netns add "$NS" || ! ip netns exec "$NS" ip tuntap add dev "$TAP" mode tap ||
		! ip netns exec "$NS" ip link set "$TAP" up; then
		notok "network namespace and tap" "could not create them (root needed)"
		summary "$1"
		exit 1
	fi
	ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
}

# region FILE SKIP_BYTES LEN: bytes of FILE
region() { tail -c +$(($2 + 1)) "$1" | head -c "$3"; }

# allowed FILE N: the 1 KiB chunks i < N of FILE with i % 4 < 2, in order
# (zeros for the others when "zeros" follows)
allowed() {
	i=0
	while [ $i -lt "$2" ]; do
		if [ $((i % 4)) -lt 2 ]; then
			region "$1" $((i * 1024)) 1024
		elif [ "${3:-}" = zeros ]; then
			head -c 1024 /dev/zero
		fi
		i=$((i + 1))
	done
}

# exchange NAME "TAPIO_ARGS" RUN_ARGS...: build/tapio on the tap ($SEND
# frames to $T/out.bin, $T/in.bin to the guest; TAPIO_ARGS after its 30 s
# timeout) against `rampart run RUN_ARGS --net tap:$TAP` (events in $T/NAME);
# rc: rampart's exit status, trc: tapio's.
exchange() {
	n=$1 targs=$2
	shift 2
	ip netns exec "$NS" build/tapio "$TAP" "$SEND" "$T/out.bin" "$T/in.bin" 30 $targs >"$T/tapio" 2>&1 &
	tp=$!
	i=0
	while ! grep -qs ready "$T/tapio" && [ $i -lt $((50 * TIME_SCALE)) ]; do sleep 0.1; i=$((i + 1)); done
	ip netns exec "$NS" timeout $((40 * TIME_SCALE)) "$R" run "$@" --net "tap:$TAP" 2>"$T/$n"
	rc=$?
	wait $tp
	trc=$?
}
