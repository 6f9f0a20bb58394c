#!/bin/sh
# The restart policy with a real guest: --layers pass,flaky,vmm
# --on-violation restart. The flaky layer breaks its integrity once (it
# writes its own text after 200 exits of the vmm, the guest's console
# bytes among them): the root reports the violation, and the pass layer
# below rebuilds it from its sealed image with its subtree, the vmm and
# the Linux guest, which boots again and powers off normally (exit 0).
# Under the default policy the same stack halts (exit 6). flaky is a test
# personality: the test build runs it (build/test/rampart, its images
# beside it; RAMPART_TEST overrides).
RAMPART=${RAMPART_TEST:-$(cd "$(dirname "$0")/../.." && pwd)/build/test/rampart}
. "$(dirname "$0")/lib.sh"
T=layers_restart
need_layers $T
log=$SCRATCH/restart.log
guest_tolerant "$log" idle "" --layers pass,flaky,vmm --on-violation restart
rc=$?
# The guest's init after the restart: a RAMPART-INIT-OK line below the layer_restart event.
restart_at=$(grep -n '"event":"layer_restart"' "$log" | head -n1 | cut -d: -f1)
init_at=$(tr -d '\r' <"$log" | grep -n "RAMPART-INIT-OK" | tail -n1 | cut -d: -f1)
if [ $rc != 0 ]; then notok "$T" "exit status $rc, want 0"; tail_log "$log"
elif ! grep -q '"event":"violation","layer":"L2#[0-9]*","depth":2,"what":"fault","value":"0xe","action":"restart"' "$log"; then
	notok "$T" "no violation with action restart in layer 2"; tail_log "$log"
elif ! grep -q '"text":"pass: rebuilding my child after a violation"' "$log"; then
	notok "$T" "layer 1 did not rebuild its child"; tail_log "$log"
elif [ -z "$restart_at" ] || [ -z "$init_at" ] || [ "$init_at" -lt "$restart_at" ]; then
	notok "$T" "the guest did not reach init after the restart (restart at line ${restart_at:-none}, init at ${init_at:-none})"; tail_log "$log"
else
	guest "$SCRATCH/halt.log" idle "" --layers pass,flaky,vmm
	rc2=$?
	if [ $rc2 != 6 ]; then notok "$T" "under halt: exit status $rc2, want 6"; tail_log "$SCRATCH/halt.log"
	else ok "$T (a layer under the guest broke its integrity; restarted with its subtree, the guest booted again to init and powered off: exit 0; under halt: exit 6)"; fi
fi
