#!/bin/sh
# The network benchmark, run where Linux guests run (directly on a vmx/svm
# host, or inside the test host): a bulk TCP stream (iperf3, SECS seconds,
# each way) and a round trip (ping) between the guest and the host over a
# tap, for QEMU microvm (depth 1, the baseline) and rampart at depth 1 and
# above layers, RUNS rounds. One line per measurement:
#   BENCH vmm=V round=N metric=M value=X
# Metrics: iperf_tx_MBps / iperf_rx_MBps (guest -> host / host -> guest,
# what the receiver got), rtt_ms, and for rampart exits_per_frame_tx /
# exits_per_frame_rx: the stack's KVM_RUN returns (every VM, from the
# root's end event) over the frames the tap carried, less those of a boot
# of the same stack with the idle workload (the boot's own exits).
# Each metric name ends in _dD, D the guest's depth (and fw with a firewall).
# A stack "rampart-nojail:LAYERS" runs rampart with --no-jail (vmm=rampart-nojail).
RAMPART_ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$RAMPART_ROOT/tests/system/lib.sh"
SECS=${1:-6}
RUNS=${BENCH_RUNS:-1}
STACKS=${BENCH_STACKS:-"qemu: rampart: rampart:vmm rampart:pass,vmm rampart:firewall,vmm rampart:pass,pass,pass,pass,vmm"}
# A firewall layer filters with bench/fw-bench.nft; its metrics end in _dDfw.
FW_RULES=$R/bench/fw-bench.nft
# A wrapper layer with rate limits no stream reaches (bench/wr-bench.json, _dDwr): its cost
# when no limit is hit; a watch layer with the kernel's System.map (_dDwt): its checks' cost.
WR_RULES=$R/bench/wr-bench.json
INITRD=$IMG/bench-initrd.cpio.gz
[ -s "$INITRD" ] || { echo "bench: missing $INITRD (scripts/images.sh builds it when iperf3 is installed)"; exit 1; }
command -v iperf3 >/dev/null || { echo "bench: no iperf3 on this host"; exit 1; }
net_setup || { echo "bench: cannot create the namespace and tap"; exit 1; }
fail=0

# exits: the KVM_RUN returns of the last run (the root's end event)
exits() { tr -d '\r' <"$SCRATCH/log" | sed -n 's/.*"event":"end".*"exits":\([0-9]*\).*/\1/p' | tail -n1; }
out() { echo "BENCH vmm=$label round=$round metric=$1 value=$2"; }
stat() { $NSEXEC cat "/sys/class/net/$TAP/statistics/$1"; }

round=1
while [ $round -le "$RUNS" ]; do
	for s in $STACKS; do
		VMM=${s%%:*} layers=${s#*:}
		depth=1
		set --
		label=$VMM
		[ "$VMM" = rampart-nojail ] && { VMM=rampart; set -- --no-jail; }
		if [ -n "$layers" ]; then
			depth=$(($(echo "$layers" | tr ',' '\n' | wc -l) + 1))
			set -- "$@" --layers "$layers"
		fi
		case ,$layers, in *,firewall,*) depth=${depth}fw; set -- "$@" --rules "firewall=$FW_RULES" ;; esac
		case ,$layers, in *,wrapper,*) depth=${depth}wr; set -- "$@" --rules "wrapper=$WR_RULES" ;; esac
		case ,$layers, in *,watch,*) depth=${depth}wt; set -- "$@" --rules "watch=$IMG/System.map" ;; esac
		base=0
		if [ "$VMM" = rampart ]; then
			guest "$SCRATCH/log" idle "" --net "tap:$TAP" "$@"
			base=$(exits)
			echo "# $label depth $depth: ${base:-?} exits to boot and power off"
		fi
		for dir in tx rx; do
			$NSEXEC iperf3 -s -1 -B "$HOST_IP" >"$SCRATCH/server" 2>&1 &
			srv=$!
			sleep 0.5
			f0=$(($(stat rx_packets) + $(stat tx_packets)))
			guest "$SCRATCH/log" iperf "$dir:$SECS" --net "tap:$TAP" "$@"
			rc=$?
			f1=$(($(stat rx_packets) + $(stat tx_packets)))
			kill "$srv" 2>/dev/null
			wait "$srv" 2>/dev/null
			mbps=$(res "$SCRATCH/log" MBps)
			if [ $rc != 0 ] || [ -z "$mbps" ]; then
				echo "bench: $label ${layers:-(no layers)} $dir: rc=$rc"
				tail_log "$SCRATCH/log" 15
				fail=1
				continue
			fi
			echo "# $label depth $depth $dir: $(tr -d '\r' <"$SCRATCH/log" | grep -E 'receiver$' | tail -n1)"
			out "iperf_${dir}_MBps_d$depth" "$mbps"
			[ "$dir" = tx ] && out "rtt_ms_d$depth" "$(res "$SCRATCH/log" rtt_ms)"
			if [ "$VMM" = rampart ]; then
				ex=$(exits)
				[ -n "$ex" ] && [ -n "$base" ] && out "exits_per_frame_${dir}_d$depth" \
					"$(awk -v e="$ex" -v b="$base" -v f=$((f1 - f0)) 'BEGIN { printf "%.2f", f ? (e - b) / f : 0 }')"
				echo "# exits $ex, frames $((f1 - f0)), by reason:$(tr -d '\r' <"$SCRATCH/log" |
					grep '"event":"end"' | tail -n1 | grep -o '"exits_[a-z]*":[0-9]*' | tr -d '"' | sed 's/^/ /' | tr -d '\n')"
			fi
		done
	done
	round=$((round + 1))
done
exit $fail
