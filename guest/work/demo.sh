# The demo: disk write + read-back check, network both ways, a summary.
. /work/_lib.sh
ok=0
wait_for /dev/vda 10 || exit 1
pattern demo 4 | dd of=/dev/vda bs=1M iflag=fullblock oflag=direct conv=fsync 2>/dev/null
w=$(pattern demo 4 | sha)
echo 3 >/proc/sys/vm/drop_caches
r=$(dd if=/dev/vda bs=1M count=4 iflag=direct 2>/dev/null | sha)
if [ "$w" = "$r" ]; then disk=ok; else disk=FAIL; ok=1; fi
result "demo_disk=$disk disk_write_sha256=$w disk_read_sha256=$r"
net_up || exit 1
pattern net-g2h 4 >/tmp/send
s=$(sha </tmp/send)
t0=$(now_cs)
if send_to_host </tmp/send; then tx=sent; else tx=FAIL; ok=1; fi
t1=$(now_cs)
result "net_send_sha256=$s bytes=4194304 MBps=$(rate 4194304 $((t1 - t0)))"
t0=$(now_cs)
if recv_from_host >/tmp/recv; then rx=received; else rx=FAIL; ok=1; fi
t1=$(now_cs)
n=$(wc -c </tmp/recv)
result "net_recv_sha256=$(sha </tmp/recv) bytes=$n MBps=$(rate "$n" $((t1 - t0)))"
result "demo_summary disk=$disk net_tx=$tx net_rx=$rx"
exit $ok
