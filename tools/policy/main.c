/* SPDX-License-Identifier: MIT */
/*
 * rampart-policy: the policy program, run outside the root.
 *
 *   rampart-policy check FILE              what loads and what is refused
 *   rampart-policy compile FILE -o BLOB [--kind KIND] [--cache DIR]
 *                                          FILE: nftables text (a firewall's)
 *                                          or a JSON object (a wrapper's);
 *                                          with --kind ids, Snort 3 /
 *                                          Suricata rules (an ids layer's)
 *                                          write the policy blob; with a
 *                                          cache, blobs are kept by the
 *                                          SHA-256 of this program and the
 *                                          rule text, and a second compile
 *                                          of the same text is a copy
 *   rampart-policy firewall --rules FILE --pcap IN.pcap --guest PREFIX
 *                  [--guest-mac MAC] [--no-checksum] [--stats]
 *                                          one verdict per frame, offline
 *   rampart-policy ids --rules FILE... --pcap IN --eve OUT
 *                  [--no-checksum-check] [--midstream] [--var NAME=VALUE]
 *                                          Snort 3 / Suricata rules over a
 *                                          pcap, alerts as EVE JSON
 *   rampart-policy ids-check [--sids OUT] FILE...  which rules load, which not
 *
 * check, compile and firewall run under a seccomp allow-list (sandbox.c)
 * once their files are open: nothing read from outside is parsed before it.
 * compile parses in a child and renames its output into place in the
 * parent, which parses nothing. ids and ids-check do not use it yet.
 *
 * The offline mode runs the firewall engine of src/fw, built for the host,
 * over a pcap in order. Bad input (a rule file refused, a pcap truncated or
 * of an unknown link type) ends it with one line and exit 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "fw/fw.h"
#include "fw/wrap.h"
#include "lib/sha256.h"
#include "ids.h"
#include "ids/blob.h"
#include "ids_blob.h"
#include "nft.h"
#include "pcap.h"
#include "sandbox.h"
#include "wrap.h"

#define GUEST_PREFIXES_MAX 16u

static void die(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "rampart-policy: ");
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	exit(1);
}

static int open_or_die(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("cannot open '%s': %s", path, strerror(errno));
	return fd;
}

/* The whole of fd, at most max bytes; closes it. Runs under the seccomp
 * filter too (read only). */
static char *read_fd(int fd, const char *path, size_t max, size_t *len)
{
	char *buf = malloc(max + 1);
	size_t n = 0;

	if (!buf)
		die("out of memory reading '%s'%s", path, "");
	while (n <= max) {
		ssize_t got = read(fd, buf + n, max + 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			die("cannot read '%s': %s", path, strerror(errno));
		if (got == 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	if (n > max) {
		char lim[48];

		snprintf(lim, sizeof(lim), "%zu MiB", max >> 20);
		die("'%s' is larger than the limit (%s)", path, lim);
	}
	*len = n;
	return buf;
}

static char *read_file(const char *path, size_t max, size_t *len)
{
	return read_fd(open_or_die(path), path, max, len);
}

/* Before the filter: what the compilers would otherwise open later (service
 * names, jansson's hash seed), then the filter itself (sandbox.c). */
static void enter_sandbox(void)
{
	nft_services_load();
	json_object_seed(0);	/* jansson seeds its hash from /dev/urandom once */
	policy_sandbox();
}

static void compile_text_or_die(char *text, size_t len, const char *path, struct nft_result *r,
				bool quiet, bool wrap, bool *is_wrap);

/* Compiles FILE (nftables, or a wrapper's JSON policy when wrap is set and
 * the file is a JSON object; *is_wrap says which) or prints every refusal
 * and exits 1. */
static void compile_or_die(int fd, const char *path, struct nft_result *r, bool quiet, bool wrap,
			   bool *is_wrap)
{
	size_t len;
	char *text = read_fd(fd, path, NFT_FILE_MAX, &len);
	compile_text_or_die(text, len, path, r, quiet, wrap, is_wrap);
}

/* The same on text already read (freed here). */
static void compile_text_or_die(char *text, size_t len, const char *path, struct nft_result *r,
				bool quiet, bool wrap, bool *is_wrap)
{
	bool w = wrap && wrap_is_json(text, len);
	int rc = w ? wrap_compile(text, len, path, r) : nft_compile(text, len, path, r);
	free(text);
	if (is_wrap)
		*is_wrap = w;
	if (rc == 0)
		return;
	for (unsigned i = 0; i < r->nerrors && i < NFT_ERRORS_MAX; i++)
		fprintf(stderr, "rampart-policy: %s: refused\n", r->errors[i]);
	if (r->nerrors > NFT_ERRORS_MAX)
		fprintf(stderr, "rampart-policy: %u more refusals\n", r->nerrors - NFT_ERRORS_MAX);
	if (!quiet && r->nerrors > 1)
		fprintf(stderr, "rampart-policy: %s: %u refusals, nothing loaded\n", path, r->nerrors);
	exit(1);
}

static int cmd_check(int argc, char **argv)
{
	struct nft_result r;

	if (argc != 2)
		die("usage: rampart-policy check FILE%s%s", "", "");
	bool w;
	int fd = open_or_die(argv[1]);

	enter_sandbox();
	compile_or_die(fd, argv[1], &r, false, true, &w);
	if (w) {
		const struct wr_policy *p = r.blob;

		printf("%s: loads: a wrapper policy, %u read-only and %u denied ranges, blob %zu "
		       "bytes\n", argv[1], p->nro, p->ndeny, r.len);
		nft_result_free(&r);
		return 0;
	}
	printf("%s: loads: %u chains, %u rules, %u sets, %u set elements, blob %zu bytes\n",
	       argv[1], r.nchains, r.nrules, r.nsets, r.nelems, r.len);
	nft_result_free(&r);
	return 0;
}

/* --var per compile: an ids ruleset's variables (IDS_VARS_MAX). */
#define COMPILE_VARS_MAX 128u

/* The largest blob: every record array at its limit. */
#define BLOB_MAX (64u << 20)

static void write_all(int fd, const char *path, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("cannot write '%s': %s", path, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

/* A file beside path to write into and rename over it once whole. */
static int open_tmp(const char *path, char *tmp, size_t size)
{
	snprintf(tmp, size, "%s.tmp.%d", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0)
		die("cannot write '%s': %s", path, strerror(errno));
	return fd;
}

/* The cache key: SHA-256 of this program's own image and of the rule text,
 * so that a rebuilt compiler never reuses an old blob. */
static void cache_key(const char *text, size_t len, const char *kind, char *const *vars,
		      unsigned nvars, char hex[SHA256_HEX])
{
	struct sha256 c;
	uint8_t d[SHA256_BYTES];
	size_t n;
	char *self = read_file("/proc/self/exe", BLOB_MAX, &n);

	sha256_init(&c);
	sha256_update(&c, self, n);
	sha256_update(&c, text, len);
	/* an ids layer's blob is another language's: never a firewall's */
	if (kind && !strcmp(kind, "ids"))
		sha256_update(&c, "ids", 3);
	/* the variables change what the rules say: each with its NUL */
	for (unsigned i = 0; i < nvars; i++)
		sha256_update(&c, vars[i], strlen(vars[i]) + 1);
	sha256_final(&c, d);
	sha256_hex(d, hex);
	free(self);
}

/* The bytes of a cached blob, or NULL when there is none. Read here, checked
 * only under the filter. */
static char *cache_read(const char *path, size_t *n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? NULL : read_fd(fd, path, BLOB_MAX, n);
}

/* Under the filter: whether a cached blob passes the engine's check. */
static bool cache_ok(const char *b, size_t n)
{
	void *blob = aligned_alloc(8, n + 8);
	const char *why;
	bool ok = blob && (memcpy(blob, b, n), fw_blob_check(blob, n, &why) == 0 ||
			   wr_blob_check(blob, n, &why) == 0 || ids_blob_check(blob, n, &why) == 0);
	free(blob);
	return ok;
}

/* What the compile's child gets: descriptors opened before the filter, the
 * text when the parent read it for the cache key, a cached blob's bytes. */
struct compile_job {
	const char *in, *out, *kind, *hex;
	int in_fd, out_fd, cache_fd;	/* cache_fd -1: no cache */
	char *text;
	size_t len;
	char *cached;
	size_t clen;
	char **vars;	/* --var NAME=VALUE, an ids layer's */
	unsigned nvars;
};

/* The child: everything that reads the rule text or a blob, under the
 * filter. Writes the blob to out_fd (and cache_fd); exit 0 when it did. */
static int compile_child(struct compile_job *j)
{
	struct nft_result r;
	bool w;

	enter_sandbox();
	bool ids = j->kind && !strcmp(j->kind, "ids");
	if (!j->text)
		j->text = read_fd(j->in_fd, j->in, ids ? IDS_FILE_MAX : NFT_FILE_MAX, &j->len);
	if (j->kind && !ids) { /* the layer's kind says which language it reads: never the other's */
		bool json = wrap_is_json(j->text, j->len);

		if (!strcmp(j->kind, "wrapper") != json)
			die("%s: %s", j->in, json ? "a JSON (wrapper) policy for a firewall layer: give "
						    "it an nftables ruleset"
						  : "not a JSON object: a wrapper layer's policy is JSON "
						    "(docs/wrapper.md)");
	}
	/* after the kind check: a cached blob is keyed by the text alone */
	if (j->cached && cache_ok(j->cached, j->clen)) {
		write_all(j->out_fd, j->out, j->cached, j->clen);
		write_all(j->cache_fd, j->out, j->cached, j->clen);
		printf("%s cached\n", j->hex);
		return fflush(stdout) ? 1 : 0;
	}
	if (ids) { /* an ids layer's rules: Snort 3 / Suricata */
		struct ids_blob_out o;

		if (ids_blob_compile(j->text, j->len, j->in, (const char *const *)j->vars, j->nvars,
				     stderr, &o))
			exit(1);
		free(j->text);
		write_all(j->out_fd, j->out, o.blob, o.len);
		if (j->cache_fd >= 0)
			write_all(j->cache_fd, j->out, o.blob, o.len);
		fprintf(stderr, "%s: %u rules in-line (%u contents, %u pcres, %u addresses, %u port "
				"ranges, %u flowbits operations, %u walked contents, %u HTTP rules (%u on responses), "
				"%u DNS rules, %u TLS rules, %u header-only rules (%u index entries), "
				"database %u bytes, blob %zu bytes), %u not loaded in-line\n",
			j->in, o.nrules, o.npatterns, o.npcre, o.naddrs, o.nports, o.nfbs, o.nitems,
			o.nhttp, o.nhttp_tc, o.ndns, o.ntls, o.nhdr, o.nhix, o.db_size, o.len, o.not_loaded);
		if (j->cache_fd >= 0)
			printf("%s compiled\n", j->hex);
		free(o.blob);
		return fflush(stdout) ? 1 : 0;
	}
	compile_text_or_die(j->text, j->len, j->in, &r, false, true, &w);
	write_all(j->out_fd, j->out, r.blob, r.len);
	if (j->cache_fd >= 0) {
		write_all(j->cache_fd, j->out, r.blob, r.len);
		printf("%s compiled\n", j->hex);
	}
	nft_result_free(&r);
	return fflush(stdout) ? 1 : 0;
}

/* compile: the parent opens the files, the child (compile_child) parses
 * under the filter, the parent renames what it wrote into place (a rename
 * is a call the filter does not allow) and parses nothing itself. */
static int cmd_compile(int argc, char **argv)
{
	static char *vars[COMPILE_VARS_MAX];
	struct compile_job j = { .cache_fd = -1, .vars = vars };
	const char *cache = NULL;
	char hex[SHA256_HEX] = "", path[4096 + 80], tmp_out[4096 + 32], tmp_cache[4096 + 128];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			j.out = argv[++i];
		else if (strcmp(argv[i], "--cache") == 0 && i + 1 < argc)
			cache = argv[++i];
		else if (strcmp(argv[i], "--kind") == 0 && i + 1 < argc)
			j.kind = argv[++i];
		else if (strcmp(argv[i], "--var") == 0 && i + 1 < argc) {
			if (j.nvars == COMPILE_VARS_MAX)
				die("more than %s --var%s", "COMPILE_VARS_MAX (128)", "");
			j.vars[j.nvars++] = argv[++i];
		} else if (!j.in && argv[i][0] != '-')
			j.in = argv[i];
		else
			die("unexpected argument '%s' (usage: rampart-policy compile FILE -o BLOB)%s",
			    argv[i], "");
	}
	if (!j.in || !j.out)
		die("usage: rampart-policy compile FILE -o BLOB [--kind KIND] [--cache DIR] [--var "
		    "NAME=VALUE]...%s%s", "", "");
	if (j.nvars && (!j.kind || strcmp(j.kind, "ids")))
		die("--var: only for --kind ids (Snort 3 / Suricata rule variables)%s%s", "", "");
	j.in_fd = open_or_die(j.in);
	j.hex = hex;
	if (cache) {
		/* the key hashes the text: read here, parsed only in the child */
		j.text = read_fd(j.in_fd, j.in,
				 j.kind && !strcmp(j.kind, "ids") ? IDS_FILE_MAX : NFT_FILE_MAX, &j.len);
		cache_key(j.text, j.len, j.kind, j.vars, j.nvars, hex);
		if (mkdir(cache, 0700) && errno != EEXIST)
			die("cannot create the cache '%s': %s", cache, strerror(errno));
		snprintf(path, sizeof(path), "%s/%s.blob", cache, hex);
		j.cached = cache_read(path, &j.clen);
		j.cache_fd = open_tmp(path, tmp_cache, sizeof(tmp_cache));
	}
	j.out_fd = open_tmp(j.out, tmp_out, sizeof(tmp_out));
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s%s", strerror(errno), "");
	if (pid == 0)
		_exit(compile_child(&j));
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			die("waitpid: %s%s", strerror(errno), "");
	bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
	if (WIFSIGNALED(st))
		fprintf(stderr, "rampart-policy: the compile ended on signal %d\n", WTERMSIG(st));
	if (!ok || close(j.out_fd) || rename(tmp_out, j.out)) {
		int e = errno;
		unlink(tmp_out);
		if (cache)
			unlink(tmp_cache);
		if (ok)
			die("cannot write '%s': %s", j.out, strerror(e));
		return 1;
	}
	if (cache && (close(j.cache_fd) || rename(tmp_cache, path)))
		unlink(tmp_cache);	/* the blob is written; only the cache missed it */
	return 0;
}

struct prefix {
	int af;
	uint8_t a[16];
	unsigned bits;
};

static void parse_prefix(const char *s, struct prefix *p)
{
	char buf[64];
	char *e;

	snprintf(buf, sizeof(buf), "%s", s);
	char *slash = strchr(buf, '/');
	if (slash)
		*slash = 0;
	p->af = strchr(buf, ':') ? AF_INET6 : AF_INET;
	unsigned max = p->af == AF_INET6 ? 128 : 32;
	if (inet_pton(p->af, buf, p->a) != 1)
		die("--guest '%s': not an address or prefix (e.g. 10.0.2.0/24)%s", s, "");
	p->bits = max;
	if (slash) {
		unsigned long b = strtoul(slash + 1, &e, 10);
		if (*e || !slash[1] || b > max)
			die("--guest '%s': bad prefix length%s", s, "");
		p->bits = (unsigned)b;
	}
}

static bool in_prefix(const struct prefix *p, const struct fw_pkt *k)
{
	if ((p->af == AF_INET6) != (k->alen == 16) || (k->l3 != FW_L3_IP4 && k->l3 != FW_L3_IP6 &&
						       k->l3 != FW_L3_ARP))
		return false;
	for (unsigned b = 0; b < p->bits; b++) {
		uint8_t m = (uint8_t)(0x80u >> (b % 8));
		if ((p->a[b / 8] & m) != (k->saddr[b / 8] & m))
			return false;
	}
	return true;
}

static int cmd_firewall(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' }, { "pcap", required_argument, NULL, 'p' },
		{ "guest", required_argument, NULL, 'g' }, { "guest-mac", required_argument, NULL, 'm' },
		{ "stats", no_argument, NULL, 's' }, { "no-checksum", no_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	const char *rules = NULL, *pcap = NULL;
	struct prefix guest[GUEST_PREFIXES_MAX];
	unsigned nguest = 0;
	uint8_t mac[6];
	bool have_mac = false, stats = false, no_csum = false;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'r': rules = optarg; break;
		case 'p': pcap = optarg; break;
		case 's': stats = true; break;
		case 'k': no_csum = true; break;
		case 'g':
			if (nguest == GUEST_PREFIXES_MAX)
				die("more than 16 --guest prefixes%s%s", "", "");
			parse_prefix(optarg, &guest[nguest++]);
			break;
		case 'm': {
			unsigned m[6];
			char tail;
			if (sscanf(optarg, "%2x:%2x:%2x:%2x:%2x:%2x%c", &m[0], &m[1], &m[2], &m[3],
				   &m[4], &m[5], &tail) != 6)
				die("--guest-mac '%s': not a MAC address (aa:bb:cc:dd:ee:ff)%s", optarg, "");
			for (int i = 0; i < 6; i++)
				mac[i] = (uint8_t)m[i];
			have_mac = true;
			break;
		}
		default:
			die("usage: rampart-policy firewall --rules FILE --pcap IN.pcap --guest PREFIX [--guest-mac MAC]%s%s",
			    "", "");
		}
	}
	if (optind < argc)
		die("unexpected argument '%s'%s", argv[optind], "");
	if (!rules || !pcap || (!nguest && !have_mac))
		die("firewall needs --rules FILE, --pcap FILE and --guest PREFIX or --guest-mac MAC%s%s",
		    "", "");

	struct nft_result r;
	int rules_fd = open_or_die(rules);
	static struct pcap_reader pr;	/* a 256 KiB buffer: not on the stack */
	char err[256];
	if (pcap_open(&pr, pcap, err, sizeof(err)))
		die("%s%s", err, "");
	/* Conntrack's hash key: random, as the layer's (a pcap can be crafted). */
	uint8_t key[FW_CT_KEY_BYTES];
	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key))
		die("getrandom: %s (conntrack's hash key)%s", strerror(errno), "");
	/* the files are open (pcap_open read only its header): parse nothing
	 * more outside the filter */
	enter_sandbox();
	compile_or_die(rules_fd, rules, &r, false, false, NULL);
	struct fw_engine *fw = calloc(1, sizeof(*fw));
	if (!fw)
		die("out of memory%s%s", "", "");
	fw_engine_init(fw, r.blob, key);
	if (no_csum)
		fw->parse_flags = FW_PARSE_NO_IP_CSUM;

	static const char *const names[FW_V_COUNT] = {
		[FW_V_ACCEPT] = "accept", [FW_V_DROP] = "drop", [FW_V_REJECT] = "reject",
	};
	/* The frame loop's CPU time (this thread's: other work on the core does
	 * not count), for --stats: the offline mode's cost per frame without
	 * the compile and load before it (bench/fw.sh). */
	struct timespec t0, t1;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	for (unsigned long n = 1;; n++) {
		const uint8_t *frame;
		size_t len;
		uint64_t ts;
		int got = pcap_next(&pr, &frame, &len, &ts, err, sizeof(err));
		if (got < 0)
			die("%s%s", err, "");
		if (got == 0)
			break;
		struct fw_pkt k;
		fw_parse_flags(frame, len, fw->parse_flags, &k);
		bool from_guest = have_mac && len >= 12 && memcmp(frame + 6, mac, 6) == 0;
		for (unsigned i = 0; i < nguest && !from_guest; i++)
			from_guest = !k.invalid && in_prefix(&guest[i], &k);
		unsigned v = fw_filter(fw, frame, len, from_guest ? FW_IF_GUEST : FW_IF_HOST, ts);
		printf("%lu %s\n", n, names[v] ? names[v] : "drop");
	}
	/* the verdicts written out count in the loop's time */
	bool out_ok = fflush(stdout) == 0;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
	if (stats)
		fprintf(stderr,
			"{\"frames\":%llu,\"accepted\":%llu,\"dropped\":%llu,\"rejected\":%llu,"
			"\"invalid\":%llu,\"ct_entries\":%u,\"ct_full\":%llu,\"frag_dropped\":%llu,"
			"\"loop_cpu_ns\":%llu}\n",
			(unsigned long long)fw->stats.frames, (unsigned long long)fw->stats.accepted,
			(unsigned long long)fw->stats.dropped, (unsigned long long)fw->stats.rejected,
			(unsigned long long)fw->stats.invalid, fw_ct_count(&fw->ct),
			(unsigned long long)fw->stats.ct_full, (unsigned long long)fw->stats.frag_dropped,
			(unsigned long long)((t1.tv_sec - t0.tv_sec) * 1000000000LL +
					     (t1.tv_nsec - t0.tv_nsec)));
	pcap_close(&pr);
	free(fw);
	nft_result_free(&r);
	return out_ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "compile") == 0)
		return cmd_compile(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "firewall") == 0)
		return cmd_firewall(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "ids") == 0)
		return ids_cmd(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "ids-check") == 0)
		return ids_cmd_check(argc - 1, argv + 1);
	fprintf(stderr, "usage: rampart-policy check FILE | compile FILE -o BLOB [--cache DIR] |\n"
			"       firewall --rules FILE --pcap IN.pcap --guest PREFIX [--guest-mac MAC] |\n"
			"       ids --rules FILE... --pcap IN.pcap --eve OUT [--no-checksum-check] [--midstream] |\n"
			"       ids-check [--quiet] [--sids OUT] FILE...\n");
	return 1;
}
