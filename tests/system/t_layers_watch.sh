#!/bin/sh
# The watch layer below a vmm (--layers watch,vmm): once the guest has
# booted it hashes the guest kernel's text and rodata page by page, found
# in guest-physical memory through the root (RP_HC_MAP_INFO), by the
# banner and the kernel's own page tables (KASLR on), and re-checks them
# on its timer. An untouched guest gives no alert over several checks;
# then the guest enables a kprobe on do_sys_openat2 (guest/work/kprobe.sh)
# and the watch must name that function in a watch_alert within one
# interval. Before that the guest fills 32 MiB with copies of the kernel's
# banner at its offset in every page (what an unprivileged process can
# do): the watch must still find the one kernel, with no alert about its
# place. Needs build/images/System.map (make images).
. "$(dirname "$0")/lib.sh"
T=layers_watch
need_layers $T
MAP=$IMG/System.map
[ -s "$MAP" ] || { ok "$T # skip: no $MAP (make images fetches it from the kernel's -dbg package)"; exit 0; }

S=${RAMPART_TIME_SCALE:-1}
start=$((5000 * S)) every=$((500 * S))
# untouched until the baseline and at least 4 checks are done, then the probe
before=$(((start + 6 * every) / 1000 + 4 * S)) after=$((4 * every / 1000 + 2 * S))
# the banner's offset in a page, from the low 32 bits of its address and _text's
sym() { awk -v n="$1" '$3 == n { print substr($1, 9, 8); exit }' "$MAP"; }
off=$(((0x$(sym linux_banner) - 0x$(sym _text)) & 4095))
log=$SCRATCH/watch.log
guest_tolerant "$log" kprobe "$before:$after:$off" --layers watch,vmm --rules "watch=$MAP" \
	--watch "$start,$every"
rc=$?
ev() { grep "\"event\":\"$1\"" "$log"; }
num() { ev watch | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" | tail -n1; }
if [ $rc != 0 ]; then notok "$T" "exit status $rc, want 0"; tail_log "$log"; exit 0; fi
if [ "$(work_rc "$log" kprobe)" != 0 ]; then notok "$T" "the kprobe workload failed"; tail_log "$log"; exit 0; fi
if ! ev layer_log | grep -q 'watch: guest kernel at gpa'; then
	notok "$T" "the watch did not find the guest kernel"; grep 'watch' "$log" | tail -n 5 | sed 's/^/#   /'; exit 0
fi
found=$(ev layer_log | grep -o 'watch: guest kernel at gpa [^"]*' | head -n1)
decoys=$(res "$log" banner_pages)
if [ -z "$decoys" ]; then notok "$T" "the guest did not fill its memory with banners"; tail_log "$log"; exit 0; fi
if ev watch_alert | grep -q '"region":"\(kernel\|layout\|remap\)"'; then
	notok "$T" "an alert about the kernel's place, the layout or a mapping in an untouched guest"
	ev watch_alert | grep '"region":"\(kernel\|layout\|remap\)"' | head -n 3 | sed 's/^/#   /'; exit 0
fi
# what it measured, and its alerts, for the record
ev watch | sed 's/^/# /'
ev watch_alert | head -n 8 | sed 's/^/# /'
alerts=$(ev watch_alert | wc -l)
hit=$(ev watch_alert | grep '"symbol":"do_sys_openat2+' | head -n1)
checks=$(num checks) pages=$(num pages)
if [ -z "$checks" ]; then notok "$T" "no watch event at the end"; tail_log "$log"; exit 0; fi
if [ -z "$hit" ]; then notok "$T" "no alert names do_sys_openat2 ($alerts alerts, $checks checks)"; ev watch_alert | head -n 5 | sed 's/^/#   /'; exit 0; fi
# the check that saw the probe; every check before it clean, and at least 3 of them
nth=$(echo "$hit" | sed -n 's/.*"check":\([0-9]*\).*/\1/p')
early=$(ev watch_alert | sed -n 's/.*"check":\([0-9]*\).*/\1/p' | awk -v n="$nth" '$1 < n' | wc -l)
if [ "$early" != 0 ]; then notok "$T" "$early alert(s) before the check that saw the probe (check $nth)"; ev watch_alert | head -n 3 | sed 's/^/#   /'; exit 0; fi
if [ "${nth:-0}" -lt 4 ]; then notok "$T" "the probe was seen at check ${nth:-?}: fewer than 3 clean checks before it"; exit 0; fi
gpa=$(echo "$hit" | sed -n 's/.*"gpa":"\([^"]*\)".*/\1/p') kva=$(echo "$hit" | sed -n 's/.*"kva":"\([^"]*\)".*/\1/p')
sym=$(echo "$hit" | sed -n 's/.*"symbol":"\([^"]*\)".*/\1/p')
ok "$T ($found; $decoys pages of decoy banners; $pages pages, $checks checks, checks 1..$((nth - 1)) clean; kprobe: $alerts alert(s), $sym at gpa $gpa kva $kva)"
