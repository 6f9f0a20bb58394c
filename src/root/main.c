/* SPDX-License-Identifier: MIT */
/*
 * rampart: the root of a Rampart stack.
 *
 *   rampart run [STACK.json] [--kernel K] [--initrd I] [--cmdline S] [--mem SIZE]
 *               [--cpus N] [--net tap:NAME]... [--disk PATH[,ro]]... [--name N] [--log FILE]
 *               [--jail-user UID[:GID]] [--no-jail] [--cpus-limit N] [--memory-limit SIZE]
 *   rampart check STACK.json
 *   rampart manifest [--layer-image FOLDER|IMAGE]
 *   rampart firewall --rules FILE --pcap IN.pcap --guest PREFIX [--guest-mac MAC]
 *   rampart rules check FILE
 *   rampart ids --rules FILE... --pcap IN --eve OUT, rampart ids check FILE...
 *   rampart version
 *
 * `firewall`, `rules` and `ids` are handed, by exec, to rampart-policy beside this
 * binary: the root never parses a rule language itself.
 *
 * Exit status: the guest's outcome (0 powered off, 2 reset or panic, 3 triple
 * fault, 4 KVM refused to go on, 5 stopped by a signal), or 1 when rampart
 * itself could not start the stack (the line before says why).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/boot.h"
#include "root/cgroup.h"
#include "root/config.h"
#include "root/jail.h"
#include "root/layer.h"
#include "root/log.h"
#include "root/measure.h"
#include "root/preflight.h"
#include "root/vm.h"

#define RAMPART_VERSION "0.1.0"

static const char usage_text[] =
	"usage: rampart run [STACK.json] [options]   boot a stack\n"
	"       rampart check [STACK.json] [options] check everything run would (files,\n"
	"                                            disks, taps, images, manifest) and exit\n"
	"       rampart manifest [--layer-image PATH] print each layer image's sha256 line\n"
	"       rampart firewall --rules FILE --pcap IN.pcap --guest PREFIX [--guest-mac MAC]\n"
	"                                            the firewall offline: one verdict per frame\n"
	"       rampart rules check FILE             what of an nftables policy loads, what not\n"
	"       rampart ids --rules FILE... --pcap IN.pcap --eve OUT [--no-checksum-check]\n"
	"                   [--midstream] [--var NAME=VALUE]\n"
	"                                            Snort 3 / Suricata rules offline: EVE alerts\n"
	"       rampart ids check FILE...            which rules of a rule set load, which not\n"
	"       rampart version\n"
	"options (they override the stack file):\n"
	"  --kernel PATH        Linux bzImage to boot\n"
	"  --initrd PATH        initramfs\n"
	"  --cmdline TEXT       kernel command line (default: \"" RP_DEFAULT_CMDLINE "\")\n"
	"  --mem SIZE           guest memory (default 256M); a bare number is MiB, as\n"
	"                       QEMU's -m: 256, 256M, 1G, 1GiB; K M G T are powers of 1024\n"
	"  --cpus N             vCPUs, 1.." "8" " (default 1)\n"
	"  --net tap:NAME       a virtio-net device on tap NAME (created if absent)\n"
	"  --disk PATH[,ro]     a virtio-blk device on a raw disk file\n"
	"  --name NAME          stack name in log events\n"
	"  --log FILE           JSON-lines events to FILE (default: stderr)\n"
	"  --jail-user UID[:GID] the unprivileged user and group the root runs as once the\n"
	"                       stack is set up (default " "1879069264" ", an id of its own)\n"
	"  --no-jail            debugging only: the root keeps every system call, capability\n"
	"                       and file of the host (a \"jail\" event says so)\n"
	"  --cpus-limit N       the root's CPU time, in CPUs (1.5: one and a half), as a\n"
	"                       cgroup v2 cpu.max (a cgroup of its own, removed at exit)\n"
	"  --memory-limit SIZE  the root's memory, all of it (guest, layers, the root), as\n"
	"                       a cgroup v2 memory.max; units as --mem\n"
	"layered stacks (ring-3 layers, from the root up):\n"
	"  --layers K1,K2,...   pass, firewall, wrapper, ids, watch; the top: vmm (boots\n"
	"                       --kernel)\n"
#ifdef RP_TEST_BUILD
	"                       rampart-test: also the test kinds (include/rampart/kinds.h)\n"
#endif
	"                       K@gcc or K@clang picks a layer's variant of the layer\n"
	"                       kernel; by default adjacent layers differ (gcc, clang, ...)\n"
	"  --layer-image PATH   a folder of layer-gcc.elf and layer-clang.elf (default:\n"
	"                       the folder of rampart), or one image for every layer\n"
	"  --layer-mem SIZE     each layer's own memory (default 8M; units as --mem)\n"
	"  --layer-args N,...   the top layer's parameters\n"
#ifdef RP_TEST_BUILD
	"  --echo N             words the root's test device answers on port 0x608\n"
	"                       (rampart-test only)\n"
#endif
	"  --manifest FILE      start only layer images (and policy blobs) whose sha256\n"
	"                       FILE lists (lines \"HEX  NAME\", as `rampart manifest` prints)\n"
	"  --rules KEY=FILE     a firewall layer's nftables rules (KEY: firewall, or the\n"
	"                       layer's number from 1); compiled by rampart-policy; a watch\n"
	"                       layer's: the guest kernel's System.map (watch=FILE)\n"
	"  --watch START,EVERY  a watch layer's first hash START ms after the start, then a\n"
	"                       check every EVERY ms (default 10000,1000)\n"
	"  --on-violation P     halt (default: the stack stops, exit 6) or restart (the\n"
	"                       layer is rebuilt from its sealed image with its subtree,\n"
	"                       3 times at most, then halt)\n"
	"exit status: 0 guest powered off, 1 rampart error, 2 guest reset or panic,\n"
	"             3 guest triple fault, 4 KVM error, 5 stopped by a signal,\n"
	"             6 integrity violation in a layer (the stack halted)\n";

enum { OPT_KERNEL = 1, OPT_INITRD, OPT_CMDLINE, OPT_MEM, OPT_CPUS, OPT_NET, OPT_DISK, OPT_NAME,
       OPT_LOG, OPT_HELP, OPT_LAYERS, OPT_LAYER_IMAGE, OPT_LAYER_MEM, OPT_LAYER_ARGS, OPT_ECHO,
       OPT_MANIFEST, OPT_POLICY, OPT_NO_JAIL, OPT_JAIL_USER, OPT_JAIL_SELFTEST, OPT_RULES,
       OPT_CPUS_LIMIT, OPT_MEMORY_LIMIT, OPT_WATCH };

static const struct option run_opts[] = {
	{"kernel", required_argument, NULL, OPT_KERNEL},
	{"initrd", required_argument, NULL, OPT_INITRD},
	{"cmdline", required_argument, NULL, OPT_CMDLINE},
	{"mem", required_argument, NULL, OPT_MEM},
	{"cpus", required_argument, NULL, OPT_CPUS},
	{"net", required_argument, NULL, OPT_NET},
	{"disk", required_argument, NULL, OPT_DISK},
	{"name", required_argument, NULL, OPT_NAME},
	{"log", required_argument, NULL, OPT_LOG},
	{"help", no_argument, NULL, OPT_HELP},
	{"layers", required_argument, NULL, OPT_LAYERS},
	{"layer-image", required_argument, NULL, OPT_LAYER_IMAGE},
	{"layer-mem", required_argument, NULL, OPT_LAYER_MEM},
	{"layer-args", required_argument, NULL, OPT_LAYER_ARGS},
#ifdef RP_TEST_BUILD
	{"echo", required_argument, NULL, OPT_ECHO},
#endif
	{"manifest", required_argument, NULL, OPT_MANIFEST},
	{"on-violation", required_argument, NULL, OPT_POLICY},
	{"rules", required_argument, NULL, OPT_RULES},
	{"watch", required_argument, NULL, OPT_WATCH},
	{"no-jail", no_argument, NULL, OPT_NO_JAIL},
	{"jail-user", required_argument, NULL, OPT_JAIL_USER},
	{"cpus-limit", required_argument, NULL, OPT_CPUS_LIMIT},
	{"memory-limit", required_argument, NULL, OPT_MEMORY_LIMIT},
#ifdef RP_TEST_BUILD
	/* Tests only (docs/jail.md): that thread makes a forbidden call once jailed. */
	{"jail-selftest", required_argument, NULL, OPT_JAIL_SELFTEST},
#endif
	{NULL, 0, NULL, 0},
};

static int set_str(char *dst, size_t size, const char *v, const char *flag)
{
	if (strlen(v) >= size) {
		log_err("%s: value longer than %zu characters", flag, size - 1);
		return -1;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int apply_flag(struct rp_config *c, int opt, const char *v)
{
	char err[512];
	char *end;
	long n;

	switch (opt) {
	case OPT_KERNEL:
		return set_str(c->kernel, sizeof(c->kernel), v, "--kernel");
	case OPT_INITRD:
		return set_str(c->initrd, sizeof(c->initrd), v, "--initrd");
	case OPT_CMDLINE:
		return set_str(c->cmdline, sizeof(c->cmdline), v, "--cmdline");
	case OPT_NAME:
		return set_str(c->name, sizeof(c->name), v, "--name");
	case OPT_LOG:
		return set_str(c->log_path, sizeof(c->log_path), v, "--log");
	case OPT_MEM:
		if (config_parse_mem(v, &c->mem)) {
			log_err("--mem %s: not a size (MiB, or 256M, 1G)", v);
			return -1;
		}
		return 0;
	case OPT_CPUS:
		n = strtol(v, &end, 10);
		if (*end || n < 1 || n > RP_MAX_CPUS) {
			log_err("--cpus %s: must be 1..%d", v, RP_MAX_CPUS);
			return -1;
		}
		c->cpus = (unsigned)n;
		return 0;
	case OPT_NET:
		if (config_add_net(c, v, err, sizeof(err)) == 0)
			return 0;
		break;
	case OPT_LAYERS:
		if (config_add_layers(c, v, err, sizeof(err)) == 0)
			return 0;
		break;
	case OPT_LAYER_ARGS:
		if (config_add_layer_args(c, v, err, sizeof(err)) == 0)
			return 0;
		break;
	case OPT_LAYER_IMAGE:
		return set_str(c->layer_image, sizeof(c->layer_image), v, "--layer-image");
	case OPT_MANIFEST:
		return set_str(c->manifest, sizeof(c->manifest), v, "--manifest");
	case OPT_POLICY:
		if (config_set_policy(c, v, err, sizeof(err)) == 0)
			return 0;
		break;
	case OPT_RULES:
		if (config_add_rules(c, v, err, sizeof(err)) == 0)
			return 0;
		break;
	case OPT_WATCH:
		if (config_set_watch(c, v, err, sizeof(err)) == 0)
			return 0;
		break;
	case OPT_LAYER_MEM:
		if (config_parse_mem(v, &c->layer_mem)) {
			log_err("--layer-mem %s: not a size (MiB, or 8M)", v);
			return -1;
		}
		return 0;
#ifdef RP_TEST_BUILD
	case OPT_ECHO:
		n = strtol(v, &end, 10);
		if (*end || n < 0 || n > 1000000) {
			log_err("--echo %s: must be 0..1000000", v);
			return -1;
		}
		c->echo_words = (uint64_t)n;
		return 0;
#endif
	case OPT_NO_JAIL:
		c->jail.off = true;
		return 0;
	case OPT_JAIL_USER:
		if (jail_parse_user(&c->jail, v)) {
			log_err("--jail-user %s: must be UID or UID:GID, each 1..4294967294 (not root)",
				v);
			return -1;
		}
		return 0;
	case OPT_CPUS_LIMIT:
		if (config_parse_cpu_limit(v, &c->limits)) {
			log_err("--cpus-limit %s: must be a number of CPUs, 0.01..%d (1.5: one and "
				"a half)", v, RP_CPU_LIMIT_MAX);
			return -1;
		}
		return 0;
	case OPT_MEMORY_LIMIT:
		if (config_parse_mem(v, &c->limits.memory) || !c->limits.memory) {
			log_err("--memory-limit %s: not a size (MiB, or 512M, 1G)", v);
			return -1;
		}
		return 0;
#ifdef RP_TEST_BUILD
	case OPT_JAIL_SELFTEST:
		c->jail.selftest = jail_parse_role(v);
		if (c->jail.selftest < 0) {
			log_err("--jail-selftest %s: main, vcpu, io, watch, supervisor or badarch", v);
			return -1;
		}
		jail_selftest_hook = jail_selftest;
		return 0;
#endif
	case OPT_DISK:
		if (config_add_disk(c, v, err, sizeof(err)) == 0)
			return 0;
		break;
	default:
		fputs(usage_text, opt == OPT_HELP ? stdout : stderr);
		return -1;
	}
	log_err("%s", err);
	return -1;
}

/* Stack file first (the one positional argument), flags on top. */
static int parse_run_args(struct rp_config *c, int argc, char **argv)
{
	struct {
		int opt;
		const char *val;
	} flags[64];
	unsigned nflags = 0, i;
	char err[768];
	int opt;

	config_defaults(c);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", run_opts, NULL)) != -1) {
		if (opt == '?' || opt == OPT_HELP || nflags == sizeof(flags) / sizeof(flags[0])) {
			apply_flag(c, opt == '?' ? 0 : OPT_HELP, NULL);
			return -1;
		}
		flags[nflags].opt = opt;
		flags[nflags++].val = optarg;
	}
	if (argc - optind > 1) {
		log_err("unexpected argument '%s' (one stack file at most)", argv[optind + 1]);
		return -1;
	}
	if (optind < argc && config_load_file(c, argv[optind], err, sizeof(err))) {
		log_err("%s", err);
		return -1;
	}
	for (i = 0; i < nflags; i++)
		if (apply_flag(c, flags[i].opt, flags[i].val))
			return -1;
	if (config_check(c, err, sizeof(err))) {
		log_err("%s", err);
		return -1;
	}
	return 0;
}

static int open_log(const struct rp_config *c)
{
	int fd = 2;

	if (c->log_path[0]) {
		fd = open(c->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		if (fd < 0) {
			log_err("log %s: %s", c->log_path, strerror(errno));
			return -1;
		}
	}
	log_open(fd, c->name);
	return 0;
}

static const char *outcome_name(int o)
{
	switch (o) {
	case RP_POWEROFF:
		return "poweroff";
	case RP_RESET:
		return "reset";
	case RP_CRASH:
		return "crash";
	case RP_INTERNAL:
		return "kvm-error";
	case RP_SIGNAL:
		return "signal";
	case RP_VIOLATION:
		return "violation";
	default:
		return "error";
	}
}

static int boot_stack(struct rp_vm *vm, const struct rp_config *c, const void *kernel,
		      uint64_t ksize, const void *initrd, uint64_t isize)
{
	if (vm_create(vm, c) || devices_open(vm, c) || vm_load_linux(vm, kernel, ksize, initrd, isize))
		return RP_ERROR;
	/* Set-up is over: every fd is open and the guest loaded (jail.c, invariant 1). */
	if (jail_enter(JAIL_DEPTH1))
		return RP_ERROR;
	log_event("start", "kernel", 's', c->kernel, "mem_mib", 'u', c->mem >> 20, "cpus", 'u',
		  (uint64_t)c->cpus, "devices", 'u', (uint64_t)vm->nvdevs, NULL);
	if (devices_start(vm))
		return RP_ERROR;
	return vm_run(vm);
}

/*
 * Where the layer images are: the --layer-image given, a folder holding one
 * image per variant (layer-gcc.elf, layer-clang.elf) or one image file that
 * then serves every layer; nothing given, the folder of the rampart binary.
 * True for a folder. A path that is not there counts as a file, so that
 * reading it names it.
 */
static bool layer_images_at(const char *given, char at[PATH_MAX])
{
	struct stat st;
	ssize_t n;

	if (given && given[0]) {
		snprintf(at, PATH_MAX, "%s", given);
		return stat(at, &st) == 0 && S_ISDIR(st.st_mode);
	}
	n = readlink("/proc/self/exe", at, PATH_MAX - 1);
	at[n > 0 ? n : 0] = 0;
	if (strrchr(at, '/'))
		*strrchr(at, '/') = 0;
	return true;
}

static void variant_image(const char *folder, const char *variant, char image[PATH_MAX])
{
	snprintf(image, PATH_MAX, "%.*s/layer-%s.elf", PATH_MAX - 24, folder, variant);
}

/* Each layer's image and variant name into s; -1 when one names a variant a file cannot give. */
static int layer_images(const struct rp_config *c, struct ln_stack *s,
			char images[LN_MAX_LAYERS][PATH_MAX])
{
	char at[PATH_MAX];
	bool folder = layer_images_at(c->layer_image, at);
	unsigned i;

	for (i = 0; i < c->nlayers; i++) {
		const char *variant = config_layer_variant(c, i);

		if (!folder && c->layer_variants[i][0]) {
			log_err("layer %u '%s@%s': --layer-image %s is one image for every layer; "
				"give a folder of layer-VARIANT.elf images to choose variants",
				i + 1, c->layers[i], variant, at);
			return -1;
		}
		if (folder)
			variant_image(at, variant, images[i]);
		else
			snprintf(images[i], PATH_MAX, "%s", at);
		snprintf(s->variants[i], sizeof(s->variants[i]), "%s", folder ? variant : "file");
		s->images[i] = images[i];
	}
	return 0;
}

/*
 * The layered stack c describes, into s (images: where s's image paths
 * live; manifest: loaded when c names one, s->manifest then points at it).
 */
static int stack_of(const struct rp_config *c, struct ln_stack *s,
		    char images[LN_MAX_LAYERS][PATH_MAX], struct measure_manifest *manifest,
		    const struct preflight *p)
{
	char err[768];
	unsigned i;

	*s = (struct ln_stack){.layer_mem = c->layer_mem, .echo_words = c->echo_words};
	if (layer_images(c, s, images))
		return -1;
	if (c->manifest[0]) {
		if (measure_load_manifest(c->manifest, manifest, err, sizeof(err))) {
			log_err("%s", err);
			return -1;
		}
		s->manifest = manifest;
	}
	if (config_kind_is_vmm(c->layers[c->nlayers - 1])) {
		s->kernel = c->kernel;
		s->initrd = c->initrd[0] ? c->initrd : NULL;
		s->cmdline = c->cmdline;
		s->guest_mem = c->mem;
		s->cpus = c->cpus;
	}
	s->disk = c->ndisks ? &c->disks[0] : NULL;
	s->net = c->nnets ? &c->nets[0] : NULL;
	s->restart = c->restart;
	for (i = 0; i < c->nlayers; i++) {
		memcpy(s->kinds[i], c->layers[i], sizeof(s->kinds[i]));
		s->policy[i] = p->policy[i];
		s->policy_size[i] = p->policy_size[i];
		s->policy_path[i] = config_layer_rules(c, i)[0] || !c->layer_policy[i][0]
					    ? config_layer_rules(c, i)
					    : "(inline policy)";
	}
	s->nlayers = c->nlayers;
	for (i = 0; i < c->nlayer_args; i++)
		s->top_args[i] = c->layer_args[i];
	s->ntop_args = c->nlayer_args;
	return 0;
}

/* A layered stack: the chain of ring-3 layers and the root's test device. */
static int run_layers(const struct rp_config *c, const struct preflight *p)
{
	static char images[LN_MAX_LAYERS][PATH_MAX];
	struct measure_manifest manifest;
	struct ln_stack s;
	struct ln_result res;

	if (stack_of(c, &s, images, &manifest, p))
		return RP_ERROR;
	layer_stack_run(&s, &res);
	if (s.manifest)
		measure_free(&manifest);
	if (res.outcome == RP_ERROR)
		return RP_ERROR;
	log_event("end", "outcome", 's', outcome_name(res.outcome), "exit", 'u',
		  (uint64_t)res.outcome, "why", 's', res.why, "code", 'u', res.code, "seconds", 'f',
		  res.seconds, "exits", 'u', res.exits, "exits_mmio", 'u', res.exits_by[LN_EXIT_MMIO],
		  "exits_pio", 'u', res.exits_by[LN_EXIT_PIO], "exits_hypercall", 'u',
		  res.exits_by[LN_EXIT_HYPERCALL], "exits_halt", 'u', res.exits_by[LN_EXIT_HALT],
		  "exits_events", 'u', res.exits_by[LN_EXIT_EVENT], "exits_other", 'u',
		  res.exits_by[LN_EXIT_OTHER], "hypercalls", 'u', res.hypercalls, "refused",
		  'u', res.refused, "slots", 'u', (uint64_t)res.slots, "slots_max", 'u',
		  (uint64_t)res.slots_max,
#ifdef RP_TEST_BUILD /* the root's test device's (ln_dev.c) */
		  "doorbells", 'u', res.doorbells, "cpu_result", 'u', res.cpu_result, "echo_sum", 'u',
		  res.echo_sum, "echo_ok", 'u', (uint64_t)res.echo_ok,
#endif
		  NULL);
	log_err("%s after %.2f s (exit %d)", res.why, res.seconds, res.outcome);
	return res.outcome;
}

/* True when the stack boots a Linux kernel: at depth 1, or through a vmm top. */
static bool boots_linux(const struct rp_config *c)
{
	return !c->nlayers || config_kind_is_vmm(c->layers[c->nlayers - 1]);
}

/*
 * Everything run checks before it touches KVM (preflight.c): the guest's
 * files, disks and taps. p keeps the kernel and initrd read for a depth-1
 * guest.
 */
static int preflight(const struct rp_config *c, struct preflight *p)
{
	memset(p, 0, sizeof(*p));
	if (boots_linux(c) && preflight_guest(c, p))
		return -1;
	if (preflight_devices(c) || (c->nlayers && preflight_policies(c, p))) {
		preflight_free(p);
		return -1;
	}
	return 0;
}

static int run_stack(const struct rp_config *cfg, struct preflight *p)
{
	static struct rp_vm vm;
	int outcome;

	if (cfg->nlayers) {
		/* The vmm layer reads its own copies of the guest's files; the
		 * policy blobs are these. */
		outcome = run_layers(cfg, p);
		preflight_free(p);
		return outcome;
	}
	outcome = boot_stack(&vm, cfg, p->kernel, p->ksize, p->initrd, p->isize);
	devices_stop(&vm);
	if (outcome != RP_ERROR || vm.why[0]) {
		uint64_t ex = 0, mmio = 0, pio = 0;

		/* The vCPU threads have ended: their counters are final. */
		for (unsigned i = 0; i < vm.ncpus; i++) {
			ex += vm.vcpus[i].exits;
			mmio += vm.vcpus[i].exits_mmio;
			pio += vm.vcpus[i].exits_pio;
		}
		log_event("end", "outcome", 's', outcome_name(outcome), "exit", 'u',
			  (uint64_t)outcome, "why", 's', vm.why, "seconds", 'f', log_uptime(), "exits",
			  'u', ex, "exits_mmio", 'u', mmio, "exits_pio", 'u', pio, NULL);
		log_err("%s after %.2f s (exit %d)", vm.why, log_uptime(), outcome);
	}
	vm_destroy(&vm);
	preflight_free(p);
	return outcome;
}

static int cmd_run(int argc, char **argv)
{
	struct rp_config cfg;
	struct preflight p;
	int outcome, forked;

	if (parse_run_args(&cfg, argc, argv) || open_log(&cfg) || preflight(&cfg, &p))
		return RP_ERROR;
	jail_configure(&cfg.jail);
	/* The limits first: the pid namespace's root is then born under them. */
	if (cgroup_enter(&cfg.limits)) {
		preflight_free(&p);
		return RP_ERROR;
	}
	/* From here on, jailed, this is pid 1 of a pid namespace of its own (jail.c). */
	forked = jail_fork(cgroup_hold, cgroup_remove);
	if (forked < 0) {
		cgroup_remove();
		preflight_free(&p);
		return RP_ERROR;
	}
	outcome = run_stack(&cfg, &p);
	/* Jailed, it cannot: the supervisor does, once this process has ended. */
	if (!forked)
		cgroup_remove();
	return outcome;
}

/* Every layer image read and measured against the manifest, as run does first. */
static int check_layers(const struct rp_config *c, const struct preflight *p)
{
	static char images[LN_MAX_LAYERS][PATH_MAX];
	struct measure_manifest manifest;
	void *img[LN_MAX_LAYERS] = {NULL};
	uint64_t size[LN_MAX_LAYERS];
	struct ln_stack s;
	unsigned i;
	int r = -1;

	if (stack_of(c, &s, images, &manifest, p))
		return -1;
	for (i = 0; i < s.nlayers; i++)
		if (!(img[i] = rp_read_file(s.images[i], "layer image", RP_MAX_IMAGE_SIZE, &size[i])))
			goto out;
	r = measure_layers(&s, img, size, s.manifest) || measure_policies(&s, s.manifest) ? -1 : 0;
out:
	for (i = 0; i < s.nlayers; i++)
		free(img[i]);
	if (s.manifest)
		measure_free(&manifest);
	return r;
}

/* `rampart check`: the arguments of run, every check of run, no VM. */
static int cmd_check(int argc, char **argv)
{
	struct rp_config cfg;
	struct preflight p;

	if (parse_run_args(&cfg, argc, argv))
		return RP_ERROR;
	log_open(-1, cfg.name); /* measuring writes no events here */
	if (preflight(&cfg, &p))
		return RP_ERROR;
	if (cfg.nlayers && check_layers(&cfg, &p)) {
		preflight_free(&p);
		return RP_ERROR;
	}
	preflight_free(&p);
	if (cfg.nlayers)
		printf("%s: ok (%u layers, top %s, %u disk(s), %u net)\n",
		       optind < argc ? argv[optind] : "stack", cfg.nlayers,
		       cfg.layers[cfg.nlayers - 1], cfg.ndisks, cfg.nnets);
	else
		printf("%s: ok (kernel %s, %llu MiB, %u disk(s), %u net)\n",
		       optind < argc ? argv[optind] : "stack", cfg.kernel,
		       (unsigned long long)(cfg.mem >> 20), cfg.ndisks, cfg.nnets);
	return 0;
}

/* Print the sha256sum line of one layer image. */
static int manifest_line(const char *image)
{
	char hex[SHA256_HEX];
	uint64_t size;
	void *img;

	img = rp_read_file(image, "layer image", RP_MAX_IMAGE_SIZE, &size);
	if (!img)
		return -1;
	measure_hex(img, size, hex);
	free(img);
	printf("%s  %s\n", hex, image);
	return 0;
}

/* The sha256sum line of every variant's layer image, for the operator to approve. */
static int cmd_manifest(int argc, char **argv)
{
	static const struct option opts[] = {
		{"layer-image", required_argument, NULL, OPT_LAYER_IMAGE},
		{NULL, 0, NULL, 0},
	};
	const char *given = NULL;
	char at[PATH_MAX], image[PATH_MAX];
	int opt, i;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt != OPT_LAYER_IMAGE) {
			log_err("usage: rampart manifest [--layer-image PATH]");
			return RP_ERROR;
		}
		given = optarg;
	}
	if (optind < argc) {
		log_err("unexpected argument '%s' (usage: rampart manifest [--layer-image PATH])",
			argv[optind]);
		return RP_ERROR;
	}
	if (!layer_images_at(given, at))
		return manifest_line(at) || fflush(stdout) ? RP_ERROR : 0;
	for (i = 0; config_variants[i]; i++) {
		variant_image(at, config_variants[i], image);
		if (manifest_line(image))
			return RP_ERROR;
	}
	return fflush(stdout) ? RP_ERROR : 0;
}

/* The policy program: rampart-policy in the folder of this binary. Rule
 * text is parsed there, in its own process, never here. */
static int exec_policy(const char *cmd, int argc, char **argv)
{
	char self[4096], path[4096 + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0) {
		log_err("cannot find rampart's own folder (/proc/self/exe): %s", strerror(errno));
		return RP_ERROR;
	}
	self[n] = 0;
	char *slash = strrchr(self, '/');
	if (slash)
		*slash = 0;
	snprintf(path, sizeof(path), "%s/rampart-policy", self);
	char **args = calloc((size_t)argc + 2, sizeof(*args));
	if (!args) {
		log_err("out of memory");
		return RP_ERROR;
	}
	args[0] = path;
	args[1] = (char *)cmd;
	for (int i = 1; i < argc; i++)
		args[i + 1] = argv[i];
	execv(path, args);
	log_err("cannot run %s: %s (build it: make)", path, strerror(errno));
	free(args);
	return RP_ERROR;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_text, stderr);
		return RP_ERROR;
	}
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(argv[1], "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(argv[1], "manifest") == 0)
		return cmd_manifest(argc - 1, argv + 1);
	if (strcmp(argv[1], "firewall") == 0)
		return exec_policy("firewall", argc - 1, argv + 1);
	if (strcmp(argv[1], "ids") == 0) {
		if (argc >= 3 && strcmp(argv[2], "check") == 0)
			return exec_policy("ids-check", argc - 2, argv + 2);
		return exec_policy("ids", argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "rules") == 0) {
		if (argc < 3 || strcmp(argv[2], "check") != 0) {
			log_err("usage: rampart rules check FILE");
			return RP_ERROR;
		}
		return exec_policy("check", argc - 2, argv + 2);
	}
	if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("rampart %s\n", RAMPART_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	log_err("unknown command '%s' (try: rampart help)", argv[1]);
	return RP_ERROR;
}
