/* SPDX-License-Identifier: MIT */
/*
 * Everything in the operator's input that can be checked without KVM is
 * checked here, before /dev/kvm is opened: so a mistake is reported as that
 * mistake on every host (hardware KVM, PVM, or none at all), and
 * `rampart check` reports the same mistakes as `rampart run` without
 * creating a VM.
 *
 * What is checked: the guest kernel and initrd (read, parsed, and that both
 * fit in the guest's memory with its vCPUs, devices and command line), every
 * disk (opened with its mode, locked, at least one sector), every tap name
 * (free, or already a tap), for a layered stack every layer image (read
 * and measured against the manifest, by the caller), every firewall
 * layer's rules (compiled by rampart-policy, in a process of its own) and
 * every watch layer's System.map (read, not parsed: its blob's header).
 */
#include "root/preflight.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "boot/boot.h"
#include "fw/watch.h"
#include "root/log.h"
#include "root/vm.h"

void *rp_read_file(const char *path, const char *what, uint64_t max, uint64_t *size)
{
	struct stat st;
	uint8_t *buf;
	uint64_t done = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		log_err("%s %s: %s", what, path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		log_err("%s %s: not a regular file", what, path);
		close(fd);
		return NULL;
	}
	if ((uint64_t)st.st_size > max) {
		log_err("%s %s: %llu bytes, more than the %llu MiB allowed", what, path,
			(unsigned long long)st.st_size, (unsigned long long)(max >> 20));
		close(fd);
		return NULL;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	while (buf && done < (uint64_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_err("%s %s: read: %s", what, path, n ? strerror(errno) : "file shrank");
			free(buf);
			buf = NULL;
		} else {
			done += (uint64_t)n;
		}
	}
	if (!buf && done == 0 && st.st_size)
		log_err("%s %s: out of memory", what, path);
	close(fd);
	*size = done;
	return buf;
}

int preflight_guest(const struct rp_config *c, struct preflight *p)
{
	struct boot_config bc;
	const char *why = "?";

	memset(p, 0, sizeof(*p));
	p->kernel = rp_read_file(c->kernel, "kernel", RP_MAX_KERNEL_SIZE, &p->ksize);
	if (!p->kernel)
		return -1;
	if (c->initrd[0] &&
	    !(p->initrd = rp_read_file(c->initrd, "initrd", RP_MAX_INITRD_SIZE, &p->isize)))
		goto fail;
	bc = (struct boot_config){
		.mem = c->mem,
		.ncpus = c->cpus,
		.kernel = p->kernel,
		.kernel_size = p->ksize,
		.initrd = p->initrd,
		.initrd_size = p->isize,
		.cmdline = c->cmdline,
		/* Device windows are placed when the VM is built; their count is config's limit. */
	};
	if (boot_check(&bc, &why)) {
		log_err("kernel %s: %s", c->kernel, why);
		goto fail;
	}
	return 0;
fail:
	preflight_free(p);
	return -1;
}

void preflight_free(struct preflight *p)
{
	free(p->kernel);
	free(p->initrd);
	for (unsigned i = 0; i < RP_MAX_LAYERS; i++)
		free(p->policy[i]);
	memset(p, 0, sizeof(*p));
}

/*
 * A tap name is usable when no interface has it (the root creates the tap)
 * or the interface is already a tap; anything else (a bridge, lo, a tun
 * device) is the operator's mistake. Read from sysfs: no privilege, no KVM.
 */
static int tap_check(const struct rp_net *n)
{
	char path[64 + RP_TAP_NAME_MAX], text[32];
	unsigned long flags;
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/sys/class/net/%s", n->tap);
	if (access(path, F_OK) != 0)
		return 0;
	snprintf(path, sizeof(path), "/sys/class/net/%s/tun_flags", n->tap);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_err("tap %s: the name is taken by a device that is not a tap; "
			"name a free interface or an existing tap", n->tap);
		return -1;
	}
	len = read(fd, text, sizeof(text) - 1);
	close(fd);
	text[len > 0 ? len : 0] = 0;
	flags = strtoul(text, NULL, 0);
	if (!(flags & IFF_TAP)) {
		log_err("tap %s: the name is taken by a tun device (layer 3), not a tap; "
			"name a free interface or an existing tap", n->tap);
		return -1;
	}
	return 0;
}

int preflight_devices(const struct rp_config *c)
{
	unsigned i;

	for (i = 0; i < c->ndisks; i++) {
		struct rp_diskdev *d = disk_dev_open(&c->disks[i]);

		if (!d)
			return -1;
		disk_dev_close(d);
	}
	for (i = 0; i < c->nnets; i++)
		if (tap_check(&c->nets[i]))
			return -1;
	return 0;
}

/* The compiler's blob cache: $XDG_CACHE_HOME/rampart-policy, else
 * $HOME/.cache/rampart-policy; "" (no cache) when neither is set. */
static void cache_dir(char out[PATH_MAX])
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char parent[PATH_MAX];

	out[0] = 0;
	if (xdg && xdg[0] == '/')
		snprintf(parent, sizeof(parent), "%s", xdg);
	else if (home && home[0] == '/' && strlen(home) < PATH_MAX - 64)
		snprintf(parent, sizeof(parent), "%s/.cache", home);
	else
		return;
	if (mkdir(parent, 0700) && errno != EEXIST)
		return;
	if (strlen(parent) < PATH_MAX - 20)
		snprintf(out, PATH_MAX, "%s/rampart-policy", parent);
}

/* rampart-policy compile RULES -o OUT --kind KIND [--cache DIR] [--var NAME=VALUE]...,
 * environment empty, its stdout to /dev/null (it says "cached" there), its
 * stderr ours. KIND: the layer's kind (a wrapper's policy is JSON, a
 * firewall's nftables: the compiler refuses the other). */
static int run_compiler(const char *prog, const char *rules, const char *out, const char *kind,
			const char *cache, const char *vars)
{
	char *argv[12 + 2 * RP_IDS_VARS_MAX];
	unsigned a = 0;
	char *const envp[] = {NULL};

	argv[a++] = (char *)"rampart-policy";
	argv[a++] = (char *)"compile";
	argv[a++] = (char *)rules;
	argv[a++] = (char *)"-o";
	argv[a++] = (char *)out;
	argv[a++] = (char *)"--kind";
	argv[a++] = (char *)kind;
	if (cache[0]) {
		argv[a++] = (char *)"--cache";
		argv[a++] = (char *)cache;
	}
	/* vars: packed "NAME=VALUE\0" ... "\0" (config.h), RP_IDS_VARS_MAX at most */
	for (const char *v = vars; v && *v && a + 3 < sizeof(argv) / sizeof(argv[0]);
	     v += strlen(v) + 1) {
		argv[a++] = (char *)"--var";
		argv[a++] = (char *)v;
	}
	argv[a] = NULL;
	int status, null;
	pid_t pid = fork();

	if (pid < 0) {
		log_err("fork for rampart-policy: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null >= 0)
			dup2(null, 1);
		execve(prog, argv, envp);
		fprintf(stderr, "rampart: cannot run %s: %s (build it: make)\n", prog,
			strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 127 ? -2 : -1;
}

static int compile_rules(unsigned layer, const char *kind, const char *rules, const char *vars,
			 void **blob, uint64_t *size)
{
	char self[PATH_MAX], prog[PATH_MAX + 32], dir[] = "/tmp/rampart-policy.XXXXXX";
	char out[64], cache[PATH_MAX];
	struct stat st;
	ssize_t n;
	int r;

	if (stat(rules, &st)) {
		log_err("layer %u (%s): rules %s: %s", layer, kind, rules, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		log_err("layer %u (%s): rules %s: not a regular file", layer, kind, rules);
		return -1;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		log_err("cannot find rampart's own folder (/proc/self/exe): %s", strerror(errno));
		return -1;
	}
	self[n] = 0;
	if (strrchr(self, '/'))
		*strrchr(self, '/') = 0;
	snprintf(prog, sizeof(prog), "%s/rampart-policy", self);
	if (!mkdtemp(dir)) {
		log_err("a folder for the policy blob: %s", strerror(errno));
		return -1;
	}
	snprintf(out, sizeof(out), "%s/policy.blob", dir);
	cache_dir(cache);
	r = run_compiler(prog, rules, out, kind, cache, vars);
	if (r == 0)
		*blob = rp_read_file(out, "policy blob", RP_MAX_POLICY_SIZE, size);
	unlink(out);
	rmdir(dir);
	if (r == -1)
		log_err("layer %u (%s): rules %s refused (rampart-policy says why above)", layer,
			kind, rules);
	else if (r)
		log_err("layer %u (%s): rules %s: the policy compiler %s did not run", layer, kind,
			rules, prog);
	return r || !*blob ? -1 : 0;
}

/* A stack file's inline policy: written to a file of its own (0600, in a
 * fresh folder), compiled as a file would be, then removed. */
static int compile_inline(unsigned layer, const char *kind, const char *text, void **blob,
			  uint64_t *size)
{
	char dir[] = "/tmp/rampart-inline.XXXXXX", path[64];
	size_t n = strlen(text);
	int fd, r = -1;
	bool ok;

	if (!mkdtemp(dir)) {
		log_err("a folder for layer %u's inline policy: %s", layer, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/policy.json", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ok = fd >= 0 && write(fd, text, n) == (ssize_t)n;
	if (fd >= 0 && close(fd))
		ok = false;
	if (ok)
		r = compile_rules(layer, kind, path, NULL, blob, size);
	else
		log_err("layer %u's inline policy: cannot write %s: %s", layer, path,
			strerror(errno));
	unlink(path);
	rmdir(dir);
	return r;
}

/*
 * A watch layer's blob: a header (its timing) and the System.map's bytes
 * as they are. The root parses none of them: the watch layer does, in its
 * own VM, under wt_blob_check's bounds (src/fw/watch.h).
 */
static int watch_blob(const struct rp_config *c, unsigned i, const char *map, void **blob,
		      uint64_t *size)
{
	uint64_t n;
	void *text = rp_read_file(map, "watch layer's System.map", WT_MAP_MAX, &n);
	struct wt_blob h = {.magic = WT_MAGIC,
			    .version = WT_VERSION,
			    .start_ms = c->watch_start_ms[i],
			    .interval_ms = c->watch_interval_ms[i],
			    .map_len = n};
	const char *why = "?";
	uint8_t *b;

	if (!text)
		return -1;
	b = malloc(sizeof(h) + n);
	if (!b) {
		free(text);
		log_err("layer %u (watch): no memory for its blob", i + 1);
		return -1;
	}
	memcpy(b, &h, sizeof(h));
	memcpy(b + sizeof(h), text, n);
	free(text);
	if (wt_blob_check(b, sizeof(h) + n, &why)) {
		free(b);
		log_err("layer %u (watch): System.map %s: %s", i + 1, map, why);
		return -1;
	}
	*blob = b;
	*size = sizeof(h) + n;
	return 0;
}

int preflight_policies(const struct rp_config *c, struct preflight *p)
{
	for (unsigned i = 0; i < c->nlayers; i++) {
		const char *rules = config_layer_rules(c, i);

		if (!strcmp(c->layers[i], "watch")) {
			if (watch_blob(c, i, rules, &p->policy[i], &p->policy_size[i]))
				return -1;
			continue;
		}
		if (!rules[0] && c->layer_policy[i][0]) {
			if (compile_inline(i + 1, c->layers[i], c->layer_policy[i], &p->policy[i],
					   &p->policy_size[i]))
				return -1;
			continue;
		}
		if (rules[0] &&
		    compile_rules(i + 1, c->layers[i], rules, c->layer_vars[i], &p->policy[i],
				  &p->policy_size[i]))
			return -1;
	}
	return 0;
}
