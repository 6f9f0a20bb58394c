#!/bin/sh
# Recursive-VM tests of the layered stack, directly on /dev/kvm (layers run at
# CPL 3: no nested virtualization needed), or inside the test host where this
# host has no KVM (tests/run.sh decides). Each test prints "ok NAME" or
# "not ok NAME: reason"; the last line is "layers: N passed, N failed, N
# skipped" (tests/count.sh); the exit status is non-zero when any failed. Run
# from the repository root after `make all`.
cd "$(dirname "$0")/../.." || exit 2
R=${RAMPART_TEST:-build/test/rampart} # the test build: its kinds (include/rampart/kinds.h)
T=$(mktemp -d) || exit 2
trap 'rm -rf "$T"' EXIT
. tests/count.sh

# run NAME ARGS...: stderr (JSON events) in $T/NAME, status in $rc
run() { n=$1; shift; timeout $((20 * TIME_SCALE)) "$R" run "$@" 2>"$T/$n"; rc=$?; }
# field NAME KEY: a numeric field of the final "end" event
field() { grep '"event":"end"' "$T/$1" | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"; }
chain() { c=""; i=1; while [ $i -lt $1 ]; do c="${c}pass,"; i=$((i + 1)); done; echo "${c}$2"; }

# Reference results of an uninterrupted run.
CPU_N=300000000
run ref_cpu --layers spin --layer-args 2,$CPU_N
REF_CPU=$(field ref_cpu cpu_result)
[ -n "$REF_CPU" ] && [ "$REF_CPU" != 0 ] || { notok reference "no cpu result"; REF_CPU=x; }

for d in 1 2 3 4 5 6; do
	L=$(chain $d spin)
	run db$d --layers "$L" --layer-args 1,1000
	[ $rc = 0 ] && [ "$(field db$d doorbells)" = 1000 ] && ok "doorbells depth $d" ||
		notok "doorbells depth $d" "rc $rc doorbells $(field db$d doorbells)"
	run cpu$d --layers "$L" --layer-args 2,30000000
	[ $d = 1 ] && REF_SMALL=$(field cpu1 cpu_result)
	[ $rc = 0 ] && [ "$(field cpu$d cpu_result)" = "$REF_SMALL" ] && ok "cpu depth $d" ||
		notok "cpu depth $d" "rc $rc result $(field cpu$d cpu_result) want $REF_SMALL"
	run echo$d --layers "$L" --layer-args 3,0 --echo 2000
	[ $rc = 0 ] && [ "$(field echo$d echo_sum)" = 2001000 ] && [ "$(field echo$d echo_ok)" = 1 ] &&
		ok "echo depth $d" || notok "echo depth $d" "rc $rc sum $(field echo$d echo_sum)"
	run fault$d --layers "$L" --layer-args 4
	if [ $d = 1 ]; then
		grep -q '"event":"end".*"outcome":"crash".*faulted (0x6)' "$T/fault$d" &&
			ok "fault depth $d" || notok "fault depth $d" "no crash with vector 6 (rc $rc)"
	else
		grep -q "\"event\":\"layer_end\",\"layer\":\"L$d#[0-9]*\",\"reason\":\"fault\",\"value\":\"0x6\"" "$T/fault$d" &&
			grep -q "child ended, reason 5 vector 6 " "$T/fault$d" &&
			grep -q '"event":"end".*"outcome":"poweroff".*"code":57005' "$T/fault$d" &&
			ok "fault depth $d" || notok "fault depth $d" "vector 6 not logged at L$d, or unclean end (rc $rc)"
	fi
done

# The test layer answers the doorbells itself: none reach the root.
run testlayer --layers pass,test,spin --layer-args 1,500,0
grep -q '"text":"test: child exit 0x0 doorbells 500 ' "$T/testlayer" &&
	[ "$(field testlayer doorbells)" = 0 ] && [ $rc = 0 ] && ok "test layer answers doorbells" ||
	notok "test layer answers doorbells" "rc $rc root doorbells $(field testlayer doorbells)"
run testecho --layers pass,pass,test,spin --layer-args 3,0,300
grep -q 'echo ok' "$T/testecho" && [ $rc = 0 ] && ok "test layer answers echo" ||
	notok "test layer answers echo" "rc $rc"

# abuse: every refusal with its ABI code, 0 failures, the root ends normally.
for L in abuse pass,pass,abuse pass,ropass,abuse ropass,abuse; do
	case $L in *ropass*) A=1 ;; *) A=0 ;; esac
	n=abuse_$(echo $L | tr , _)
	run $n --layers $L --layer-args $A
	oks=$(grep -c '"text":"ok ' "$T/$n")
	fails=$(grep -c '"text":"FAIL ' "$T/$n")
	refused=$(grep -c '"event":"hc_refused"' "$T/$n")
	if [ $rc = 0 ] && [ "$fails" = 0 ] && [ "$oks" -ge 70 ] &&
		grep -q '"event":"end".*"outcome":"poweroff".*"code":0,' "$T/$n" &&
		[ "$refused" = "$(field $n refused)" ] && [ "$refused" -ge 60 ]; then
		ok "abuse $L ($oks checks, $refused refusals logged)"
	else
		notok "abuse $L" "rc $rc oks $oks fails $fails refused $refused: $(grep -o '"text":"FAIL[^"]*"' "$T/$n" | head -3)"
	fi
done

# churn: fds and RSS of the root equal after 1000 create/destroy rounds.
"$R" run --layers churn --layer-args 400,1000 2>"$T/churn" &
pid=$!
sample() { # wait for the pause line, then fd count and VmRSS (kB)
	i=0
	while ! grep -q "churn: pause $1" "$T/churn" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 1000 ] && return 1; sleep 0.01
	done
	sleep 0.05
	echo "$(ls /proc/$pid/fd | wc -l) $(sed -n 's/^VmRSS:[^0-9]*\([0-9]*\).*/\1/p' /proc/$pid/status)"
}
s1=$(sample 1); s2=$(sample 2)
wait $pid; rc=$?
f1=${s1% *} r1=${s1#* } f2=${s2% *} r2=${s2#* }
if [ $rc = 0 ] && [ -n "$s1" ] && [ -n "$s2" ] && [ "$f1" = "$f2" ] && [ $((r2 - r1)) -le 2048 ] &&
	grep -q '"text":"churn: rounds 1010 refused 0"' "$T/churn"; then
	ok "churn 1010 rounds (fds $f1 -> $f2, rss ${r1}k -> ${r2}k)"
else
	notok churn "rc $rc fds $f1 -> $f2 rss ${r1}k -> ${r2}k"
fi

# Events: RP_HC_TIMER events reach the tick layer at its depth; the child
# resumes where it was (same cpu result, same echo sum).
for L in tick,spin pass,tick,spin pass,pass,tick,spin tick,pass,pass,spin; do
	d=$(echo $L | tr , '\n' | grep -n '^tick$' | cut -d: -f1)
	n=ev_$(echo $L | tr , _)
	run $n --layers $L --layer-args 2,$CPU_N,1000000
	cnt=$(grep -o "\"layer\":\"L$d#[0-9]*\",\"text\":\"event depth=$d count=[0-9]*\"" "$T/$n" | sed 's/.*count=//;s/"//')
	if [ $rc = 0 ] && [ -n "$cnt" ] && [ "$cnt" -ge 20 ] && [ "$(field $n cpu_result)" = "$REF_CPU" ]; then
		ok "events cpu $L (depth $d, $cnt events)"
	else
		notok "events cpu $L" "rc $rc events '$cnt' at L$d, result $(field $n cpu_result) want $REF_CPU"
	fi
	n=evecho_$(echo $L | tr , _)
	# A tick of 100 us, stretched where exits are slower (the test host): the
	# echo must still get through between events.
	run $n --layers $L --layer-args 3,0,$((100000 * TIME_SCALE)) --echo 3000
	cnt=$(grep -o "\"layer\":\"L$d#[0-9]*\",\"text\":\"event depth=$d count=[0-9]*\"" "$T/$n" | sed 's/.*count=//;s/"//')
	if [ $rc = 0 ] && [ -n "$cnt" ] && [ "$cnt" -ge 1 ] && [ "$(field $n echo_ok)" = 1 ]; then
		ok "events echo $L (depth $d, $cnt events)"
	else
		notok "events echo $L" "rc $rc events '$cnt' at L$d, echo sum $(field $n echo_sum)"
	fi
done

# RP_HC_MAP_INFO: a layer asks the root for its grandchild's maps (what the
# watch layer uses to find its guest): each lies in its child's region, the
# grandchild's boot info is where the root says, and every hostile argument
# is refused with its code, the record untouched (src/layer/mapinfo.c).
run mapinfo --layers mapinfo,pass,spin --layer-args 1,100
mi=$(grep -o '"text":"mapinfo: [0-9]* checks, [0-9]* failures[^"]*"' "$T/mapinfo" | sed 's/"text":"//;s/"$//')
if [ $rc = 0 ] && echo "$mi" | grep -q ' 0 failures, [3-9] maps' && [ "$(field mapinfo doorbells)" = 100 ]; then
	ok "map_info: a grandchild's maps from the root ($mi)"
else
	notok "map_info" "rc $rc: ${mi:-no summary} $(grep -o '"text":"mapinfo: FAIL[^"]*"' "$T/mapinfo" | head -3)"
fi

# A sibling keeps running: one child attacks the root through every call,
# then its sibling's chain still carries all its doorbells to the root.
run pair --layers pair,abuse --layer-mem 32M
if [ $rc = 0 ] && grep -q 'pair: the first child ended with 0 failures' "$T/pair" &&
	[ "$(field pair doorbells)" = 500 ] && [ "$(field pair refused)" -ge 70 ]; then
	ok "sibling chain runs beside an abusive child ($(field pair refused) refusals, 500 doorbells)"
else
	notok "pair" "exit $rc, doorbells $(field pair doorbells), refused $(field pair refused)"
fi

# Integrity: state a ring-3 layer cannot reach by itself is refused when its
# parent sets it; a fault in an intermediate layer halts the whole stack with
# a "violation" event.
for L in unpin,spin pass,unpin,spin; do
	d=1; [ "$L" = "pass,unpin,spin" ] && d=2
	run "violation-$L" --layers $L --layer-args 1,100
	if [ $rc = 0 ] && grep -q "\"event\":\"hc_refused\",\"layer\":\"L$d#[0-9]*\",\"call\":\"vcpu_set\",\"nr\":4,\"error\":-4}" "$T/violation-$L" &&
		grep -q '"text":"unpin: RP_HC_VCPU_SET refused"' "$T/violation-$L" &&
		! grep -q '"event":"violation"' "$T/violation-$L" && [ "$(field "violation-$L" doorbells)" = 100 ]; then
		ok "control state: a child given CR0.WP clear is refused in $L (EPERM), the child runs on"
	else
		notok "violation $L" "exit $rc, $(grep -o '"event":"\(violation\|hc_refused\|end\)"[^}]*' "$T/violation-$L" | head -3)"
	fi
done
for a in "smash:0xe:writing its own text (#PF)" "execdata:0xe:running its own data (#PF)" \
	"loadcr3:0xd:loading another CR3 (#GP)" "rowrite:0xe:writing its read-only data (#PF)" \
	"ptwrite:0xe:writing its page tables (#PF)" "dtwrite:0xe:writing its GDT (#PF)" \
	"relrowrite:0xe:writing Hyperscan's table of code addresses (#PF)"; do
	k=${a%%:*} rest=${a#*:} vec=${rest%%:*} desc=${rest#*:}
	for L in $k,spin pass,$k,spin; do
		run "$k-$L" --layers $L --layer-args 1,100
		if [ $rc = 6 ] && grep -q "\"event\":\"violation\".*\"what\":\"fault\",\"value\":\"$vec\"" "$T/$k-$L" &&
			[ "$(field "$k-$L" doorbells)" = 0 ]; then
			ok "violation: an intermediate layer $desc halts $L (exit 6)"
		else
			notok "$k $L" "exit $rc, $(grep -o '"event":"\(violation\|end\)"[^}]*' "$T/$k-$L" | head -2)"
		fi
	done
done

# Sealing: what a layer maps into its child without W (system area, code) no
# VM of the stack can write any more, its parent included; code is mapped
# executable only when the root measured it, and never writable.
for a in "scribble:write to sealed range:writing its child's code" \
	"ptscribble:write to sealed range:writing its child's page tables" \
	"wxmap:writable code map:mapping writable memory into its child as code" \
	"badcode:unmeasured code:mapping its own bytes into its child as code" \
	"wxpte:writable code page:making its child's data executable in its page tables" \
	"ptloop:page tables too large:giving its child page tables of 512^3 tables" \
	"idtwrite:descriptor tables not the sealed ones:pointing a gate of its child's IDT elsewhere"; do
	k=${a%%:*} rest=${a#*:} what=${rest%%:*} desc=${rest#*:}
	for L in $k,spin pass,$k,spin; do
		d=1; [ "$L" = "pass,$k,spin" ] && d=2
		run "seal-$L" --layers $L --layer-args 1,100
		if [ $rc = 6 ] && grep -q "\"event\":\"violation\",\"layer\":\"L$d#[0-9]*\",\"depth\":$d,\"what\":\"$what\",\"value\":\"0x[0-9a-f]*\",\"action\":\"halt\"" "$T/seal-$L" &&
			! grep -q 'the root let it pass' "$T/seal-$L" && [ "$(field "seal-$L" doorbells)" = 0 ]; then
			ok "sealing: a layer $desc halts $L (\"$what\", exit 6, nothing passed)"
		else
			notok "sealing $L" "exit $rc, $(grep -o '"event":"\(violation\|end\)"[^}]*' "$T/seal-$L" | head -2)"
		fi
	done
done

# Sealing, the descriptor tables and the page tables: a layer that maps its
# child's system area as two maps (the fault stub's page writable), aliases its
# child's page tables writable above 2 MiB, or points its child's IDT page at
# the child's free memory is a violation of that layer before the child runs.
for a in "splitsys:descriptor tables writable:mapping its child's fault stub writable beside a read-only system area" \
	"ptalias:page tables mapped twice:mapping its child's page tables into it again, writable" \
	"sysalias:page tables move the system area:moving its child's IDT into the child's free memory"; do
	k=${a%%:*} rest=${a#*:} what=${rest%%:*} desc=${rest#*:}
	m=1; [ $k = ptalias ] && m=9
	for L in $k,spin pass,$k,spin; do
		d=1; [ "$L" = "pass,$k,spin" ] && d=2
		run "seal-$L" --layers $L --layer-args $m,100
		if [ $rc = 6 ] && grep -q "\"event\":\"violation\",\"layer\":\"L$d#[0-9]*\",\"depth\":$d,\"what\":\"$what\",\"value\":\"0x[0-9a-f]*\",\"action\":\"halt\"" "$T/seal-$L" &&
			! grep -q 'the root let it pass' "$T/seal-$L" && [ "$(field "seal-$L" doorbells)" = 0 ]; then
			ok "sealing: a layer $desc halts $L (\"$what\", exit 6, nothing passed)"
		else
			notok "sealing $L" "exit $rc, $(grep -o '"event":"\(violation\|end\)"[^}]*\|"text":"[a-z0-9]*: [^"]*"' "$T/seal-$L" | head -3)"
		fi
	done
done

# A child cannot make its parent's device model write where it may not write
# itself: rings and device-writable buffers pointed at its sealed pages get a
# broken device (needs reset) or a refused request, never a "violation" of
# the honest layer serving it; after a reset the device serves it again.
head -c 1048576 /dev/zero >"$T/badring.img"
for L in badring pass,badring pass,pass,badring; do
	d=$(echo $L | tr , '\n' | wc -l)
	for a in "1:code:its used ring in its code" "2:system:its used ring in its system area" \
		"3:tables:its used ring among its page tables" "4:status:a status byte in its code" \
		"5:idbuf:a GET_ID buffer in its read-only data"; do
		m=${a%%:*} rest=${a#*:} k=${rest%%:*} desc=${rest#*:}
		n=badring-$m-$(echo $L | tr , _)
		run $n --layers $L --layer-args $m --disk "$T/badring.img"
		if [ $d = 1 ]; then refusal='"event":"device_refused","layer":"L1#[0-9]*"'
		else refusal="\"layer\":\"L$((d - 1))#[0-9]*\",\"text\":\"pass: disk: "; fi
		if [ $rc = 0 ] && [ "$(field $n code)" = 0 ] && ! grep -q '"event":"violation"' "$T/$n" &&
			grep -q "\"text\":\"badring: $k: refused, and an honest request after the reset works\"" "$T/$n" &&
			grep -q "$refusal" "$T/$n"; then
			ok "device model: a child pointing $desc at depth $d is refused, its parent goes on"
		else
			notok "device model badring $k $L" "exit $rc code $(field $n code), $(grep -o '"event":"violation"[^}]*\|"text":"badring: [^"]*"' "$T/$n" | head -2)"
		fi
	done
done

# Control state: a parent that sets its child any state but the ring-3 entry
# state (CPL 0, paging off, EFER.SCE, CR4, CR0.CD or WP, IOPL, an LDT) is
# refused (EPERM, logged), the child keeps its state and runs on.
for L in ring0,spin pass,ring0,spin; do
	d=1; [ "$L" = "pass,ring0,spin" ] && d=2
	run "ring0-$L" --layers $L --layer-args 1,100
	n=$(grep -c "\"event\":\"hc_refused\",\"layer\":\"L$d#[0-9]*\",\"call\":\"vcpu_set\",\"nr\":4,\"error\":-4}" "$T/ring0-$L")
	if [ $rc = 0 ] && [ "$n" = 10 ] && grep -q '"text":"ring0: 10 of 10 states refused"' "$T/ring0-$L" &&
		! grep -q '"event":"violation"' "$T/ring0-$L" && [ "$(field "ring0-$L" doorbells)" = 100 ]; then
		ok "control state: 10 non-ring-3 states set by L$d refused in $L, the child runs on (100 doorbells)"
	else
		notok "control state $L" "exit $rc, $n refused at L$d, $(grep -o '"text":"ring0: [^"]*"\|"event":"\(violation\|end\)"[^}]*' "$T/ring0-$L" | head -12 | tr '\n' ' ')"
	fi
done

# The restart policy: the layer that broke its integrity is rebuilt from its
# sealed image with its subtree (by the root for layer 1, by its parent
# otherwise), RP_MAX_RESTARTS (3) times at most, then the stack halts. flaky
# breaks once, after 200 exits of its child: its spin child then runs its
# 1000 doorbells again (199 + 1000 reach the root). Under halt, it stops.
for L in flaky,spin pass,flaky,spin pass,pass,flaky,spin; do
	run "restart-$L" --layers $L --layer-args 1,1000 --on-violation restart
	if [ $rc = 0 ] && [ "$(grep -c '"event":"violation".*"action":"restart"' "$T/restart-$L")" = 1 ] &&
		[ "$(grep -c '"event":"layer_restart"' "$T/restart-$L")" = 1 ] &&
		[ "$(field "restart-$L" doorbells)" = 1199 ]; then
		ok "restart: $L goes on after its flaky layer is rebuilt (exit 0, 1199 doorbells)"
	else
		notok "restart $L" "exit $rc, doorbells $(field "restart-$L" doorbells), $(grep -o '"event":"\(violation\|layer_restart\|end\)"[^}]*' "$T/restart-$L" | head -3)"
	fi
done
run "restart-halt" --layers pass,flaky,spin --layer-args 1,1000
[ $rc = 6 ] && grep -q '"event":"violation".*"action":"halt"' "$T/restart-halt" &&
	! grep -q '"event":"layer_restart"' "$T/restart-halt" &&
	ok "restart: under the default policy the same stack halts (exit 6)" ||
	notok "restart-halt" "exit $rc"
for L in scribble,spin pass,scribble,spin; do
	run "restart-limit-$L" --layers $L --layer-args 1,100 --on-violation restart
	r=$(grep -c '"event":"violation".*"action":"restart"' "$T/restart-limit-$L")
	h=$(grep -c '"event":"violation".*"action":"halt"' "$T/restart-limit-$L")
	[ $rc = 6 ] && [ "$r" = 3 ] && [ "$h" = 1 ] &&
		ok "restart: a layer that breaks again every time is rebuilt 3 times, then $L halts" ||
		notok "restart-limit $L" "exit $rc, $r restarts, $h halts"
done

# A guest VM (RP_VM_IRQCHIP) is not a layer: the ABI's ports mean nothing
# from it. guestport's child is one, running spin mode 10: a hypercall to
# 0x510 (rax must come back unchanged) and a vector to 0x511 reach its
# parent as port I/O, no violation, then its 100 doorbells.
for L in guestport,spin pass,guestport,spin; do
	run "guestport-$L" --layers $L --layer-args 10,100
	if [ $rc = 0 ] && ! grep -q '"event":"violation"' "$T/guestport-$L" &&
		grep -q '"text":"guestport: the guest.s out to 0x510 (0x0) came to me as port I/O"' "$T/guestport-$L" &&
		grep -q '"text":"guestport: the guest.s out to 0x511 (0x6) came to me as port I/O"' "$T/guestport-$L" &&
		[ "$(field "guestport-$L" doorbells)" = 100 ]; then
		ok "guest VM: its out to the ABI's ports reaches its parent as port I/O in $L (no violation, 100 doorbells)"
	else
		notok "guestport $L" "exit $rc, doorbells $(field "guestport-$L" doorbells), $(grep -o '"event":"\(violation\|end\)"[^}]*' "$T/guestport-$L" | head -2)"
	fi
done

# SIGTERM is not held off by RP_HC_WAIT: churn waits an hour in its first
# pause; the stack must end with exit 5 within 2 s of the signal.
"$R" run --layers churn --layer-args 3600000,1 2>"$T/waitstop" &
pid=$!
i=0
while ! grep -q "churn: pause 1" "$T/waitstop" 2>/dev/null && [ $i -lt $((1000 * TIME_SCALE)) ]; do
	i=$((i + 1)); sleep 0.01
done
sleep 0.2
# Milliseconds from /proc/uptime: busybox's date (the test host's) has no %N.
uptime_ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }
t0=$(uptime_ms)
kill -TERM $pid
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 50 ]; do i=$((i + 1)); sleep 0.1; done
ms=$(($(uptime_ms) - t0))
kill -KILL $pid 2>/dev/null
wait $pid
rc=$?
if [ $rc = 5 ] && [ $ms -le 2000 ] && grep -q '"why":"stopped by signal 15"' "$T/waitstop"; then
	ok "sigterm ends a stack whose layer waits an hour in RP_HC_WAIT (exit 5 after $ms ms)"
else
	notok "sigterm in RP_HC_WAIT" "exit $rc after $ms ms, $(tail -n 1 "$T/waitstop")"
fi

# A layer asleep in RP_HC_WAIT holds no other layer's clock: churn waits
# 1 s twice above a tick layer whose timer is 10 ms; the tick layer must
# get its events all the while (about 200; at least 100 asked), not one
# when the wait ends.
run waitclock --layers tick,churn --layer-args 1000,1,10000000
cnt=$(grep -o '"layer":"L1#[0-9]*","text":"event depth=1 count=[0-9]*"' "$T/waitclock" | sed 's/.*count=//;s/"//')
if [ $rc = 0 ] && [ -n "$cnt" ] && [ "$cnt" -ge 100 ]; then
	ok "timers: a layer waiting 2 x 1 s keeps its ancestor's 10 ms timer going ($cnt events)"
else
	notok "timers under a waiting layer" "exit $rc, $cnt events at L1 (want at least 100)"
fi

# Seals split slots; lifting them merges the pieces again. reseal builds,
# runs and destroys its child 64 times, 4 KiB further up each time: layer
# 1's map table must peak where a plain pass's does. sealfill seals pages
# of its memory until the root refuses a seal: ENOMEM, no violation, its
# memory all mapped, and its table back to its start once the seals go.
field_start() { grep '"event":"stack_start"' "$T/$1" | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"; }
run slots-pass --layers pass,spin --layer-args 1,100
run slots-reseal --layers reseal,spin --layer-args 1,100
want=$(field slots-pass slots_max) got=$(field slots-reseal slots_max)
if [ $rc = 0 ] && [ -n "$want" ] && [ "$got" = "$want" ] && [ "$(field slots-reseal doorbells)" = 100 ]; then
	ok "slots: 64 children built and destroyed keep layer 1's map table at $got slots (a pass's peak)"
else
	notok "slots reseal" "exit $rc, slots_max $got want $want, $(grep -o '"event":"\(violation\|end\)"[^}]*' "$T/slots-reseal" | head -2)"
fi
run slots-fill --layers sealfill --layer-mem 16M
if [ $rc = 0 ] && ! grep -q '"event":"violation"' "$T/slots-fill" &&
	grep -q '"text":"sealfill: map [0-9]* refused with -10; memory intact"' "$T/slots-fill" &&
	[ "$(field slots-fill slots)" = "$(field_start slots-fill slots)" ]; then
	ok "slots: a seal past the slot limit is refused (ENOMEM), nothing half done; $(field slots-fill slots_max) slots at most, $(field slots-fill slots) at the end"
else
	notok "slots sealfill" "exit $rc, slots $(field slots-fill slots) start $(field_start slots-fill slots), $(grep -o '"\(text\|event\)":"\(sealfill[^"]*\|violation\|end\)"[^}]*' "$T/slots-fill" | head -2)"
fi

# Event volume: flood makes 100000 refused calls and 100000 log calls. The
# log must stay under 256 KiB, and the lines it shows plus the counts of
# its log_dropped lines must add up to every call, exactly.
timeout $((60 * TIME_SCALE)) "$R" run --layers flood 2>"$T/flood" # 200000 exits: more than run's 20 s under load
rc=$?
bytes=$(wc -c <"$T/flood")
dropped() { grep "\"event\":\"log_dropped\",\"layer\":\"L1#[0-9]*\",\"kind\":\"$2\"" "$T/$1" |
	sed 's/.*"dropped":\([0-9]*\).*/\1/' | awk '{ s += $1 } END { print s + 0 }'; }
rl=$(grep -c '"event":"hc_refused","layer":"L1#' "$T/flood") rd=$(dropped flood hc_refused)
ll=$(grep -c '"event":"layer_log","layer":"L1#' "$T/flood") ld=$(dropped flood layer_log)
if [ $rc = 0 ] && [ "$bytes" -lt 262144 ] && [ $((rl + rd)) = 100000 ] &&
	[ "$(field flood refused)" = 100000 ] && [ $((ll + ld)) = 100001 ] &&
	grep -q '"text":"flood: done"' "$T/flood"; then
	ok "event volume: 200000 calls, $bytes bytes of log (refusals $rl shown + $rd dropped, log lines $ll + $ld)"
else
	notok "event volume" "exit $rc, $bytes bytes, refusals $rl + $rd of $(field flood refused), log lines $ll + $ld"
fi

# Resource limits per stack: each hog layer takes the 15 VMs (one vCPU each)
# its own quotas allow before starting the next. The stack's VM limit (64)
# stops the chain at depth 4; that hog then adds vCPUs until the stack's
# vCPU limit (128) refuses one. Both refusals are EQUOTA, and the stack
# ends cleanly (code 0).
run hog --layers hog,hog,hog,hog,hog,hog
if [ $rc = 0 ] && [ "$(field hog code)" = 0 ] &&
	grep -q '"text":"hog: depth 4: VM_CREATE refused with -5 after 15 VMs; VCPU_CREATE refused with -5 after [0-9]* vCPUs"' "$T/hog"; then
	ok "resource limits: a chain of hogs meets the stack's 64 VMs and 128 vCPUs (EQUOTA, clean end)"
else
	notok "resource limits" "exit $rc, code $(field hog code), $(grep -o '"text":"hog:[^"]*"' "$T/hog")"
fi

# Diversity of the images themselves (addresses, W^X, the seed's order) is
# tests/layers/images.sh's: it needs no KVM.

# A stack of two variants runs, and its events say which variant each layer runs.
measured() { grep -o "\"event\":\"measured\",\"layer\":$2,\"kind\":\"[a-z]*\",\"variant\":\"$3\",\"path\":\"[^\"]*/layer-$3.elf\"" "$T/$1"; }
run var2 --layers pass@clang,spin@gcc --layer-args 1,100
if [ $rc = 0 ] && [ "$(field var2 doorbells)" = 100 ] && measured var2 1 clang >/dev/null &&
	measured var2 2 gcc >/dev/null && grep -q '"event":"stack_start".*"variants":"clang,gcc"' "$T/var2"; then
	ok "variants: pass@clang,spin@gcc runs (100 doorbells), each layer's variant logged"
else
	notok "variants pass@clang,spin@gcc" "rc $rc, $(grep -o '"event":"\(measured\|stack_start\)"[^}]*' "$T/var2")"
fi
run vardef --layers pass,pass,pass,spin --layer-args 1,100
if [ $rc = 0 ] && grep -q '"event":"stack_start".*"variants":"gcc,clang,gcc,clang"' "$T/vardef" &&
	measured vardef 4 clang >/dev/null; then
	ok "variants: by default adjacent layers differ (gcc,clang,gcc,clang)"
else
	notok "variants default" "rc $rc, $(grep -o '"variants":"[^"]*"' "$T/vardef")"
fi

# Per-boot canaries: each layer logs a hash of its own (never the canary);
# the guard its compiled code checks is that canary; two boots, four values.
canaries() { sed -n 's/.*"text":"canary: depth \([0-9]\) sha256 \([0-9a-f]*\) guard is the canary".*/\1 \2/p' "$T/$1"; }
run can1 --layers canary,canary,spin --layer-args 1,10
c1=$(canaries can1)
run can2 --layers canary@clang,canary@gcc,spin --layer-args 1,10
c2=$(canaries can2)
l1a=$(echo "$c1" | awk '$1 == 1 { print $2 }') l2a=$(echo "$c1" | awk '$1 == 2 { print $2 }')
l1b=$(echo "$c2" | awk '$1 == 1 { print $2 }') l2b=$(echo "$c2" | awk '$1 == 2 { print $2 }')
if [ $rc = 0 ] && [ ${#l1a} = 16 ] && [ ${#l2a} = 16 ] && [ ${#l1b} = 16 ] && [ ${#l2b} = 16 ] &&
	[ "$l1a" != "$l1b" ] && [ "$l2a" != "$l2b" ] && [ "$l1a" != "$l2a" ] && [ "$l1b" != "$l2b" ]; then
	ok "canaries: fresh per boot and per layer ($l1a $l2a, then $l1b $l2b)"
else
	notok "canaries" "rc $rc, boot 1: $(echo $c1), boot 2: $(echo $c2)"
fi

# A smashed stack frame is caught in either variant, at depth 1 or 2: the
# layer logs it and ends with 0x57ac (22444), which ends the stack.
for L in overrun@gcc overrun@clang pass@gcc,overrun@clang pass@clang,overrun@gcc; do
	d=$(echo $L | tr , '\n' | grep -n '^overrun' | cut -d: -f1)
	run "overrun-$L" --layers $L --layer-args 64
	if grep -q "\"layer\":\"L$d#[0-9]*\",\"text\":\"layer: stack smashing detected (__stack_chk_fail)" "$T/overrun-$L" &&
		! grep -q 'overrun: returned' "$T/overrun-$L" && [ "$(field "overrun-$L" code)" = 22444 ]; then
		ok "stack protector: a 64-byte write into a 16-byte buffer ends $L (code 0x57ac)"
	else
		notok "stack protector $L" "rc $rc, $(grep -o '"\(text\|why\)":"[^"]*"' "$T/overrun-$L" | tail -3)"
	fi
done
run overrun-in --layers pass,overrun --layer-args 16
grep -q 'overrun: returned' "$T/overrun-in" && ! grep -q 'stack smashing' "$T/overrun-in" &&
	[ $rc = 0 ] && [ "$(field overrun-in code)" = 0 ] &&
	ok "stack protector: a write in bounds returns (code 0)" ||
	notok "stack protector in bounds" "rc $rc, $(grep -o '"\(text\|why\)":"[^"]*"' "$T/overrun-in" | tail -3)"

# The operator stops a busy stack: a clean end with the signal's status.
"$R" run --layers pass,spin --layer-args 2,1000000000000 2>"$T/stop" &
pid=$!
# once the stack runs (its handlers are in before stack_start): a slow host
# can take longer than any fixed sleep to get there
i=0
while ! grep -qs '"event":"stack_start"' "$T/stop" && [ $i -lt $((100 * TIME_SCALE)) ]; do
	sleep 0.1
	i=$((i + 1))
done
sleep 0.2
kill -TERM $pid
wait $pid
rc=$?
if [ $rc = 5 ] && grep -q '"why":"stopped by signal 15"' "$T/stop"; then
	ok "sigterm ends a busy stack cleanly (exit 5)"
else
	notok "sigterm" "exit $rc, $(tail -n 1 "$T/stop")"
fi

summary layers
