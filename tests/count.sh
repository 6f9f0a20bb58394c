# One way to count and report checks, sourced by every suite.
#   ok NAME [DETAIL]      a check that ran and passed
#   notok NAME REASON     a check that ran and failed
#   skip NAME REASON      a check that could not run here: printed as
#                         "ok NAME # skip: REASON" and counted as skipped,
#                         never as passed
#   summary SUITE         prints "SUITE: N passed, N failed, N skipped" and
#                         returns non-zero on a failure, or on a skip unless
#                         RAMPART_ALLOW_SKIP=1 (a skipped check is one that
#                         was expected to run on this host and did not)
pass=0 fail=0 skip=0
# Time limits are multiplied by this where guests run slower (the test host
# sets it: TCG runs their code ~15 times slower than a native core).
TIME_SCALE=${RAMPART_TIME_SCALE:-1}
ok() { echo "ok $*"; pass=$((pass + 1)); }
notok() { _n=$1; shift; echo "not ok $_n: $*"; fail=$((fail + 1)); }
skip() { _n=$1; shift; echo "ok $_n # skip: $*"; skip=$((skip + 1)); }
summary() {
	[ "$skip" = 0 ] || echo "# $1: $skip check(s) skipped: they did not run on this host"
	echo "$1: $pass passed, $fail failed, $skip skipped"
	[ "$fail" = 0 ] && { [ "$skip" = 0 ] || [ "${RAMPART_ALLOW_SKIP:-0}" = 1 ]; }
}

# busybox sh (the test host's) runs its own applets before $PATH: ip, timeout
# and setpriv must be the real ones (iproute2's netns, GNU timeout's exit
# status 124, util-linux's --reuid). A function wins over an applet.
for _t in ip timeout setpriv; do
	for _d in /usr/sbin /usr/bin /sbin /bin; do
		if [ -x "$_d/$_t" ] && [ ! -L "$_d/$_t" ]; then
			eval "$_t() { $_d/$_t \"\$@\"; }"
			break
		fi
	done
done
