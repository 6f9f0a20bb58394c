#!/bin/sh
# The root's jail (src/root/jail.c, docs/jail.md), checked from outside on a
# running layered stack, directly on /dev/kvm: /proc/PID shows seccomp
# filtering, no_new_privs, no capability, the jail's user, namespaces of its
# own (pid included: the root is pid 1 of its own, under a supervisor that
# forwards signals) and an empty root directory, in every thread; limits
# asked for without cgroup v2 refused (limits.sh checks them); --no-jail shows none of
# it and says so in an event; a forbidden call after set-up (the hidden
# --jail-selftest, tests only) ends the root with a line naming the call and
# the thread. Needs root (the jail does; netns and tap for the watcher).
cd "$(dirname "$0")/../.." || exit 2
# The test build, for its spin and io stacks: its jail, seccomp lists and
# supervisor are build/rampart's own objects (Makefile; images.sh compares
# them), and only config.c, ln_dev.c and main.c are built apart.
R=${RAMPART_TEST:-build/test/rampart}
T=$(mktemp -d) || exit 2
NS=rpjail$$
TAP=rpjail0
. tests/count.sh
cleanup() { [ -n "${pid:-}" ] && kill -KILL "$pid" 2>/dev/null; ip netns del "$NS" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

# A stack that runs long enough to look at: layer 1 computing, killed once checked.
LONG="--layers spin --layer-args 2,100000000000"
# start NAME ARGS...: rampart (after $PRE, when set) in the background, its events in $T/NAME; $pid
# once its "jail" event is out (set-up over), or empty after 20 s
start() {
	n=$1
	shift
	$PRE "$R" run "$@" --log "$T/$n" 2>"$T/$n.err" &
	pid=$! bg=$!
	i=0
	while ! grep -qs '"event":"jail"' "$T/$n" && [ $i -lt $((200 * TIME_SCALE)) ]; do
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	grep -qs '"event":"jail"' "$T/$n" || { kill -KILL $pid 2>/dev/null; wait $pid; pid=""; }
	# Under $PRE (a shell function of count.sh), rampart is a child of the background job.
	while [ -n "$pid" ] && [ "$(cat /proc/$pid/comm 2>/dev/null)" != rampart ]; do
		pid=$(cat /proc/$pid/task/*/children 2>/dev/null | awk '{ print $1 }')
	done
	# Jailed, that rampart is the supervisor; the root is its one child, in the pid namespace.
	super=$pid
	kid=$(cat /proc/$pid/task/*/children 2>/dev/null | awk '{ print $1 }')
	[ -n "$kid" ] && [ "$(cat /proc/$kid/comm 2>/dev/null)" = rampart ] && pid=$kid
}
# stop: SIGTERM, the stack's own way to end (exit 5); $rc
stop() { kill -TERM "$pid"; wait "$bg"; rc=$?; pid=""; }
# st PID KEY: a field of /proc/PID/status
st() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" | head -n1; }
nsdiff() { [ "$(readlink "/proc/$1/ns/$2")" != "$(readlink "/proc/$$/ns/$2")" ]; }

# ---- jailed (the default) ------------------------------------------------------
start on $LONG
if [ -z "$pid" ]; then
	notok "jail on" "no jail event ($(tail -n1 "$T/on.err"))"
else
	why=""
	for t in /proc/$pid/task/*; do
		tid=${t##*/}
		[ "$(st "$pid/task/$tid" Seccomp)" = 2 ] || why="$why thread $tid Seccomp $(st "$pid/task/$tid" Seccomp);"
	done
	[ "$(st $pid NoNewPrivs)" = 1 ] || why="$why NoNewPrivs $(st $pid NoNewPrivs);"
	for c in CapInh CapPrm CapEff CapBnd CapAmb; do
		[ "$(st $pid $c)" = 0000000000000000 ] || why="$why $c $(st $pid $c);"
	done
	set -- $(st $pid Uid)
	[ "$1 $2 $3 $4" = "1879069264 1879069264 1879069264 1879069264" ] || why="$why Uid $*;"
	set -- $(st $pid Gid)
	[ "$1 $2 $3 $4" = "1879069264 1879069264 1879069264 1879069264" ] || why="$why Gid $*;"
	[ -z "$(st $pid Groups)" ] || why="$why Groups $(st $pid Groups);"
	[ -z "$why" ] && ok "seccomp, no_new_privs, no capabilities, the jail's user" || notok "jail status" "$why"

	why=""
	for ns in mnt net ipc uts cgroup pid; do nsdiff $pid $ns || why="$why $ns shared;"; done
	[ "$super" != "$pid" ] || why="$why no supervisor;"
	[ "$(st $super Seccomp)" = 2 ] && [ "$(st $super NoNewPrivs)" = 1 ] ||
		why="$why supervisor Seccomp $(st $super Seccomp) NoNewPrivs $(st $super NoNewPrivs);"
	# The root's own pid namespace: pid 1 there (NSpid: its pid here, then there).
	set -- $(st $pid NSpid)
	[ "$#" = 2 ] && [ "$2" = 1 ] || why="$why NSpid $*;"
	[ -z "$why" ] && ok "own mount, net, ipc, uts, cgroup, pid namespaces (pid 1 in its own); the supervisor under seccomp" ||
		notok "namespaces" "$why"

	# The root directory: nothing in it, and read-only.
	left=$(ls -A "/proc/$pid/root/" 2>&1)
	opts=$(awk '$5 == "/" { print $6 }' "/proc/$pid/mountinfo")
	[ -z "$left" ] && [ "$(echo "$opts" | grep -c '^ro,')" = 1 ] && [ "$(echo "$opts" | wc -l)" = 1 ] &&
		ok "root directory empty, read-only" || notok "root directory" "holds '$left', mounts '$opts'"
	pidns=$(readlink /proc/$pid/ns/pid | tr -dc 0-9)
	grep -q '"event":"jail","state":"on","path":"layered","uid":1879069264,"gid":1879069264,"pid":1,"pid_ns":'"$pidns}" "$T/on" &&
		ok "jail event" || notok "jail event" "$(grep '"jail"' "$T/on")"
	stop
	[ $rc = 5 ] && ok "jailed stack stops on SIGTERM (exit 5)" || notok "SIGTERM" "rc $rc: $(tail -n1 "$T/on.err")"
fi

start user $LONG --jail-user 4242:4343
if [ -n "$pid" ]; then
	set -- $(st $pid Uid)
	u="$1 $3"
	set -- $(st $pid Gid)
	[ "$u $1 $3" = "4242 4242 4343 4343" ] && ok "--jail-user 4242:4343" || notok "--jail-user" "uid $u gid $*"
	# The operator's SIGINT goes to the supervisor, which hands it on; it exits as the root did.
	kill -INT "$super"
	wait "$bg"
	rc=$?
	pid=""
	[ $rc = 5 ] && grep -q 'stopped by signal 2' "$T/user.err" &&
		ok "SIGINT to the supervisor stops the root (exit 5)" || notok "SIGINT forwarded" "rc $rc: $(tail -n1 "$T/user.err")"
else
	notok "--jail-user" "no jail event ($(tail -n1 "$T/user.err"))"
fi

# ---- --no-jail ----------------------------------------------------------------
start off $LONG --no-jail
if [ -z "$pid" ]; then
	notok "--no-jail" "no jail event ($(tail -n1 "$T/off.err"))"
else
	why=""
	[ "$(st $pid Seccomp)" = 0 ] || why="$why Seccomp $(st $pid Seccomp);"
	[ "$(st $pid NoNewPrivs)" = 0 ] || why="$why NoNewPrivs $(st $pid NoNewPrivs);"
	[ "$(st $pid CapEff)" != 0000000000000000 ] || why="$why no capabilities;"
	! nsdiff $pid mnt || why="$why own mount namespace;"
	! nsdiff $pid pid || why="$why own pid namespace;"
	[ "$super" = "$pid" ] || why="$why a supervisor;"
	[ -n "$(ls -A /proc/$pid/root/)" ] || why="$why empty root;"
	[ -z "$why" ] && ok "--no-jail: none of the jail" || notok "--no-jail" "$why"
	grep -q '"event":"jail","state":"off"' "$T/off" && ok "--no-jail: the jail event says off" ||
		notok "--no-jail event" "$(grep '"jail"' "$T/off")"
	stop
fi

# ---- cgroup v2 limits -------------------------------------------------------------
# Where this host has no cgroup v2 with the cpu and memory controllers, a run
# asking for limits says so and does not start; the limits themselves are
# checked by tests/layers/limits.sh, which tests/run.sh runs where cgroup v2
# has them (here, or inside the test host).
if ! sh tests/layers/limits.sh --available; then
	"$R" run $LONG --cpus-limit 1.5 --memory-limit 512M 2>"$T/nocg"
	rc=$?
	[ $rc = 1 ] && grep -q 'rampart: limits: .*\(no cgroup v2\|offers no cpu controller\|offers no memory controller\)' "$T/nocg" &&
		ok "limits without cgroup v2 cpu/memory: refused, exit 1" ||
		notok "limits refused" "rc $rc: $(tail -n1 "$T/nocg")"
fi

# ---- a forbidden call after set-up ends the root, named -------------------------
timeout $((20 * TIME_SCALE)) "$R" run $LONG --jail-selftest main 2>"$T/self"
rc=$?
line="rampart: jail: forbidden system call socket (nr 41) in the chain thread"
[ $rc = 1 ] && grep -qxF "$line" "$T/self" && ok "forbidden call in the chain thread: named, exit 1" ||
	notok "self-test main" "rc $rc: $(grep -v '"event"' "$T/self" | tail -n1)"

# The supervisor's list: a socket there ends it, named, and the root with it.
timeout $((20 * TIME_SCALE)) "$R" run $LONG --jail-selftest supervisor 2>"$T/selfsup"
rc=$?
line="rampart: jail: forbidden system call socket (nr 41) in the supervisor thread"
[ $rc = 1 ] && grep -qxF "$line" "$T/selfsup" && ok "forbidden call in the supervisor: named, exit 1" ||
	notok "self-test supervisor" "rc $rc: $(grep -v '"event"' "$T/selfsup" | tail -n1)"

# A call of another ABI (i386's int 0x80) kills the root outright (SIGSYS);
# the supervisor says so and exits as a shell reports that death (128 + 31).
timeout $((20 * TIME_SCALE)) "$R" run $LONG --jail-selftest badarch 2>"$T/selfarch"
rc=$?
line="rampart: jail: the root was killed by SIGSYS (a system call of another ABI)"
[ $rc = 159 ] && grep -qxF "$line" "$T/selfarch" && ok "a call of another ABI: the root killed by SIGSYS, the supervisor says so (exit 159)" ||
	notok "self-test badarch" "rc $rc: $(grep -v '"event"' "$T/selfarch" | tail -n1)"

# The io top with nobody on the tap's other side: it waits for frames that never come.
head -c $((1 << 20)) /dev/zero >"$T/disk.img"
NET="--layers io --layer-args 8,1,1 --disk $T/disk.img --net tap:$TAP"
# The watcher's own list is narrower than the chain's: an eventfd is forbidden there.
if ip netns add "$NS" && ip netns exec "$NS" ip tuntap add dev $TAP mode tap &&
	ip netns exec "$NS" ip link set $TAP up; then
	ip netns exec "$NS" timeout $((20 * TIME_SCALE)) "$R" run $NET --jail-selftest watch 2>"$T/watch"
	rc=$?
	line="rampart: jail: forbidden system call eventfd2 (nr 290) in the tap watcher thread"
	[ $rc = 1 ] && grep -qxF "$line" "$T/watch" && ok "forbidden call in the tap watcher thread: named" ||
		notok "self-test watch" "rc $rc: $(grep -v '"event"' "$T/watch" | tail -n1)"

	# Every thread filtered; the watcher under one more list (its role's) than the chain.
	PRE="ip netns exec $NS" start net $NET
	if [ -n "$pid" ]; then
		# (KVM's own worker, kvm-nx-lpage-recovery, is a task of the process too: not ours.)
		f=$(for t in /proc/$pid/task/*; do
			[ "$(cat $t/comm)" = rampart ] && st "$pid/task/${t##*/}" Seccomp_filters
		done | sort | tr '\n' ' ')
		[ "$f" = "1 2 " ] && ok "per-thread lists: chain 1 filter, watcher 2" || notok "per-thread lists" "filters: $f"
		stop
	else
		notok "per-thread lists" "no jail event ($(tail -n1 "$T/net.err"))"
	fi
else
	notok "network namespace and tap" "could not create them (root needed)"
fi

# ---- depth 1: a Linux guest (on PVM it does not get far, but the root's threads all run) ----
K=build/images/vmlinuz
I=build/images/guest-initrd.cpio.gz
if [ ! -f "$K" ] || [ ! -f "$I" ]; then
	skip "depth 1" "no $K or $I (scripts/images.sh)"
else
	D1="--kernel $K --initrd $I --cpus 2"
	start d1 $D1
	if [ -n "$pid" ]; then
		f=$(for t in /proc/$pid/task/*; do
			[ "$(cat $t/comm)" = rampart ] && st "$pid/task/${t##*/}" Seccomp_filters
		done | sort | tr '\n' ' ')
		[ "$f" = "1 2 2 " ] && [ -z "$(ls -A /proc/$pid/root/)" ] && nsdiff $pid net &&
			ok "depth 1: jailed, main 1 list, vCPU and I/O threads 2" || notok "depth 1" "filters: $f"
		stop
	else
		notok "depth 1" "no jail event ($(tail -n1 "$T/d1.err"))"
	fi
	for role in vcpu:vCPU io:I/O; do
		timeout $((20 * TIME_SCALE)) "$R" run $D1 --jail-selftest ${role%%:*} </dev/null 2>"$T/self1"
		rc=$?
		line="rampart: jail: forbidden system call eventfd2 (nr 290) in the ${role#*:} thread"
		[ $rc = 1 ] && grep -qxF "$line" "$T/self1" && ok "depth 1: forbidden call in the ${role#*:} thread" ||
			notok "depth 1 self-test ${role%%:*}" "rc $rc: $(grep -v '"event"' "$T/self1" | tail -n1)"
	done
fi

summary jail
