#!/bin/sh
# An unmodified Linux above layers: the "vmm" layer boots the guest from
# ring 3 through the hypercall ABI, at depth 2 (--layers vmm), 3 (pass,vmm)
# and 6 (pass,pass,pass,pass,vmm). Each boots the idle workload to its init,
# prints RAMPART-INIT-OK on rampart's stdout and powers off: exit status 0.
. "$(dirname "$0")/lib.sh"
T=layers
need_layers $T

now() { cut -d' ' -f1 /proc/uptime; }

# layers DEPTH LAYERS: one boot of the idle workload under LAYERS
layers() {
	_n=$T-depth$1 _log=$SCRATCH/log.$1
	_s=$(now)
	guest_tolerant "$_log" idle "" --layers "$2"
	_rc=$?
	_w=$(echo "$(now) $_s" | awk '{ printf "%.1f", $1 - $2 }')
	if ! has "$_log" RAMPART-INIT-OK; then notok "$_n" "no RAMPART-INIT-OK (exit $_rc, $_w s, --layers $2)"; tail_log "$_log"
	elif [ "$(work_rc "$_log" idle)" != 0 ]; then notok "$_n" "workload did not end (exit $_rc, --layers $2)"; tail_log "$_log"
	elif [ $_rc != 0 ]; then notok "$_n" "exit status $_rc after power-off, want 0 (--layers $2)"; tail_log "$_log"
	else ok "$_n (--layers $2: guest init at $(res "$_log" boot_uptime_s) s guest uptime, $_w s wall)"; fi
}

layers 2 vmm
layers 3 pass,vmm
layers 6 pass,pass,pass,pass,vmm
