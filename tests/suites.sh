#!/bin/sh
# Run the named suites here, one after the other, each between two marker
# lines that tests/run.sh reads back (also from the test host's console):
#   # begin NAME
#   ...its checks and its summary line...
#   # end NAME rc=N
# NAME: cli-kvm, layers, io, fw, wrap, ids, replay, jail, limits, system (comma- or space-separated); NAME@testhost
# is NAME (tests/run.sh's way of running it in the test host as well).
cd "$(dirname "$0")/.." || exit 1
# Under QEMU as the VMM, the layer checks cannot run: they are skipped, as expected.
[ "${RAMPART_VMM:-rampart}" = qemu ] && export RAMPART_ALLOW_SKIP=1
rc_all=0
for name in $(echo "$*" | tr , ' '); do
	case ${name%@testhost} in
	cli-kvm) script=tests/cli/kvm.sh ;;
	layers) script=tests/layers/run.sh ;;
	io) script=tests/layers/io.sh ;;
	fw) script=tests/layers/fw.sh ;;
	wrap) script=tests/layers/wrap.sh ;;
	ids) script=tests/layers/ids.sh ;;
	replay) script=tests/layers/replay.sh ;;
	jail) script=tests/layers/jail.sh ;;
	limits) script=tests/layers/limits.sh ;;
	system) script=tests/system/suite.sh ;;
	*) echo "# begin $name"; echo "not ok $name: no such suite"; echo "# end $name rc=2"; rc_all=1; continue ;;
	esac
	echo "# begin $name"
	sh "$script"
	rc=$?
	echo "# end $name rc=$rc"
	[ $rc = 0 ] || rc_all=1
done
exit $rc_all
