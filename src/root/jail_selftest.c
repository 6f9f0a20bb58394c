/* SPDX-License-Identifier: MIT */
/*
 * The test build's --jail-selftest ROLE (rampart-test only, RP_TEST_BUILD:
 * main.c sets jail_selftest_hook to it): once jailed, that thread makes a
 * call its list forbids, and the SIGSYS report must end the process with
 * the call and the role named (tests/layers/jail.sh). The production root
 * links none of it: its hook stays NULL.
 */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "root/jail.h"
#include "root/log.h"

void jail_selftest(const struct jail_config *c, enum jail_role role)
{
	if (!c->off && c->selftest == JAIL_BADARCH && role == JAIL_MAIN) {
		/* i386's getpid through int 0x80: another ABI, killed outright (SIGSYS) */
		__asm__ volatile("int $0x80" : : "a"(20) : "memory");
		log_err("jail: self-test: the i386 call returned");
		_exit(1);
	}
	if (c->off || c->selftest != (int)role)
		return;
	/*
	 * The main thread and the supervisor: a socket (no list has one);
	 * another: an eventfd, which only the chain may make.
	 */
	if (role == JAIL_MAIN || role == JAIL_SUPERVISOR)
		syscall(SYS_socket, 2 /* AF_INET */, 1 /* SOCK_STREAM */, 0);
	else
		syscall(SYS_eventfd2, 0, 0);
	log_err("jail: self-test: the forbidden call returned (%s)", strerror(errno));
	_exit(1);
}
