#!/bin/sh
# Run every tests/system/t_*.sh in turn, here (the caller has checked that
# /dev/kvm is hardware KVM: run.sh on a vmx/svm host, or the test host).
# Each prints "ok NAME" or "not ok NAME: reason"; this prints a timing line.
cd "$(dirname "$0")" || exit 1
for t in t_*.sh; do
	s=$(cut -d' ' -f1 /proc/uptime)
	sh "./$t"
	e=$(cut -d' ' -f1 /proc/uptime)
	echo "# $t took $(echo "$e $s" | awk '{ printf "%.1f", $1 - $2 }') s"
done
