# Shared helpers of the system tests (sourced by t_*.sh, suite.sh, demo.sh).
# The VMM is build/rampart (RAMPART_VMM=rampart, the default) or QEMU microvm
# (RAMPART_VMM=qemu), driven with the same options:
#   build/rampart run --kernel K --initrd I --cmdline "..." --mem 256M
#                     [--net tap:NAME] [--disk PATH[,ro]]
# Exit statuses: 0 power-off, 2 reset (panic), 3 triple fault, 1 VMM error,
# 124 timeout (from `timeout`).
R=${RAMPART_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
IMG=$R/build/images
KERNEL=$IMG/vmlinuz
INITRD=$IMG/guest-initrd.cpio.gz
RAMPART=${RAMPART:-$R/build/rampart}
VMM=${RAMPART_VMM:-rampart}
VMM_TIMEOUT=${RAMPART_TIMEOUT:-240}
GUEST_MEM=${RAMPART_GUEST_MEM:-256M}
HOST_IP=172.30.0.1
GUEST_IP=172.30.0.2 # the guest side (guest/work/_lib.sh)
export GUEST_IP
TAP=rt0
NSEXEC=
# Full paths: busybox sh runs its own applets (ip, timeout) before $PATH.
IP=ip TIMEOUT=timeout
for p in /usr/sbin/ip /sbin/ip /usr/bin/ip; do [ -x "$p" ] && ! [ -L "$p" ] && { IP=$p; break; }; done
for p in /usr/bin/timeout /bin/timeout; do [ -x "$p" ] && ! [ -L "$p" ] && { TIMEOUT=$p; break; }; done

# A scratch directory per test script, removed at exit.
SCRATCH=$(mktemp -d "${RAMPART_SCRATCH:-${TMPDIR:-/tmp}}/rampart-test.XXXXXX")
trap 'cleanup' EXIT
CLEANUPS=""
cleanup() { eval "$CLEANUPS"; rm -rf "$SCRATCH"; }
on_exit() { CLEANUPS="$1; $CLEANUPS"; }

# ok NAME / notok NAME REASON
ok() { echo "ok $1"; }
notok() { echo "not ok $1: $2"; }

# need_vmm: exits the test with "not ok" if the VMM or the images are missing.
need_vmm() {
	for f in "$KERNEL" "$INITRD"; do
		[ -s "$f" ] || { notok "$1" "missing $f (run make images)"; exit 1; }
	done
	if [ "$VMM" = rampart ] && [ ! -x "$RAMPART" ]; then
		notok "$1" "missing $RAMPART (run make)"; exit 1
	fi
}

# need_layers NAME: as need_vmm, for a test of stacks with layers: QEMU has
# none (the test reports itself skipped), and rampart needs the variants of
# its layer image beside it (layer-gcc.elf, layer-clang.elf).
need_layers() {
	need_vmm "$1"
	if [ "$VMM" != rampart ]; then ok "$1 # skip: layers need rampart"; exit 0; fi
	for LAYER_ELF in "$(dirname "$RAMPART")"/layer-gcc.elf "$(dirname "$RAMPART")"/layer-clang.elf; do
		[ -s "$LAYER_ELF" ] || { notok "$1" "missing $LAYER_ELF (run make)"; exit 1; }
	done
}

# qemu_run OPTIONS...: rampart's `run` options, executed by QEMU microvm.
# QEMU exits 0 for power-off and reset alike (with -no-reboot); its trace tells
# them apart: a power-off requests a shutdown, a triple fault ends on
# KVM_EXIT_SHUTDOWN (exit reason 8), anything else is a reset.
qemu_run() {
	_k='' _i='' _c='' _m=$GUEST_MEM _net='' _disk='' _ro=''
	while [ $# -gt 0 ]; do
		case $1 in
		--kernel) _k=$2 ;; --initrd) _i=$2 ;; --cmdline) _c=$2 ;; --mem) _m=$2 ;;
		--net) _net=${2#tap:} ;; --disk) _disk=$2 ;;
		*) echo "qemu_run: unknown option $1" >&2; return 1 ;;
		esac
		shift 2
	done
	case $_disk in *,ro) _disk=${_disk%,ro}; _ro=,readonly=on ;; esac
	_tr=$SCRATCH/qemu-trace.$$
	rm -f "$_tr"
	set -- -enable-kvm -M microvm,acpi=on -cpu host -m "$_m" -nodefaults -no-user-config \
		-display none -serial stdio -no-reboot -kernel "$_k" -append "$_c"
	[ -n "$_i" ] && set -- "$@" -initrd "$_i"
	[ -n "$_disk" ] && set -- "$@" -drive "id=d0,if=none,format=raw,file=$_disk$_ro" \
		-device virtio-blk-device,drive=d0
	[ -n "$_net" ] && set -- "$@" -netdev "tap,id=n0,ifname=$_net,script=no,downscript=no" \
		-device virtio-net-device,netdev=n0
	set -- "$@" -device i8042 -device virtio-rng-device -D "$_tr" -trace enable=qemu_system_shutdown_request
	[ "${RAMPART_QEMU_TRACE_EXITS:-1}" = 1 ] && set -- "$@" -trace enable=kvm_run_exit
	$NSEXEC $TIMEOUT "$VMM_TIMEOUT" qemu-system-x86_64 "$@"
	_rc=$?
	[ $_rc = 0 ] || return $_rc
	if grep -q qemu_system_shutdown_request "$_tr" 2>/dev/null; then return 0; fi
	if grep kvm_run_exit "$_tr" 2>/dev/null | tail -n1 | grep -q 'reason 8$'; then return 3; fi
	return 2
}

# vmm LOG OPTIONS...: run the VMM with rampart's `run` options; console and
# messages go to LOG. Returns the VMM's exit status. In NSEXEC (a netns) if set.
vmm() {
	_log=$1; shift
	if [ "$VMM" = qemu ]; then
		echo "# qemu (as rampart run $*)" >&2
		qemu_run "$@" >"$_log" 2>&1 </dev/null
	else
		echo "# ${NSEXEC:+$NSEXEC }$TIMEOUT $VMM_TIMEOUT $RAMPART run $*" >&2
		$NSEXEC $TIMEOUT "$VMM_TIMEOUT" "$RAMPART" run "$@" >"$_log" 2>&1 </dev/null
	fi
}

# guest LOG WORK ARG [--disk ...] [--net ...]: boot the guest with a workload
guest() {
	_gl=$1 _gw=$2 _ga=$3; shift 3
	_gc="console=ttyS0 reboot=k panic=-1 quiet rampart.work=$_gw"
	[ -n "$_ga" ] && _gc="$_gc rampart.arg=$_ga"
	vmm "$_gl" --kernel "$KERNEL" --initrd "$INITRD" --cmdline "$_gc" --mem "$GUEST_MEM" "$@"
}

# guest_tolerant LOG WORK ARG [...]: as guest, but inside the test host a
# guest kernel panic (exit 2 with "Kernel panic" on its console) is retried
# once, and the panic is shown: under the test host's emulated SVM a nested
# guest was seen to die, rarely, of an exception-stack overflow in the
# kernel's own entry code. Where guests run on hardware, no retry.
guest_tolerant() {
	guest "$@"
	_rc=$?
	if [ $_rc = 2 ] && [ "${RAMPART_IN_TESTHOST:-0}" = 1 ] && grep -q "Kernel panic" "$1"; then
		echo "# retry: the guest's kernel panicked under the emulated SVM:"
		tr -d '\r' <"$1" | grep -E "RIP:|Kernel panic" | head -n 4 | sed 's/^/#   /'
		guest "$@"
		_rc=$?
	fi
	return $_rc
}

# res LOG KEY: the value of KEY= on the guest's RAMPART-RESULT lines (last one)
res() {
	tr -d '\r' <"$1" | awk -v k="$2" '/RAMPART-RESULT/ {
		for (i = 1; i <= NF; i++) { n = index($i, "="); if (n && substr($i, 1, n - 1) == k) v = substr($i, n + 1) } }
		END { print v }'
}

# has LOG TEXT: the console shows TEXT at the start of a line
has() { tr -d '\r' <"$1" | grep -q "^$2"; }

# work_rc LOG WORK: the workload's exit status from RAMPART-WORK-END
work_rc() { tr -d '\r' <"$1" | sed -n "s/^RAMPART-WORK-END $2 rc=\([0-9]*\).*/\1/p" | tail -n1; }

# tail_log LOG: the last lines of a console log, for a failure's context
tail_log() { tr -d '\r' <"$1" | tail -n "${2:-15}" | sed 's/^/#   /'; }

# pattern SEED MIB: the guest's deterministic pattern (guest/work/_lib.sh)
pattern() { yes "rampart-pattern-$1" | head -c $(($2 * 1048576)); }
sha() { sha256sum | cut -d' ' -f1; }

# ---- network: a namespace holding a persistent tap the VMM attaches to ------
# net_setup: creates netns rampart-$$ with tap rt0 = 172.30.0.1/30 and sets
# NSEXEC so that vmm runs inside it.
net_setup() {
	NS=rampart-$$
	$IP netns add "$NS" || return 1
	on_exit "net_teardown"
	NSEXEC="$IP netns exec $NS"
	$NSEXEC $IP link set lo up &&
		$NSEXEC $IP tuntap add "$TAP" mode tap &&
		$NSEXEC $IP addr add "$HOST_IP/30" dev "$TAP" &&
		$NSEXEC $IP link set "$TAP" up
}
net_teardown() {
	for p in $NC_PIDS; do kill "$p" 2>/dev/null; done
	$IP netns del "$NS" 2>/dev/null
	NS=
}

# net_listen G2H_OUT H2G_IN: host-side listeners in the namespace: what the
# guest sends (port 5001) goes to G2H_OUT; H2G_IN is sent to the guest (port
# 5002). Empty arguments skip that direction.
net_listen() {
	NC_PIDS=
	if [ -n "$1" ]; then
		mkfifo "$SCRATCH/hold"
		$NSEXEC busybox nc -l -p 5001 >"$1" 0<>"$SCRATCH/hold" &
		NC_PIDS="$NC_PIDS $!"
	fi
	if [ -n "$2" ]; then
		$NSEXEC busybox nc -l -p 5002 <"$2" &
		NC_PIDS="$NC_PIDS $!"
	fi
	sleep 0.3
}

# net_wait SECONDS: wait for the listeners to finish, then kill what is left
net_wait() {
	_n=$(($1 * 10))
	for p in $NC_PIDS; do
		while kill -0 "$p" 2>/dev/null && [ $_n -gt 0 ]; do sleep 0.1; _n=$((_n - 1)); done
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	NC_PIDS=
}
