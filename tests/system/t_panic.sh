#!/bin/sh
# A panicking guest (panic=-1 reboot=k: the panic becomes a reset) ends the
# VMM with exit status 2 and a status line that says so.
. "$(dirname "$0")/lib.sh"
T=panic
need_vmm $T
guest "$SCRATCH/log" panic ""
rc=$?
line=$(tr -d '\r' <"$SCRATCH/log" | grep -i '^rampart.*reset' | tail -n1)
if ! tr -d '\r' <"$SCRATCH/log" | grep -q 'Kernel panic'; then notok $T "the guest did not panic (exit $rc)"; tail_log "$SCRATCH/log"
elif [ $rc != 2 ]; then notok $T "exit status $rc, want 2 (reset)"; tail_log "$SCRATCH/log"
elif [ "$VMM" = rampart ] && [ -z "$line" ]; then notok $T "exit 2 but no 'rampart: ... reset' status line"; tail_log "$SCRATCH/log"
else ok "$T (exit 2${line:+; \"$line\"})"; fi
