/* SPDX-License-Identifier: MIT */
/*
 * kvm_ioctl (kvm.h) alone in its file: the one place the root's tree,
 * seal and hypercall code (ln_*.c) and kvm.c reach KVM but KVM_RUN and
 * the capability checks. The unit tests and the hypercall fuzzer link a
 * fake in its place (tests/unit/fake_kvm.c); nothing else differs.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "root/kvm.h"
#include "root/log.h"

int kvm_ioctl(int fd, unsigned long req, void *arg, const char *name)
{
	int r, err;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	if (r < 0 && name) {
		err = errno;
		log_err("%s failed: %s", name, strerror(err));
		errno = err; /* the line's write may have changed it */
	}
	return r;
}
