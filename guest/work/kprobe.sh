# The guest patches its own kernel text through a real kernel feature: a
# kprobe on do_sys_openat2 (with KPROBES_ON_FTRACE, ftrace rewrites the
# function's entry; otherwise kprobes write an int3 there). ARG "B:A":
# sleep B seconds untouched, set and enable the probe, open files through
# it, sleep A seconds. For the watch layer's test (t_layers_watch.sh).
# "B:A:OFF" first fills 32 MiB of memory with decoy kernel banners: each
# 4 KiB page holds "Linux version " at OFF ((linux_banner - _text) mod
# 4096), so some 16 of them lie where the watch looks for the kernel's
# banner, as any unprivileged process could place them.
# "B:A:OFF:H" also hides the probe from the watch as a vmm the guest took
# over could (the vmmhide layer, src/layer/vmmhide.c): "RAMPART-HIDE-ON"
# on the console (a second guest VM appears below the watch), H seconds,
# the probe, H seconds, "RAMPART-HIDE-OFF" (it goes), then A seconds.
# "B:A:OFF:H:I" then also has that vmm repoint the guest's IDT register,
# H seconds after the layout is back: "RAMPART-IDT-MOVE <idt_table's
# address>" (the table the CPU reads through its read-only alias, so the
# guest lives on), I seconds, "RAMPART-IDT-BACK", I seconds.
. /work/_lib.sh
b=${1%%:*} rest=${1#*:}
a=${rest%%:*} off=
[ "$rest" != "$a" ] && off=${rest#*:}
hide= idt=
case $off in *:*) hide=${off#*:} off=${off%%:*} ;; esac
case $hide in *:*) idt=${hide#*:} hide=${hide%%:*} ;; esac
T=/sys/kernel/tracing
[ -d $T/events ] || mount -t tracefs nodev $T || { echo "rampart-work: no tracefs"; exit 1; }
if [ -n "$off" ]; then
	f=/tmp/rampart-banners
	{ head -c "$off" /dev/zero; printf 'Linux version '; head -c $((4096 - off - 14)) /dev/zero; } >$f
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13; do cat $f $f >$f.2 && mv $f.2 $f; done
	result banner_pages=$(($(wc -c <$f) / 4096))
fi
echo "rampart-work: untouched for ${b} s"
sleep "$b"
if [ -n "$hide" ]; then
	echo "RAMPART-HIDE-ON"
	sleep "$hide"
fi
echo "p:rampart_watch do_sys_openat2" >$T/kprobe_events || { echo "rampart-work: kprobe_events refused"; exit 1; }
echo 1 >$T/events/kprobes/rampart_watch/enable || { echo "rampart-work: enabling the kprobe failed"; exit 1; }
cat /proc/version >/dev/null
hits=$(grep -c rampart_watch $T/trace)
echo "RAMPART-KPROBE-ON"
result kprobe_hits="$hits"
if [ -n "$hide" ]; then
	sleep "$hide"
	echo "RAMPART-HIDE-OFF"
fi
if [ -n "$idt" ]; then
	sleep "$hide"
	at=$(awk '$3 == "idt_table" { print $1; exit }' /proc/kallsyms)
	case $at in "" | 0000000000000000) echo "rampart-work: no idt_table address in /proc/kallsyms"; exit 1 ;; esac
	result idt_table=0x$at
	echo "RAMPART-IDT-MOVE 0x$at"
	sleep "$idt"
	echo "RAMPART-IDT-BACK"
	sleep "$idt"
fi
sleep "$a"
