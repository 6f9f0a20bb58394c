#!/bin/sh
# The system tests (make system): real Linux guests, where hardware
# virtualization is (directly, or inside the test host). tests/run.sh decides
# and counts; RAMPART_VMM=qemu runs the same workloads under QEMU microvm
# (the layer checks are then skipped, as expected).
exec "$(dirname "$0")/../run.sh" system
