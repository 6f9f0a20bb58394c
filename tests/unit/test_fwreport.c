/* SPDX-License-Identifier: MIT */
/* A firewall layer's counter lines as the root reads them (fwreport.c),
 * and the rules of a firewall layer in the stack file and on the command
 * line (config.c). */
#include "unit.h"

#include "root/config.h"
#include "root/fwreport.h"
#include "root/log.h"

static struct fwr f;

static void report_taken(void **state)
{
	memset(&f, 0, sizeof(f));
	assert_true(fwr_line(&f, 1, "firewall", "L1#1", "fwrules 0:7:32:100 3:9:5:50"));
	assert_false(f.l[0].r.seen); /* a report is whole only with its fwstats line */
	assert_true(fwr_line(&f, 1, "firewall", "L1#1",
			     "fwstats frames=10 bytes=900 accepted=6 dropped=4 tagged=1 rules=2 restarts=0"));
	assert_true(f.l[0].r.seen);
	assert_int_equal(f.l[0].r.v[FWR_FRAMES], 10);
	assert_int_equal(f.l[0].r.v[FWR_DROPPED], 4);
	assert_int_equal(f.l[0].r.v[FWR_TAGGED], 1);
	assert_int_equal(f.l[0].nrules, 2);
	assert_int_equal(f.l[0].rules[1].line, 9);
	assert_int_equal(f.l[0].rules[1].packets, 5);
}

static void not_a_firewall(void **state)
{
	memset(&f, 0, sizeof(f));
	/* The same text from a pass layer is an ordinary log line. */
	assert_false(fwr_line(&f, 1, "pass", "L1#1", "fwstats frames=10"));
	assert_false(fwr_line(&f, 9, "firewall", "L9#1", "fwstats frames=10"));
	assert_false(fwr_line(&f, 1, "firewall", "L1#1", "hello"));
	assert_false(f.l[0].r.seen);
}

static void malformed_ignored(void **state)
{
	memset(&f, 0, sizeof(f));
	assert_true(fwr_line(&f, 1, "firewall", "L1#1", "fwstats frames=10 accepted=x"));
	assert_true(fwr_line(&f, 1, "firewall", "L1#1", "fwstats frames"));
	assert_false(f.l[0].r.seen);
	/* An unknown key is skipped, not taken for another. */
	assert_true(fwr_line(&f, 1, "firewall", "L1#1", "fwstats frames=3 future=99"));
	assert_int_equal(f.l[0].r.v[FWR_FRAMES], 3);
	/* More rules than kept: the rest are dropped, nothing grows. */
	for (int i = 0; i < 3 * FWR_RULES_MAX; i++)
		assert_true(fwr_line(&f, 1, "firewall", "L1#1", "fwrules 1:2:3:4"));
	assert_int_equal(f.l[0].npending, FWR_RULES_MAX);
}

static void restart_folds(void **state)
{
	memset(&f, 0, sizeof(f));
	fwr_line(&f, 2, "fwflaky", "L2#2", "fwrules 0:7:8:80");
	fwr_line(&f, 2, "fwflaky", "L2#2", "fwstats frames=10 accepted=8 ct_entries=3 restarts=0");
	/* The rebuilt layer reports from zero: its predecessor's counts stay. */
	fwr_line(&f, 2, "fwflaky", "L2#3", "fwrules 0:7:1:10");
	fwr_line(&f, 2, "fwflaky", "L2#3", "fwstats frames=2 accepted=1 ct_entries=1 restarts=1");
	assert_int_equal(f.l[1].r.before[FWR_FRAMES] + f.l[1].r.v[FWR_FRAMES], 12);
	assert_int_equal(f.l[1].r.before[FWR_ACCEPTED] + f.l[1].r.v[FWR_ACCEPTED], 9);
	assert_int_equal(f.l[1].r.v[FWR_CT_ENTRIES], 1); /* the table now, not a sum */
	assert_int_equal(f.l[1].nbefore, 1);
	assert_int_equal(f.l[1].before_rules[0].packets + f.l[1].rules[0].packets, 9);
	/* A later report of the same instance replaces, does not add. */
	fwr_line(&f, 2, "fwflaky", "L2#3", "fwstats frames=5 accepted=2 ct_entries=1 restarts=1");
	assert_int_equal(f.l[1].r.before[FWR_FRAMES] + f.l[1].r.v[FWR_FRAMES], 15);
}

/* A watch layer's lines: only from a watch layer; a whole report, or none. */
static void watch_lines(void **state)
{
	(void)state;
	memset(&f, 0, sizeof(f));
	assert_false(fwr_line(&f, 1, "pass", "L1#1", "watchstats checks=3"));
	assert_false(fwr_line(&f, 9, "watch", "L9#1", "watchstats checks=3"));
	assert_true(fwr_line(&f, 1, "watch", "L1#1", "watchstats checks=3 changes=x"));
	assert_false(f.t[0].seen);
	assert_true(fwr_line(&f, 1, "watch", "L1#1",
			     "watchstats pages=5674 checks=28 changes=7 alerts_unlogged=0 "
			     "hash_cycles=5 check_cycles=9 ctl_reads=28 idtr_alerts=1 "
			     "lstar_alerts=2 found=1 virt_known=1 vcpus=1 uptime_ms=114000 "
			     "restarts=0"));
	assert_true(f.t[0].seen);
	assert_int_equal(f.t[0].v[WTR_CHECKS], 28);
	assert_int_equal(f.t[0].v[WTR_PAGES], 5674);
	assert_int_equal(f.t[0].v[WTR_CHECK_CYCLES], 9);
	assert_int_equal(f.t[0].v[WTR_LSTAR_ALERTS], 2);
	assert_int_equal(f.t[0].v[WTR_VCPUS], 1);
	/* an alert is taken (an event, not a layer_log line), a malformed one too (dropped) */
	assert_true(fwr_line(&f, 1, "watch", "L1#1",
			     "watchalert region=text gpa=0x1000 kva=0xffffffff81001000 "
			     "at=0xffffffff81001010 bytes=5 check=4 was=00 now=11 symbol=f+0x10"));
	assert_true(fwr_line(&f, 1, "watch", "L1#1", "watchalert region=text gpa=0x1000"));
	assert_false(fwr_line(&f, 1, "firewall", "L1#1", "watchalert region=text"));
	/* an alert that is no page (the guest's maps changed): an event with its why */
	{
		FILE *t = tmpfile();
		char ev[1024] = "";

		assert_non_null(t);
		log_open(fileno(t), NULL);
		assert_true(fwr_line(&f, 1, "watch", "L1#1",
				     "watchalert region=layout check=7 why=the guest's memory moved"));
		assert_true(fwr_line(&f, 1, "watch", "L1#1", "watchalert region=kernel check=7"));
		assert_true(fwr_line(&f, 1, "watch", "L1#1",
				     "watchalert region=remap check=8 why=kva 0xffffffff81001000 "
				     "(text f+0x0) no longer maps the kernel's page at gpa 0x1001000"));
		/* a vCPU's register: its values and why; an idtr without its limit dropped */
		assert_true(fwr_line(&f, 1, "watch", "L1#1",
				     "watchalert region=lstar vcpu=1 check=9 "
				     "seen=0xffffffff81000000 expected=0xffffffff81c00080 "
				     "why=not entry_SYSCALL_64's address"));
		assert_true(fwr_line(&f, 1, "watch", "L1#1",
				     "watchalert region=idtr vcpu=0 check=10 "
				     "seen=0xfffffe0000000000 limit=0xffff "
				     "expected=0xfffffe0000000000 why=changed"));
		assert_true(fwr_line(&f, 1, "watch", "L1#1",
				     "watchalert region=idtr vcpu=0 check=11 seen=0x1 expected=0x2 "
				     "why=no limit"));
		log_open(-1, NULL);
		rewind(t);
		assert_true(fread(ev, 1, sizeof(ev) - 1, t) > 0);
		fclose(t);
		assert_non_null(strstr(ev, "\"event\":\"watch_alert\""));
		assert_non_null(strstr(ev, "\"region\":\"layout\""));
		assert_non_null(strstr(ev, "\"check\":7"));
		assert_non_null(strstr(ev, "\"why\":\"the guest's memory moved\""));
		assert_null(strstr(ev, "\"region\":\"kernel\"")); /* no why: dropped */
		assert_non_null(strstr(ev, "\"region\":\"remap\",\"check\":8,\"why\":\"kva "));
		assert_non_null(strstr(ev, "\"region\":\"lstar\",\"vcpu\":1,\"check\":9,"
					   "\"seen\":\"0xffffffff81000000\",\"expected\":"
					   "\"0xffffffff81c00080\",\"why\":\"not "
					   "entry_SYSCALL_64's address\""));
		assert_non_null(strstr(ev, "\"region\":\"idtr\",\"vcpu\":0,\"check\":10,"
					   "\"seen\":\"0xfffffe0000000000\","
					   "\"limit\":\"0xffff\","));
		assert_null(strstr(ev, "\"check\":11")); /* no limit: dropped */
	}
	/* a restarted watch: its earlier checks add up */
	assert_true(fwr_line(&f, 1, "watch", "L1#1", "watchstats checks=2 restarts=1"));
	assert_int_equal(f.t[0].before[WTR_CHECKS], 28);
	assert_int_equal(f.t[0].v[WTR_CHECKS], 2);
}

/* The end events: every kind's keys, its predecessors' counts added in,
 * the gauges (a table's size, the rule count) not; a firewall's rules. */
static void end_events(void **state)
{
	static struct ln_stack st;
	FILE *t = tmpfile();
	char ev[4096] = "";

	(void)state;
	memset(&f, 0, sizeof(f));
	st.policy_path[0] = "/s/g.nft";
	st.policy_path[1] = "/s/w.json";
	assert_true(fwr_line(&f, 1, "firewall", "L1#1", "fwrules 2:7:5:100"));
	assert_true(fwr_line(&f, 1, "firewall", "L1#1",
			     "fwstats frames=10 accepted=6 ct_entries=4 rules=3 restarts=0"));
	assert_true(fwr_line(&f, 1, "firewall", "L1#2", "fwrules 2:7:1:20"));
	assert_true(fwr_line(&f, 1, "firewall", "L1#2",
			     "fwstats frames=2 accepted=1 ct_entries=1 rules=3 restarts=1"));
	assert_true(fwr_line(&f, 2, "wrapper", "L2#1", "wrstats requests=9 delayed=2 restarts=0"));
	assert_true(fwr_line(&f, 2, "wrapper", "L2#1", "wrstats requests=4 delayed=1 restarts=1"));
	/* an ids report in two lines: the continuation's keys taken by the next idsstats only */
	assert_true(fwr_line(&f, 3, "ids", "L3#1", "idsmore stream_segs=11 pcre_limited=3"));
	assert_true(fwr_line(&f, 3, "ids", "L3#1", "idsstats frames=7 alerts=1 rules=5"));
	assert_int_equal(f.i[2].v[IDR_STREAM_SEGS], 11);
	assert_int_equal(f.i[2].v[IDR_PCRE_LIMITED], 3);
	assert_true(fwr_line(&f, 3, "ids", "L3#1", "idsmore stream_segs=12 pcre_limited=4"));
	assert_true(fwr_line(&f, 3, "ids", "L3#1", "idsstats frames=8 alerts=2 rules=5"));
	assert_false(fwr_line(&f, 2, "wrapper", "L2#1", "idsmore stream_segs=1"));
	assert_non_null(t);
	log_open(fileno(t), NULL);
	fwr_events(&f, &st);
	log_open(-1, NULL);
	rewind(t);
	assert_true(fread(ev, 1, sizeof(ev) - 1, t) > 0);
	fclose(t);
	assert_non_null(strstr(ev, "\"event\":\"firewall\",\"layer\":\"L1#2\",\"depth\":1,"
				   "\"rules_file\":\"/s/g.nft\",\"frames\":12,"));
	assert_non_null(strstr(ev, "\"accepted\":7,"));
	assert_non_null(strstr(ev, "\"ct_entries\":1,\"rules\":3,"));
	assert_non_null(strstr(ev, "\"reports\":2,\"counters\":[{\"rule\":2,\"line\":7,"
				   "\"packets\":6,\"bytes\":120}]"));
	assert_non_null(strstr(ev, "\"event\":\"wrapper\",\"layer\":\"L2#1\",\"depth\":2,"
				   "\"policy\":\"/s/w.json\",\"requests\":13,"));
	assert_non_null(strstr(ev, "\"delayed\":3,"));
	assert_non_null(strstr(ev, "\"event\":\"ids\",\"layer\":\"L3#1\",\"depth\":3,"
				   "\"rules_file\":\"\",\"frames\":8,"));
	assert_non_null(strstr(ev, "\"alerts\":2,"));
	assert_non_null(strstr(ev, "\"stream_segs\":12,"));
	assert_non_null(strstr(ev, "\"pcre_limited\":4,"));
	assert_non_null(strstr(ev, "\"alert_lines_cut\":0"));
	assert_null(strstr(ev, "\"event\":\"watch\"")); /* no report, no event */
}

static struct rp_config cfg;
static char err[512];

static void rules_config(void **state)
{
	config_defaults(&cfg);
	assert_int_equal(config_load_text(&cfg,
					  "{\"layers\":[{\"kind\":\"firewall\",\"rules\":\"g.nft\"},"
					  "{\"kind\":\"io\"}]}",
					  "/stacks", err, sizeof(err)),
			 0);
	assert_string_equal(config_layer_rules(&cfg, 0), "/stacks/g.nft");
	assert_string_equal(config_layer_rules(&cfg, 1), "");
	assert_int_equal(config_check(&cfg, err, sizeof(err)), 0);
	/* Flags win: by kind, then by number (the last given). */
	assert_int_equal(config_add_rules(&cfg, "firewall=a.nft", err, sizeof(err)), 0);
	assert_string_equal(config_layer_rules(&cfg, 0), "a.nft");
	assert_int_equal(config_add_rules(&cfg, "1=b.nft", err, sizeof(err)), 0);
	assert_string_equal(config_layer_rules(&cfg, 0), "b.nft");
	assert_int_equal(config_add_rules(&cfg, "nokey", err, sizeof(err)), -1);
	assert_int_equal(config_add_rules(&cfg, "=x", err, sizeof(err)), -1);
	assert_int_equal(config_add_rules(&cfg, "2=c.nft", err, sizeof(err)), 0);
	assert_int_equal(config_check(&cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "layer 2 'io' takes no rules"));
	/* A firewall without rules is refused. */
	config_defaults(&cfg);
	assert_int_equal(config_add_layers(&cfg, "pass,firewall,vmm", err, sizeof(err)), 0);
	snprintf(cfg.kernel, sizeof(cfg.kernel), "k");
	assert_int_equal(config_check(&cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "layer 2 'firewall' needs its rules"));
	assert_int_equal(config_load_text(&cfg, "{\"layers\":[{\"kind\":\"firewall\",\"rules\":7}]}",
					  "/s", err, sizeof(err)),
			 -1);
}

/* A watch layer's timing: its stack-file entry, then --watch over it. */
static void watch_config(void **state)
{
	(void)state;
	config_defaults(&cfg);
	assert_int_equal(cfg.watch_interval_ms[0], RP_WATCH_INTERVAL_MS);
	assert_int_equal(config_load_text(&cfg,
					  "{\"guest\":{\"kernel\":\"k\"},\"layers\":[{\"kind\":\"watch\","
					  "\"rules\":\"System.map\",\"start_after_ms\":2500,"
					  "\"interval_ms\":250},{\"kind\":\"vmm\"}]}",
					  "/s", err, sizeof(err)),
			 0);
	assert_int_equal(cfg.watch_start_ms[0], 2500);
	assert_int_equal(cfg.watch_interval_ms[0], 250);
	assert_string_equal(config_layer_rules(&cfg, 0), "/s/System.map");
	assert_int_equal(config_check(&cfg, err, sizeof(err)), 0);
	assert_int_equal(config_set_watch(&cfg, "0,100", err, sizeof(err)), 0);
	assert_int_equal(cfg.watch_start_ms[0], 0);
	assert_int_equal(cfg.watch_interval_ms[0], 100);
	assert_int_equal(config_set_watch(&cfg, "0,99", err, sizeof(err)), -1);
	assert_int_equal(config_set_watch(&cfg, "5", err, sizeof(err)), -1);
	assert_int_equal(config_set_watch(&cfg, "5,100,7", err, sizeof(err)), -1);
	assert_int_equal(config_load_text(&cfg,
					  "{\"layers\":[{\"kind\":\"watch\",\"interval_ms\":-1},"
					  "{\"kind\":\"vmm\"}]}",
					  "/s", err, sizeof(err)),
			 -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(report_taken),	     cmocka_unit_test(not_a_firewall),
		cmocka_unit_test(malformed_ignored), cmocka_unit_test(restart_folds),
		cmocka_unit_test(rules_config),	     cmocka_unit_test(watch_lines),
		cmocka_unit_test(watch_config),	     cmocka_unit_test(end_events),
	};
	return cmocka_run_group_tests_name("fwreport", tests, NULL, NULL);
}
