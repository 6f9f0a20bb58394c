/* SPDX-License-Identifier: MIT */
/*
 * The ids subcommands of rampart-policy:
 *
 *   rampart-policy ids --rules FILE... --pcap IN --eve OUT
 *                  [--no-checksum-check] [--midstream] [--var NAME=VALUE]
 *                  [--stats]
 *   rampart-policy ids-check [--quiet] [--sids OUT] FILE...
 *                  rules loaded and refused per set; --sids writes the sid
 *                  of every rule loaded, one a line (tests/ids/diff-suricata.sh)
 *
 * Invariants: a rule file larger than IDS_FILE_MAX is refused whole; every
 * refused rule is reported (up to IDS_ERRORS_SHOWN lines, then a count)
 * and the rest load; bad input (a pcap truncated, an unknown link type)
 * ends the run with one line and exit 1.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"
#include "pcap.h"

/* ET Open's largest file is about 4 MiB. */
#define IDS_FILE_MAX (64u << 20)
#define IDS_RULE_FILES_MAX 256u

static int load_file(struct ids_ruleset *rs, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "rampart-policy: cannot open '%s': %s\n", path, strerror(errno));
		return -1;
	}
	char *buf = malloc(IDS_FILE_MAX + 1);
	size_t n = fread(buf, 1, IDS_FILE_MAX + 1, f);
	fclose(f);
	if (n > IDS_FILE_MAX) {
		fprintf(stderr, "rampart-policy: '%s' is larger than %u bytes\n", path, IDS_FILE_MAX);
		free(buf);
		return -1;
	}
	ids_load_text(rs, buf, n, path);
	free(buf);
	return 0;
}

static void report(const struct ids_ruleset *rs, const char *what)
{
	if (rs->failed > rs->errors_shown)
		fprintf(stderr, "rampart-policy: %u more refusals not shown\n",
			rs->failed - rs->errors_shown);
	fprintf(stderr, "%s: %u enabled rules, %u loaded, %u refused (%.1f %% loaded)\n", what,
		rs->enabled, rs->loaded, rs->failed,
		rs->enabled ? 100.0 * rs->loaded / rs->enabled : 0.0);
}

int ids_cmd_check(int argc, char **argv)
{
	struct ids_ruleset rs;
	bool quiet = false;
	const char *sids = NULL;
	int nfiles = 0;

	ids_ruleset_init(&rs);
	rs.errf = stderr;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quiet")) {
			quiet = true;
			rs.errf = NULL;
			continue;
		}
		if (!strcmp(argv[i], "--sids") && i + 1 < argc) {
			sids = argv[++i];
			continue;
		}
		if (load_file(&rs, argv[i]))
			return 1;
		nfiles++;
	}
	if (!nfiles) {
		fprintf(stderr, "usage: rampart-policy ids-check [--quiet] [--sids OUT] FILE...\n");
		return 1;
	}
	(void)quiet;
	if (sids) {
		FILE *sf = strcmp(sids, "-") ? fopen(sids, "w") : stdout;
		if (!sf) {
			fprintf(stderr, "rampart-policy: cannot write '%s': %s\n", sids, strerror(errno));
			return 1;
		}
		for (uint32_t i = 0; i < rs.nrules; i++)
			fprintf(sf, "%u\n", rs.rules[i]->sid);
		if (sf != stdout && fclose(sf)) {
			fprintf(stderr, "rampart-policy: cannot write '%s'\n", sids);
			return 1;
		}
	}
	report(&rs, nfiles == 1 ? argv[argc - 1] : "rules");
	ids_ruleset_free(&rs);
	return 0;
}

int ids_cmd(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' }, { "pcap", required_argument, NULL, 'p' },
		{ "eve", required_argument, NULL, 'e' }, { "var", required_argument, NULL, 'v' },
		{ "no-checksum-check", no_argument, NULL, 'k' },
		{ "midstream", no_argument, NULL, 'm' }, { "stats", no_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' }, { NULL, 0, NULL, 0 },
	};
	const char *files[IDS_RULE_FILES_MAX], *pcap = NULL, *eve = NULL;
	unsigned nfiles = 0;
	struct ids_opts o = { 0 };
	bool stats = false, quiet = false;
	static struct ids_ruleset rs;
	int opt;

	ids_ruleset_init(&rs);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			if (nfiles == IDS_RULE_FILES_MAX) {
				fprintf(stderr, "rampart-policy: more than %u rule files\n", IDS_RULE_FILES_MAX);
				return 1;
			}
			files[nfiles++] = optarg;
			/* --rules A B C: the words up to the next option */
			while (optind < argc && argv[optind][0] != '-' && nfiles < IDS_RULE_FILES_MAX)
				files[nfiles++] = argv[optind++];
			break;
		case 'p': pcap = optarg; break;
		case 'e': eve = optarg; break;
		case 'k': o.no_csum = true; break;
		case 'm': o.midstream = true; break;
		case 's': stats = true; break;
		case 'q': quiet = true; break;
		case 'v': {
			char *eq = strchr(optarg, '=');
			if (!eq) {
				fprintf(stderr, "rampart-policy: --var '%s': NAME=VALUE expected\n", optarg);
				return 1;
			}
			*eq = 0;
			if (ids_set_var(&rs, optarg[0] == '$' ? optarg + 1 : optarg, eq + 1)) {
				fprintf(stderr, "rampart-policy: more than %u variables\n", IDS_VARS_MAX);
				return 1;
			}
			break;
		}
		default:
			goto usage;
		}
	}
	if (optind < argc || !nfiles || !pcap || !eve)
		goto usage;
	rs.errf = quiet ? NULL : stderr;
	for (unsigned i = 0; i < nfiles; i++)
		if (load_file(&rs, files[i]))
			return 1;
	if (!quiet)
		report(&rs, "rules");
	FILE *ef = strcmp(eve, "-") ? fopen(eve, "w") : stdout;
	if (!ef) {
		fprintf(stderr, "rampart-policy: cannot write '%s': %s\n", eve, strerror(errno));
		return 1;
	}
	o.eve = ef;
	char err[256];
	struct ids_engine *e = ids_engine_new(&rs, &o, err, sizeof(err));
	if (!e) {
		fprintf(stderr, "rampart-policy: %s\n", err);
		return 1;
	}
	static struct pcap_reader pr;
	if (pcap_open(&pr, pcap, err, sizeof(err))) {
		fprintf(stderr, "rampart-policy: %s\n", err);
		return 1;
	}
	for (;;) {
		const uint8_t *frame;
		size_t len;
		uint64_t ts;
		int got = pcap_next(&pr, &frame, &len, &ts, err, sizeof(err));
		if (got < 0) {
			fprintf(stderr, "rampart-policy: %s\n", err);
			return 1;
		}
		if (!got)
			break;
		ids_engine_frame(e, frame, len, ts);
	}
	ids_engine_finish(e);
	if (stats)
		ids_engine_stats(e, stderr);
	pcap_close(&pr);
	ids_engine_free(e);
	ids_ruleset_free(&rs);
	if (ef != stdout && fclose(ef)) {
		fprintf(stderr, "rampart-policy: cannot write '%s'\n", eve);
		return 1;
	}
	return 0;
usage:
	fprintf(stderr, "usage: rampart-policy ids --rules FILE... --pcap IN.pcap --eve OUT "
			"[--no-checksum-check] [--midstream] [--var NAME=VALUE] [--stats] [--quiet]\n");
	return 1;
}
