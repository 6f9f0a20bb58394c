# Diagnostics: the guest's clock, CPU flags, interrupts and CPU time around
# an iperf3 run (iperf.sh's argument).
echo "clocksource: $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
grep -m1 '^flags' /proc/cpuinfo
grep -m1 'MHz' /proc/cpuinfo
head -n1 /proc/stat
cat /proc/interrupts
sh /work/iperf.sh "$1"
head -n1 /proc/stat
cat /proc/interrupts
cat /proc/net/snmp | grep -A1 '^Tcp:'
