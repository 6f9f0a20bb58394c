#!/bin/sh
# The stack's CPU and memory limits (src/root/cgroup.c, docs/jail.md): a
# jailed root asked for "limits" runs in a cgroup v2 of its own with cpu.max
# and memory.max set, checked from outside, and the cgroup is gone after the
# run. Needs cgroup v2 with the cpu and memory controllers; tests/run.sh runs
# this suite directly where the host has them, else inside the test host
# (whose init mounts cgroup v2 alone). `limits.sh --available`: exit 0 when
# this host can run it. Needs root and /dev/kvm.
cd "$(dirname "$0")/../.." || exit 2

# The host's cgroup v2 (alone at /sys/fs/cgroup, or beside v1 at .../unified)
# and our own cgroup in it, where the controllers must be available.
cgmnt=""
for m in /sys/fs/cgroup /sys/fs/cgroup/unified; do
	[ -f "$m/cgroup.controllers" ] && { cgmnt=$m; break; }
done
cgown=$(sed -n 's/^0:://p' /proc/self/cgroup)
[ "$cgown" = / ] && cgown=""
available() {
	[ -n "$cgmnt" ] && grep -qw cpu "$cgmnt$cgown/cgroup.controllers" 2>/dev/null &&
		grep -qw memory "$cgmnt$cgown/cgroup.controllers" 2>/dev/null
}
if [ "${1:-}" = --available ]; then available; exit $?; fi

R=${RAMPART_TEST:-build/test/rampart} # the test build: its kinds (include/rampart/kinds.h)
T=$(mktemp -d) || exit 2
. tests/count.sh
cleanup() { [ -n "${bg:-}" ] && kill -KILL "$bg" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

if ! available; then
	notok "limits" "no cgroup v2 with cpu and memory controllers here (${cgmnt:-none}: $(cat "$cgmnt$cgown/cgroup.controllers" 2>/dev/null)); tests/run.sh runs this suite in the test host on such a host"
	summary limits
	exit 1
fi

# start: a jailed spin stack with limits, in the background; $super (the
# supervisor) and $pid (the jailed root, its one child) once its "jail" event is out.
printf '{"layers":[{"kind":"spin"}],"limits":{"cpus":1.5,"memory":"512M"}}' >"$T/limits.json"
"$R" run "$T/limits.json" --layer-args 2,100000000000 --log "$T/lim" 2>"$T/lim.err" &
bg=$! super=$! pid=""
i=0
while ! grep -qs '"event":"jail"' "$T/lim" && [ $i -lt $((200 * TIME_SCALE)) ]; do
	kill -0 $bg 2>/dev/null || break
	sleep 0.1
	i=$((i + 1))
done
grep -qs '"event":"jail"' "$T/lim" && pid=$(cat /proc/$super/task/*/children 2>/dev/null | awk '{ print $1 }')
if [ -z "$pid" ]; then
	notok "limits" "no jail event ($(tail -n1 "$T/lim.err"))"
	summary limits
	exit 1
fi
# Read from here (the host's cgroup namespace), the jailed root's full path.
cg=$(sed -n 's/^0:://p' /proc/$pid/cgroup)
dir=$cgmnt$cg
[ "${cg##*/}" = "rampart-$super" ] && [ "$(cat "$dir/cpu.max")" = "150000 100000" ] &&
	[ "$(cat "$dir/memory.max")" = 536870912 ] && grep -qx "$pid" "$dir/cgroup.procs" &&
	ok "limits: the root in $cg, cpu.max 150000 100000, memory.max 512 MiB" ||
	notok "limits" "cgroup '$cg': cpu.max '$(cat "$dir/cpu.max" 2>&1)' memory.max '$(cat "$dir/memory.max" 2>&1)'"
grep -q '"event":"cgroup","path":"'"$cg"'","cpus":"1.5","memory_max":536870912' "$T/lim" &&
	ok "limits: the cgroup event" || notok "cgroup event" "$(grep '"cgroup"' "$T/lim")"
kill -TERM "$pid"
wait "$bg"
rc=$?
bg=""
[ $rc = 5 ] && [ ! -e "$dir" ] && ok "limits: cgroup $cg removed after the run" ||
	notok "limits: removed" "rc $rc, $dir $(ls -d "$dir" 2>&1)"
summary limits
