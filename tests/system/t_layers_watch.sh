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
# place. Then the same guest above a vmm it took over (vmmhide, finding
# F4): a second guest VM appears below the watch while the guest sets the
# probe, and goes once it is set; the watch must alert about the layout
# meanwhile, take no fresh baseline, and name do_sys_openat2's page in a
# text alert once it can compare again. The watch also reads each guest
# vCPU's IDT register and LSTAR from the root (RP_HC_VCPU_CTL): the
# untouched guest's must be verified against System.map with no alert;
# in the hidden run, once the layout is back, the vmm repoints the
# guest's IDTR at idt_table's own address through the ABI (vmmhide's
# RAMPART-IDT-MOVE) and back, and the watch must raise an idtr alert
# within one interval and say when it is back. Needs
# build/images/System.map (make images).
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
ev() { grep "\"event\":\"$1\"" "$log"; }
num() { ev watch | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" | tail -n1; }

# The guest untouched, then the probe.
plain() {
	log=$SCRATCH/watch.log
	guest_tolerant "$log" kprobe "$before:$after:$off" --layers watch,vmm --rules "watch=$MAP" \
		--watch "$start,$every"
	rc=$?
	if [ $rc != 0 ]; then notok "$T" "exit status $rc, want 0"; tail_log "$log"; return; fi
	if [ "$(work_rc "$log" kprobe)" != 0 ]; then notok "$T" "the kprobe workload failed"; tail_log "$log"; return; fi
	if ! ev layer_log | grep -q 'watch: guest kernel at gpa'; then
		notok "$T" "the watch did not find the guest kernel"; grep 'watch' "$log" | tail -n 5 | sed 's/^/#   /'; return
	fi
	found=$(ev layer_log | grep -o 'watch: guest kernel at gpa [^"]*' | head -n1)
	# the vCPUs' IDT register and system call entry, verified against System.map
	ctl=$(ev layer_log | grep -o 'watch: [0-9]* guest vCPU(s), idtr [^"]*' | head -n1)
	# (Debian's kernel has ia32 emulation: CSTAR and SYSENTER_EIP are the compat entries)
	case $ctl in *"entry_SYSCALL_compat and entry_SYSENTER_compat, verified") ;; *)
		notok "$T" "the guest's IDTR, LSTAR, CSTAR and SYSENTER_EIP not verified: ${ctl:-no line}"; grep 'watch' "$log" | tail -n 5 | sed 's/^/#   /'; return ;;
	esac
	if ev watch_alert | grep -q '"region":"\(idtr\|lstar\|cstar\|star\|sysenter\)"'; then
		notok "$T" "an idtr, lstar, cstar, star or sysenter alert in an untouched guest"; ev watch_alert | grep '"region":"\(idtr\|lstar\|cstar\|star\|sysenter\)"' | head -n 3 | sed 's/^/#   /'; return
	fi
	decoys=$(res "$log" banner_pages)
	if [ -z "$decoys" ]; then notok "$T" "the guest did not fill its memory with banners"; tail_log "$log"; return; fi
	if ev watch_alert | grep -q '"region":"\(kernel\|layout\|remap\)"'; then
		notok "$T" "an alert about the kernel's place, the layout or a mapping in an untouched guest"
		ev watch_alert | grep '"region":"\(kernel\|layout\|remap\)"' | head -n 3 | sed 's/^/#   /'; return
	fi
	# what it measured, and its alerts, for the record
	ev watch | sed 's/^/# /'
	ev watch_alert | head -n 8 | sed 's/^/# /'
	alerts=$(ev watch_alert | wc -l)
	hit=$(ev watch_alert | grep '"symbol":"do_sys_openat2+' | head -n1)
	checks=$(num checks) pages=$(num pages) vcpus=$(num vcpus) reads=$(num ctl_reads)
	if [ -z "$checks" ]; then notok "$T" "no watch event at the end"; tail_log "$log"; return; fi
	if [ "${vcpus:-0}" -lt 1 ] || [ "${reads:-0}" -lt "$checks" ]; then
		notok "$T" "the vCPUs were not read at every check ($vcpus vCPUs, $reads reads, $checks checks)"; return
	fi
	if [ -z "$hit" ]; then notok "$T" "no alert names do_sys_openat2 ($alerts alerts, $checks checks)"; ev watch_alert | head -n 5 | sed 's/^/#   /'; return; fi
	# the check that saw the probe; every check before it clean, and at least 3 of them
	# (enabling the probe is one write, but the kernel patches ftrace's own
	# text and tracepoints before the function: on a loaded host a check can
	# fall in between, so the check just before the probe's may see that part)
	nth=$(echo "$hit" | sed -n 's/.*"check":\([0-9]*\).*/\1/p')
	early=$(ev watch_alert | sed -n 's/.*"check":\([0-9]*\).*/\1/p' | awk -v n="$nth" '$1 < n - 1' | wc -l)
	if [ "$early" != 0 ]; then notok "$T" "$early alert(s) before the probe's setup (the probe at check $nth)"; ev watch_alert | head -n 3 | sed 's/^/#   /'; return; fi
	if [ "${nth:-0}" -lt 5 ]; then notok "$T" "the probe was seen at check ${nth:-?}: fewer than 3 clean checks before its setup"; return; fi
	gpa=$(echo "$hit" | sed -n 's/.*"gpa":"\([^"]*\)".*/\1/p') kva=$(echo "$hit" | sed -n 's/.*"kva":"\([^"]*\)".*/\1/p')
	sym=$(echo "$hit" | sed -n 's/.*"symbol":"\([^"]*\)".*/\1/p')
	ok "$T ($found; ${ctl#watch: }; $decoys pages of decoy banners; $pages pages, $checks checks, checks 1..$((nth - 2)) clean; kprobe: $alerts alert(s), $sym at gpa $gpa kva $kva)"
}

# The probe set while a second guest VM hides the layout, for H seconds
# either side (at least 3 intervals), then it goes.
hidden() {
	log=$SCRATCH/watch-hidden.log
	h=$((3 * every / 1000 + 1))
	# vmmhide is a test personality: the test build runs it
	prod=$RAMPART RAMPART=${RAMPART_TEST:-$R/build/test/rampart}
	guest_tolerant "$log" kprobe "$before:$after:$off:$h:$h" --layers watch,vmmhide \
		--rules "watch=$MAP" --watch "$start,$every"
	rc=$? RAMPART=$prod
	if [ $rc != 0 ]; then notok "$T hidden" "exit status $rc, want 0"; tail_log "$log"; return; fi
	if [ "$(work_rc "$log" kprobe)" != 0 ]; then notok "$T hidden" "the kprobe workload failed"; tail_log "$log"; return; fi
	if ! ev layer_log | grep -q 'vmmhide: a second guest VM made' ||
		! ev layer_log | grep -q 'vmmhide: the second guest VM destroyed'; then
		notok "$T hidden" "the vmm did not make and destroy its second guest VM"; ev layer_log | grep 'vmmhide' | sed 's/^/#   /'; return
	fi
	ev layer_log | grep -o 'vmmhide: [^"]*' | sed 's/^/# /'
	ev layer_log | grep -o 'watch: guest kernel [^"]*' | sed 's/^/# /'
	ev watch_alert | head -n 12 | sed 's/^/# /'
	lay=$(ev watch_alert | grep '"region":"layout"' | grep 'more than one guest' | head -n1)
	if [ -z "$lay" ]; then notok "$T hidden" "no layout alert for the second guest"; return; fi
	first=$(echo "$lay" | sed -n 's/.*"check":\([0-9]*\).*/\1/p')
	lays=$(ev watch_alert | grep -c '"region":"layout"')
	hit=$(ev watch_alert | grep '"region":"text"' | grep '"symbol":"do_sys_openat2+' | head -n1)
	if [ -z "$hit" ]; then
		notok "$T hidden" "no text alert names do_sys_openat2 (only $lays layout alert(s) from check $first)"
		ev watch_alert | head -n 5 | sed 's/^/#   /'; return
	fi
	nth=$(echo "$hit" | sed -n 's/.*"check":\([0-9]*\).*/\1/p')
	if [ "$nth" -le "$first" ]; then notok "$T hidden" "the text alert (check $nth) came before the layout alert (check $first)"; return; fi
	bases=$(ev layer_log | grep -c 'watch: guest kernel at gpa')
	if [ "$bases" != 1 ]; then notok "$T hidden" "$bases baselines, want 1 (a fresh baseline after the layout alert)"; return; fi
	if ! ev layer_log | grep -q 'watch: guest kernel found again'; then notok "$T hidden" "the watch did not say it found the kernel again"; return; fi
	gpa=$(echo "$hit" | sed -n 's/.*"gpa":"\([^"]*\)".*/\1/p') kva=$(echo "$hit" | sed -n 's/.*"kva":"\([^"]*\)".*/\1/p')
	sym=$(echo "$hit" | sed -n 's/.*"symbol":"\([^"]*\)".*/\1/p')
	ok "$T hidden ($lays layout alert(s) from check $first while hidden; one baseline; at check $nth $sym at gpa $gpa kva $kva)"
	idt_moved
}

# The vmm moves the guest's IDTR (to idt_table's own address, off its
# read-only alias) through the ABI, then back: an idtr alert within one
# interval (at the next check) naming both bases, a line when it is
# back, no lstar alert.
idt_moved() {
	moved=$(ev layer_log | grep 'vmmhide: the guest.s IDTR base [^"]* moved to' | head -n1)
	if [ -z "$moved" ] || ! ev layer_log | grep -q 'vmmhide: the guest.s IDTR base [^"]* put back to'; then
		notok "$T idtr" "the vmm did not move the guest's IDTR and back ($(res "$log" idt_table))"; ev layer_log | grep -o 'vmmhide: [^"]*' | sed 's/^/#   /'; return
	fi
	to=$(echo "$moved" | sed -n 's/.* moved to \(0x[0-9a-f]*\).*/\1/p')
	from=$(echo "$moved" | sed -n 's/.*IDTR base \(0x[0-9a-f]*\).*/\1/p')
	alert=$(ev watch_alert | grep '"region":"idtr"' | head -n1)
	if [ -z "$alert" ]; then notok "$T idtr" "no idtr alert for the IDTR moved from $from to $to"; ev watch_alert | tail -n 3 | sed 's/^/#   /'; return; fi
	ev watch_alert | grep '"region":"\(idtr\|lstar\)"' | sed 's/^/# /'
	if ! echo "$alert" | grep -q "\"seen\":\"$to\".*\"expected\":\"$from\""; then
		notok "$T idtr" "the alert does not name $to seen and $from expected"; return
	fi
	if ev watch_alert | grep -q '"region":"lstar"'; then notok "$T idtr" "an lstar alert: the vmm changed no MSR"; return; fi
	if ! ev layer_log | grep -q 'watch: vCPU 0 idtr back to '"$from"; then notok "$T idtr" "the watch did not say the IDTR is back to $from"; return; fi
	ts() { sed -n 's/.*"ts":\([0-9.]*\).*/\1/p'; }
	late=$(awk -v a="$(echo "$moved" | ts)" -v b="$(echo "$alert" | ts)" -v e="$every" \
		'BEGIN { d = (b - a) * 1000; printf "%d %d", d, (d >= 0 && d <= 2 * e) }')
	# the next check sees it: one interval, and that check's own time (the compare)
	if [ "${late#* }" != 1 ]; then notok "$T idtr" "the alert came ${late% *} ms after the move, later than the next check (interval $every ms)"; return; fi
	ok "$T idtr (the vmm moved IDTR.base $from -> $to: alert ${late% *} ms later, interval $every ms; put back, said; no lstar alert)"
}

plain
hidden
