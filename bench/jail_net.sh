#!/bin/sh
# The jail's cost to the guest's network (bench/jail.sh runs it where Linux
# guests run): bench/iperf_all.sh for rampart at depth 1 and behind pass,vmm,
# each with the jail and with --no-jail, interleaved, BENCH_RUNS rounds
# (default 2).
BENCH_STACKS="rampart: rampart-nojail: rampart:pass,vmm rampart-nojail:pass,vmm" \
	BENCH_RUNS=${BENCH_RUNS:-2} exec sh "$(dirname "$0")/iperf_all.sh" "$@"
