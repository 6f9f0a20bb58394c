# Crash the kernel (panic=-1 on the command line turns this into a reset).
echo c >/proc/sysrq-trigger
sleep 10
exit 1
