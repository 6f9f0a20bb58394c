#!/bin/sh
# rampart-policy under its own seccomp filter (tools/policy/sandbox.c):
# - every policy and rule file the tests use still compiles (nftables, the
#   wrapper's JSON, ids rules) and checks, and a second compile through the
#   cache gives the same bytes;
# - while it waits on a FIFO for its input, after opening it, the process
#   that will parse it runs under the filter (/proc/PID/status: Seccomp 2):
#   check and firewall themselves, compile's child (its parent, which only
#   renames the output into place, does not parse);
# - a set of 10000 elements compiles (glibc sorts it within the filter);
# - a forbidden call after the filter (open, by RAMPART_POLICY_SELFTEST)
#   ends it with one line naming the call, exit 1, and no blob written.
# No KVM, no root.
set -u
cd "$(dirname "$0")/../.."
. tests/count.sh
P=build/rampart-policy
WAIT_S=$((10 * TIME_SCALE))
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

if [ ! -x "$P" ]; then
	notok policy-sandbox "$P not built (make all)"
	summary policy-sandbox
	exit
fi

# compile_all KIND FILE...: each compiles under the filter
compile_all() {
	kind=$1
	shift
	n=0 bad="" compiled=0 refused=0
	for f in "$@"; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		rm -f "$T/b"
		if "$P" compile "$f" --kind "$kind" -o "$T/b" >/dev/null 2>"$T/err"; then
			[ -s "$T/b" ] && ! grep -q seccomp "$T/err" && compiled=$((compiled + 1)) ||
				bad="$bad $f: $(head -c 200 "$T/err");"
		elif [ "$kind" = ids ] && [ ! -e "$T/b" ] && ! grep -q seccomp "$T/err" &&
			tail -n 1 "$T/err" | grep -q 'no rule can be enforced in-line'; then
			refused=$((refused + 1))	# the compiler's own answer, not the filter's
		else
			bad="$bad $f: $(tail -c 200 "$T/err");"
		fi
	done
	if [ "$n" -gt 0 ] && [ "$compiled" -gt 0 ] && [ -z "$bad" ]; then
		ok "sandbox-compile-$kind" "$n files under the filter: $compiled compiled, $refused with nothing to enforce in-line"
	else
		notok "sandbox-compile-$kind" "of $n:$bad"
	fi
}
compile_all firewall tests/fw/policies/*.nft tests/layers/fw/io.nft
compile_all wrapper tests/layers/wrap/io.json
compile_all ids tests/layers/ids/io.rules ../shared/data/ids/verify/tests/*/test.rules

n=0 bad=""
for f in tests/fw/policies/*.nft tests/layers/wrap/io.json; do
	n=$((n + 1))
	"$P" check "$f" 2>"$T/err" | grep -q ': loads: ' || bad="$bad $f: $(head -c 200 "$T/err");"
done
[ -z "$bad" ] && ok sandbox-check "$n files checked under the filter" || notok sandbox-check "$bad"

# a large set: sorting its elements (glibc's qsort) stays within the filter
python3 bench/fw-gen.py set 10000 tcp 1000 "$T/set.nft"
if "$P" compile "$T/set.nft" -o "$T/set.blob" >/dev/null 2>"$T/err" && [ -s "$T/set.blob" ]; then
	ok sandbox-large-set "a set of 10000 ports compiled under the filter"
else
	notok sandbox-large-set "$(head -c 200 "$T/err")"
fi

# the cache: a miss then a hit, the same bytes both times
f=tests/fw/policies/10-tenant.nft
if "$P" compile "$f" -o "$T/c1" --cache "$T/cache" | grep -q ' compiled$' &&
	"$P" compile "$f" -o "$T/c2" --cache "$T/cache" | grep -q ' cached$' &&
	cmp -s "$T/c1" "$T/c2" && [ -z "$(find "$T" -name '*.tmp.*')" ]; then
	ok sandbox-cache "a miss, then a hit with the same bytes, no file left behind"
else
	notok sandbox-cache "the cached compile differs or failed"
fi
# a cached firewall blob is still no answer for a wrapper: the kind is
# checked before the cache
if ! "$P" compile "$f" -o "$T/c3" --kind wrapper --cache "$T/cache" >/dev/null 2>"$T/err" &&
	grep -q 'not a JSON object' "$T/err" && [ ! -e "$T/c3" ]; then
	ok sandbox-cache-kind "refused before the cache: $(cat "$T/err")"
else
	notok sandbox-cache-kind "a firewall's cached blob given for a wrapper: $(head -c 200 "$T/err")"
fi

# seccomp PID: the Seccomp field of /proc/PID/status (0 none, 2 filter)
seccomp() { awk '/^Seccomp:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# child_of PID: a child process of PID, if any
child_of() {
	for s in /proc/[0-9]*/status; do
		awk -v p="$1" '/^PPid:/ && $2 == p { found = 1 } END { exit !found }' "$s" 2>/dev/null &&
			basename "$(dirname "$s")" && return
	done
}

# fifo_case NAME WHO ARGS...: runs rampart-policy ARGS with $T/in a FIFO
# (fed tests/fw/policies/01-ports.nft once looked at), and wants Seccomp 2
# in WHO (self: the process; child: its child) while it waits on it
fifo_case() {
	name=$1 who=$2
	shift 2
	rm -f "$T/in" "$T/out"
	mkfifo "$T/in"
	"$P" "$@" >"$T/stdout" 2>"$T/err" &
	pid=$!
	exec 3>"$T/in"	# lets its open of the FIFO return; it now waits on read
	target="" mode="" parent=""
	end=$(($(date +%s) + WAIT_S))
	while [ "$(date +%s)" -le "$end" ]; do
		target=$pid
		[ "$who" = child ] && target=$(child_of "$pid")
		mode=$([ -n "$target" ] && seccomp "$target")
		[ "$mode" = 2 ] && break
		sleep 0.1
	done
	parent=$(seccomp "$pid")
	cat tests/fw/policies/01-ports.nft >&3
	exec 3>&-
	wait "$pid"
	rc=$?
	if [ "$mode" = 2 ] && [ "$rc" = 0 ] && { [ "$who" = self ] || [ "$parent" = 0 ]; }; then
		[ "$who" = self ] && parent="" || parent=", Seccomp $parent in its parent"
		ok "sandbox-fifo-$name" "Seccomp $mode in the $who (pid $target) while it waited$parent, exit 0"
	else
		notok "sandbox-fifo-$name" "Seccomp '$mode' in the $who '$target', parent '$parent', exit $rc: $(head -c 200 "$T/err")"
	fi
}
fifo_case check self check "$T/in"
fifo_case compile child compile "$T/in" -o "$T/out"
if [ -s "$T/out" ] && "$P" compile tests/fw/policies/01-ports.nft -o "$T/ref" && cmp -s "$T/out" "$T/ref"; then
	ok sandbox-fifo-blob "the blob compiled from the FIFO is the file's"
else
	notok sandbox-fifo-blob "no blob, or not the same bytes"
fi
python3 tests/fw/gen.py "$T/t.pcap"
fifo_case firewall self firewall --rules "$T/in" --pcap "$T/t.pcap" --guest 10.0.2.0/24
[ "$(wc -l <"$T/stdout")" -gt 100 ] && ok sandbox-fifo-verdicts "$(wc -l <"$T/stdout") verdicts" ||
	notok sandbox-fifo-verdicts "$(wc -l <"$T/stdout") verdicts"

# a forbidden call: named, exit 1, nothing written
for mode in check compile; do
	rm -f "$T/sb"
	if [ $mode = check ]; then
		RAMPART_POLICY_SELFTEST=1 "$P" check tests/fw/policies/01-ports.nft >/dev/null 2>"$T/err"
	else
		RAMPART_POLICY_SELFTEST=1 "$P" compile tests/fw/policies/01-ports.nft -o "$T/sb" \
			>/dev/null 2>"$T/err"
	fi
	rc=$?
	if [ $rc = 1 ] && grep -q '^rampart-policy: seccomp: forbidden system call openat (nr [0-9]*): killed$' "$T/err" &&
		! grep -q selftest "$T/err" && [ -z "$(find "$T" -name 'sb*')" ]; then
		ok "sandbox-forbidden-$mode" "$(cat "$T/err")"
	else
		notok "sandbox-forbidden-$mode" "exit $rc: $(head -c 300 "$T/err")"
	fi
done
summary policy-sandbox
