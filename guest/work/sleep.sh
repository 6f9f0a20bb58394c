# Sleep ARG seconds doing nothing (an idle guest, for the host's CPU cost of idling).
. /work/_lib.sh
echo "rampart-work: sleeping ${1:-30} s"
sleep "${1:-30}"
result slept_s="${1:-30}"
