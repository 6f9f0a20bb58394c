# The guest patches its own kernel text through a real kernel feature: a
# kprobe on do_sys_openat2 (with KPROBES_ON_FTRACE, ftrace rewrites the
# function's entry; otherwise kprobes write an int3 there). ARG "B:A":
# sleep B seconds untouched, set and enable the probe, open files through
# it, sleep A seconds. For the watch layer's test (t_layers_watch.sh).
. /work/_lib.sh
b=${1%%:*} a=${1##*:}
T=/sys/kernel/tracing
[ -d $T/events ] || mount -t tracefs nodev $T || { echo "rampart-work: no tracefs"; exit 1; }
echo "rampart-work: untouched for ${b} s"
sleep "$b"
echo "p:rampart_watch do_sys_openat2" >$T/kprobe_events || { echo "rampart-work: kprobe_events refused"; exit 1; }
echo 1 >$T/events/kprobes/rampart_watch/enable || { echo "rampart-work: enabling the kprobe failed"; exit 1; }
cat /proc/version >/dev/null
hits=$(grep -c rampart_watch $T/trace)
echo "RAMPART-KPROBE-ON"
result kprobe_hits="$hits"
sleep "$a"
