# Several vCPUs: how many the kernel brought up, a CPU-bound job on each at
# once (every hash must agree), and, with a disk, 4 MiB of pattern($1)
# written and read back by other processes while the jobs run; with a
# network, net.sh's 1 MiB each way meanwhile too.
. /work/_lib.sh
seed=${1:-1}
n=$(grep -c '^processor' /proc/cpuinfo)
busy0=$(awk '/^cpu[0-9]/ { printf "%s ", $2 + $4 }' /proc/stat)
t0=$(now_cs)
i=0
while [ "$i" -lt "$n" ]; do
	(pattern "$seed" 24 | sha >/tmp/h.$i) &
	i=$((i + 1))
done
netpid=''
if [ -e /sys/class/net/eth0 ]; then
	sh /work/net.sh 1 &
	netpid=$!
fi
dw='' dr=''
if [ -e /dev/vda ]; then
	pattern "$seed" 4 | dd of=/dev/vda bs=64k iflag=fullblock oflag=direct conv=fsync 2>/dev/null
	dw=$(pattern "$seed" 4 | sha)
	dr=$(dd if=/dev/vda bs=64k count=64 iflag=direct 2>/dev/null | sha)
fi
netrc=0
[ -n "$netpid" ] && { wait "$netpid" || netrc=$?; }
wait
t1=$(now_cs)
# the CPUs that did work during the jobs (user + system ticks grew)
busy=$(awk -v b="$busy0" 'BEGIN { split(b, a, " ") }
	/^cpu[0-9]/ { k++; if ($2 + $4 > a[k] + 5) n++ } END { print n + 0 }' /proc/stat)
hashes=$(cat /tmp/h.* | sort -u | wc -l)
result "cpus=$n online=$(cat /sys/devices/system/cpu/online) busy_cpus=$busy" \
	"distinct_hashes=$hashes hash=$(cat /tmp/h.0)" \
	"disk_write_sha256=$dw disk_read_sha256=$dr net_rc=$netrc jobs_cs=$((t1 - t0))"
