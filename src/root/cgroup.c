/* SPDX-License-Identifier: MIT */
/*
 * The root's own cgroup v2: the operator's bound on what a stack, and a
 * root that a guest or a layer took over, can take of the host's CPU and
 * memory (docs/jail.md).
 *
 * Invariants this file keeps:
 *  1. Asked for, applied, or the stack does not start: no cgroup v2, no cpu
 *     or memory controller there, or no right to create the cgroup, enable
 *     the controller or write the limit ends the run with one line naming
 *     it (exit 1), before /dev/kvm is opened.
 *  2. The limits are written before the process is moved in, and the move
 *     happens before any guest memory, thread or child exists: nothing of
 *     the stack ever runs outside the limits.
 *  3. Nothing asked, nothing touched: no cgroup file is read or written.
 *  4. The cgroup is the root's alone (rampart-PID, PID the process that
 *     made it), and removed at the end by whoever can: the process itself
 *     with --no-jail, else the supervisor of the pid namespace (jail.c)
 *     once the jailed root has ended (a jailed root cannot rmdir). A
 *     controller the root enabled in its parent's subtree is disabled again.
 */
#include "root/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "root/log.h"

/* Where cgroup v2 is mounted: alone (unified), or beside v1's (hybrid). */
static const char *const cg_mounts[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified", NULL};
/* A controller list or a cgroup's path read back: the kernel's lists are short. */
#define CG_TEXT_MAX 512
/*
 * rmdir right after the last process was reaped may still find the cgroup
 * busy while the kernel finishes tearing the process down: tries, 10 ms apart.
 */
#define CG_RMDIR_TRIES 50

static char cg_dir[PATH_MAX];    /* the root's cgroup; "" when none */
static char cg_parent[PATH_MAX]; /* the cgroup the root was in */
static char cg_undo[32];         /* "-cpu -memory": what we enabled in the parent's subtree */
/* The parent's files cgroup_remove writes, opened by cgroup_hold (or -errno). */
static int cg_subtree_fd = -ENOENT, cg_procs_fd = -ENOENT;
/* cgroup_hold ran: cgroup_remove opens nothing (the supervisor's list has no open). */
static bool cg_held;

/* dir/name opened for writing, or -errno. */
static int open_in(const char *dir, const char *name)
{
	char path[PATH_MAX + 32];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* 0, or the errno of writing text into fd (-errno: its open's). */
static int put_fd(int fd, const char *text)
{
	ssize_t n;

	if (fd < 0)
		return -fd;
	n = write(fd, text, strlen(text));
	if (n != (ssize_t)strlen(text))
		return n < 0 ? errno : EIO;
	return 0;
}

/* 0, or the errno of writing text into dir/name. */
static int put(const char *dir, const char *name, const char *text)
{
	int fd = open_in(dir, name), e = put_fd(fd, text);

	if (fd >= 0)
		close(fd);
	return e;
}

void cgroup_hold(void)
{
	if (!cg_dir[0])
		return;
	if (cg_undo[0])
		cg_subtree_fd = open_in(cg_parent, "cgroup.subtree_control");
	cg_procs_fd = open_in(cg_parent, "cgroup.procs");
	cg_held = true;
}

/* cgroup_remove's write of text into the parent's name, through fd when held. */
static int put_parent(int *fd, const char *name, const char *text)
{
	int e;

	if (!cg_held)
		return put(cg_parent, name, text);
	e = put_fd(*fd, text);
	if (*fd >= 0)
		close(*fd);
	*fd = -ENOENT;
	return e;
}

/* dir/name's first line into buf; 0 or -1. */
static int get(const char *dir, const char *name, char *buf, size_t size)
{
	char path[PATH_MAX + 32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* Whether the space-separated list holds word. */
static int has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return 1;
	return 0;
}

/* The cgroup v2 mount, or NULL. */
static const char *v2_mount(void)
{
	char path[PATH_MAX];
	struct statfs fs;
	unsigned i;

	for (i = 0; cg_mounts[i]; i++) {
		snprintf(path, sizeof(path), "%s/cgroup.controllers", cg_mounts[i]);
		if (statfs(cg_mounts[i], &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC &&
		    access(path, R_OK) == 0)
			return cg_mounts[i];
	}
	return NULL;
}

/* This process's cgroup v2 path ("0::/a/b" in /proc/self/cgroup) into buf; 0 or -1. */
static int own_path(char *buf, size_t size)
{
	char line[CG_TEXT_MAX];
	FILE *f = fopen("/proc/self/cgroup", "re");
	int r = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = 0;
			snprintf(buf, size, "%s", strcmp(line + 3, "/") ? line + 3 : "");
			r = 0;
		}
	fclose(f);
	return r;
}

static int fail(const char *what, int e)
{
	log_err("limits: %s: %s", what, strerror(e));
	cgroup_remove();
	return -1;
}

int cgroup_enter(const struct rp_limits *l)
{
	const char *need[2] = {l->cpu_quota_us ? "cpu" : NULL, l->memory ? "memory" : NULL};
	char ctl[CG_TEXT_MAX], sub[CG_TEXT_MAX], own[CG_TEXT_MAX], text[64], what[2 * PATH_MAX];
	const char *mnt;
	unsigned i;
	int e;

	if (!need[0] && !need[1])
		return 0;
	mnt = v2_mount();
	if (!mnt) {
		log_err("limits: this host has no cgroup v2 (no cgroup2 file system at "
			"/sys/fs/cgroup or /sys/fs/cgroup/unified): the CPU and memory limits "
			"cannot be applied");
		return -1;
	}
	if (own_path(own, sizeof(own))) {
		log_err("limits: no cgroup v2 path in /proc/self/cgroup");
		return -1;
	}
	snprintf(cg_parent, sizeof(cg_parent), "%s%s", mnt, own);
	if (get(cg_parent, "cgroup.controllers", ctl, sizeof(ctl)))
		ctl[0] = 0;
	for (i = 0; i < 2; i++)
		if (need[i] && !has_word(ctl, need[i])) {
			log_err("limits: cgroup v2 at %s offers no %s controller here (it offers "
				"'%s'; on a hybrid host cpu and memory are cgroup v1's)",
				cg_parent, need[i], ctl);
			return -1;
		}
	snprintf(cg_dir, sizeof(cg_dir), "%.*s/rampart-%d", PATH_MAX - 32, cg_parent, (int)getpid());
	if (mkdir(cg_dir, 0755)) {
		e = errno;
		snprintf(what, sizeof(what), "creating cgroup %s", cg_dir);
		cg_dir[0] = 0;
		return fail(what, e);
	}
	/* Out of the parent first: cgroup v2 enables controllers only for a cgroup with no process of its own. */
	if ((e = put(cg_dir, "cgroup.procs", "0"))) {
		snprintf(what, sizeof(what), "moving into cgroup %s", cg_dir);
		return fail(what, e);
	}
	if (get(cg_parent, "cgroup.subtree_control", sub, sizeof(sub)))
		sub[0] = 0;
	for (i = 0; i < 2; i++) {
		if (!need[i] || has_word(sub, need[i]))
			continue;
		snprintf(text, sizeof(text), "+%s", need[i]);
		if ((e = put(cg_parent, "cgroup.subtree_control", text))) {
			snprintf(what, sizeof(what), "enabling %s for %s's children (%s; cgroup v2 "
				 "gives children a controller only while their parent holds no "
				 "process: start rampart alone in a cgroup of its own)",
				 need[i], cg_parent,
				 e == EBUSY ? "other processes are in it" : "refused");
			return fail(what, e);
		}
		snprintf(cg_undo + strlen(cg_undo), sizeof(cg_undo) - strlen(cg_undo), "%s-%s",
			 cg_undo[0] ? " " : "", need[i]);
	}
	if (l->cpu_quota_us) {
		snprintf(text, sizeof(text), "%u %u", l->cpu_quota_us, RP_CPU_PERIOD_US);
		if ((e = put(cg_dir, "cpu.max", text)))
			return fail("writing cpu.max", e);
	}
	if (l->memory) {
		snprintf(text, sizeof(text), "%llu", (unsigned long long)l->memory);
		if ((e = put(cg_dir, "memory.max", text)))
			return fail("writing memory.max", e);
		/* Swap is memory too: without swap accounting the file is absent, and there is none to take. */
		if ((e = put(cg_dir, "memory.swap.max", "0")) && e != ENOENT)
			return fail("writing memory.swap.max", e);
	}
	log_event("cgroup", "path", 's', cg_dir + strlen(mnt), "cpus", 's',
		  l->cpu_quota_us ? l->cpus_text : "max", "memory_max", 'u', l->memory, NULL);
	return 0;
}

void cgroup_remove(void)
{
	struct timespec wait = {.tv_nsec = 10 * 1000 * 1000};
	int i, e;

	if (!cg_dir[0])
		return;
	/* Back into the parent, which may hold a process again once its subtree has no controller. */
	if (cg_undo[0] && (e = put_parent(&cg_subtree_fd, "cgroup.subtree_control", cg_undo)))
		log_err("limits: disabling '%s' in %s: %s", cg_undo, cg_parent, strerror(e));
	if ((e = put_parent(&cg_procs_fd, "cgroup.procs", "0")) && e != ENOENT)
		log_err("limits: moving back to %s: %s", cg_parent, strerror(e));
	for (i = 0; rmdir(cg_dir) && errno == EBUSY && i < CG_RMDIR_TRIES; i++)
		nanosleep(&wait, NULL);
	if (i == CG_RMDIR_TRIES || (access(cg_dir, F_OK) == 0))
		log_err("limits: removing cgroup %s: %s", cg_dir, strerror(errno));
	cg_dir[0] = cg_undo[0] = 0;
}
