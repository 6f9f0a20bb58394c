/* SPDX-License-Identifier: MIT */
/* The stack-file parser and the flag values: what is accepted and, above
 * all, that every bad field is refused by name. */
#include "unit.h"

#include "root/config.h"
#include "rampart/kinds.h"

static struct rp_config cfg;
static char err[512];

static int load(const char *text)
{
	config_defaults(&cfg);
	err[0] = 0;
	return config_load_text(&cfg, text, "/stacks", err, sizeof(err));
}

static void assert_refused(const char *text, const char *needle)
{
	assert_int_equal(load(text), -1);
	if (!strstr(err, needle))
		fail_msg("refusal '%s' does not name '%s'", err, needle);
}

static void full_stack(void **state)
{
	assert_int_equal(load("{\"name\":\"t1\",\"guest\":{\"kernel\":\"vmlinuz\",\"initrd\":\"/abs/i\","
			      "\"cmdline\":\"console=ttyS0\",\"mem\":\"512M\",\"cpus\":2},"
			      "\"net\":[{\"tap\":\"rt0\",\"mac\":\"52:54:00:aa:bb:cc\"}],"
			      "\"disks\":[{\"path\":\"d.img\",\"readonly\":true,\"serial\":\"s1\"}],"
			      "\"layers\":[]}"),
			 0);
	assert_string_equal(cfg.name, "t1");
	assert_string_equal(cfg.kernel, "/stacks/vmlinuz");
	assert_string_equal(cfg.initrd, "/abs/i");
	assert_string_equal(cfg.cmdline, "console=ttyS0");
	assert_int_equal(cfg.mem, 512ULL << 20);
	assert_int_equal(cfg.cpus, 2);
	assert_int_equal(cfg.nnets, 1);
	assert_string_equal(cfg.nets[0].tap, "rt0");
	assert_int_equal(cfg.nets[0].mac[5], 0xcc);
	assert_int_equal(cfg.ndisks, 1);
	assert_string_equal(cfg.disks[0].path, "/stacks/d.img");
	assert_true(cfg.disks[0].read_only);
	assert_string_equal(cfg.disks[0].serial, "s1");
	assert_int_equal(config_check(&cfg, err, sizeof(err)), 0);
}

static void mem_as_integer(void **state)
{
	/* A number is MiB, as on the command line (and as QEMU's -m 256). */
	assert_int_equal(load("{\"guest\":{\"kernel\":\"k\",\"mem\":256}}"), 0);
	assert_int_equal(cfg.mem, 256ULL << 20);
}

static void refusals(void **state)
{
	assert_refused("{", "line 1");
	assert_refused("[]", "stack: must be an object");
	assert_refused("{\"guest\":{\"kernel\":\"k\"},\"bogus\":1}", "stack.bogus: unknown field");
	assert_refused("{\"guest\":{\"kernel\":\"k\",\"memory\":1}}", "guest.memory: unknown field");
	assert_refused("{\"guest\":{\"kernel\":3}}", "guest.kernel: wrong type");
	assert_refused("{\"guest\":{\"kernel\":\"\"}}", "guest.kernel: empty path");
	assert_refused("{\"guest\":{\"kernel\":\"k\",\"mem\":\"lots\"}}", "guest.mem");
	assert_refused("{\"guest\":{\"kernel\":\"k\",\"mem\":-5}}", "guest.mem");
	assert_refused("{\"guest\":{\"kernel\":\"k\",\"cpus\":0}}", "guest.cpus");
	assert_refused("{\"guest\":{\"kernel\":\"k\",\"cpus\":99}}", "guest.cpus");
	assert_refused("{\"guest\":{\"kernel\":\"k\"},\"net\":{}}", "net: wrong type");
	assert_refused("{\"guest\":{\"kernel\":\"k\"},\"net\":[{}]}", "net[0].tap: missing");
	assert_refused("{\"guest\":{\"kernel\":\"k\"},\"net\":[{\"tap\":\"a/b\"}]}", "net[0].tap");
	assert_refused("{\"guest\":{\"kernel\":\"k\"},\"net\":[{\"tap\":\"waytoolongname123\"}]}",
		       "net[0].tap");
	assert_refused("{\"guest\":{\"kernel\":\"k\"},\"net\":[{\"tap\":\"t\",\"mac\":\"01:00:00:00:00:00\"}]}",
		       "net[0].mac");
	assert_refused("{\"guest\":{\"kernel\":\"k\"},\"net\":[{\"tap\":\"t\",\"mtu\":1}]}",
		       "net[0].mtu: unknown field");
	assert_refused("{\"guest\":{\"kernel\":\"k\"},\"disks\":[{\"readonly\":true}]}",
		       "disks[0].path: missing");
	assert_refused("{\"guest\":{\"kernel\":\"k\"},\"disks\":[{\"path\":\"d\",\"readonly\":\"yes\"}]}",
		       "disks[0].readonly: wrong type");
	assert_refused("{\"guest\":{\"kernel\":\"k\"},\"disks\":[{\"path\":\"d\",\"serial\":"
		       "\"abcdefghijklmnopqrstuvwxyz\"}]}",
		       "serial");
	assert_refused("{\"layers\":[{\"kind\":\"nope\"}]}", "layers[0]: layer 'nope': unknown kind");
	assert_refused("{\"layers\":[{\"kind\":\"pass\",\"x\":1}]}", "layers[0].x: unknown field");
	assert_refused("{\"layers\":[{}]}", "layers[0].kind: missing");
	assert_refused("{\"guest\":{\"kernel\":\"k\"},\"guest\":{\"kernel\":\"k\"}}", "duplicate");
}

static void too_many_disks(void **state)
{
	assert_refused("{\"guest\":{\"kernel\":\"k\"},\"disks\":[{\"path\":\"1\"},{\"path\":\"2\"},"
		       "{\"path\":\"3\"},{\"path\":\"4\"},{\"path\":\"5\"}]}",
		       "at most 4 disks");
}

static void layers(void **state)
{
	assert_int_equal(load("{\"layers\":[{\"kind\":\"pass\"},{\"kind\":\"spin\"}]}"), 0);
	assert_int_equal(cfg.nlayers, 2);
	assert_string_equal(cfg.layers[0], "pass");
	assert_string_equal(cfg.layers[1], "spin");
	assert_int_equal(config_check(&cfg, err, sizeof(err)), 0);
	assert_int_equal(load("{\"layers\":[{\"kind\":\"spin\"},{\"kind\":\"pass\"}]}"), 0);
	assert_int_equal(config_check(&cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "needs a child"));
	assert_int_equal(load("{\"layers\":[{\"kind\":\"pass\"},{\"kind\":\"vmm\"}]}"), 0);
	assert_int_equal(config_check(&cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "give --kernel"));
	assert_int_equal(load("{\"guest\":{\"kernel\":\"k\"},\"layers\":[{\"kind\":\"vmm\"},"
			      "{\"kind\":\"spin\"}]}"),
			 0);
	assert_int_equal(config_check(&cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "only the top layer can be the vmm"));
	assert_int_equal(load("{\"guest\":{\"kernel\":\"k\"},\"layers\":[{\"kind\":\"pass\"},"
			      "{\"kind\":\"vmm\"}]}"),
			 0);
	assert_int_equal(config_check(&cfg, err, sizeof(err)), 0);
	assert_int_equal(config_add_layers(&cfg, "pass,pass,test", err, sizeof(err)), 0);
	assert_int_equal(cfg.nlayers, 3);
	assert_int_equal(config_add_layers(&cfg, "pass,,spin", err, sizeof(err)), -1);
	assert_int_equal(config_add_layers(&cfg, "pass,pass,pass,pass,pass,pass,pass,pass,spin", err,
					   sizeof(err)),
			 -1);
	assert_int_equal(config_add_layer_args(&cfg, "1,1000,0x10", err, sizeof(err)), 0);
	assert_int_equal(cfg.nlayer_args, 3);
	assert_int_equal(cfg.layer_args[2], 16);
	assert_int_equal(config_add_layer_args(&cfg, "1,x", err, sizeof(err)), -1);
	assert_int_equal(config_add_layer_args(&cfg, "1,2,3,4,5,6,7", err, sizeof(err)), -1);
}

/* Each layer's variant of the layer kernel: named, or by default unlike the layer below. */
static void variants(void **state)
{
	assert_int_equal(load("{\"layers\":[{\"kind\":\"pass\",\"variant\":\"clang\"},"
			      "{\"kind\":\"pass\",\"variant\":\"clang\"},{\"kind\":\"spin\"}]}"),
			 0);
	assert_string_equal(cfg.layer_variants[0], "clang");
	assert_string_equal(cfg.layer_variants[2], "");
	assert_string_equal(config_layer_variant(&cfg, 0), "clang");
	assert_string_equal(config_layer_variant(&cfg, 1), "clang"); /* as named, though alike */
	assert_string_equal(config_layer_variant(&cfg, 2), "gcc");
	assert_int_equal(config_check(&cfg, err, sizeof(err)), 0);

	assert_int_equal(load("{\"layers\":[{\"kind\":\"pass\"},{\"kind\":\"pass\"},"
			      "{\"kind\":\"pass\"},{\"kind\":\"spin\"}]}"),
			 0);
	assert_string_equal(config_layer_variant(&cfg, 0), "gcc");
	assert_string_equal(config_layer_variant(&cfg, 1), "clang");
	assert_string_equal(config_layer_variant(&cfg, 2), "gcc");
	assert_string_equal(config_layer_variant(&cfg, 3), "clang");
	/* Layer 1 unnamed under a named layer 2: unlike it. */
	assert_int_equal(config_add_layers(&cfg, "pass,pass@gcc,spin", err, sizeof(err)), 0);
	assert_int_equal(cfg.nlayers, 3);
	assert_string_equal(cfg.layers[1], "pass");
	assert_string_equal(config_layer_variant(&cfg, 0), "clang");
	assert_string_equal(config_layer_variant(&cfg, 1), "gcc");
	assert_string_equal(config_layer_variant(&cfg, 2), "clang");
	assert_int_equal(config_add_layers(&cfg, "spin@clang", err, sizeof(err)), 0);
	assert_string_equal(config_layer_variant(&cfg, 0), "clang");
	/* A new list forgets the old one's variants. */
	assert_int_equal(config_add_layers(&cfg, "pass,spin", err, sizeof(err)), 0);
	assert_string_equal(cfg.layer_variants[0], "");
	assert_string_equal(config_layer_variant(&cfg, 0), "gcc");

	assert_int_equal(config_add_layers(&cfg, "pass@icc,spin", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "layer 'pass': unknown variant 'icc' (gcc, clang)"));
	assert_int_equal(config_add_layers(&cfg, "pass@,spin", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown variant ''"));
	assert_int_equal(config_add_layers(&cfg, "pass@gcc@clang,spin", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown variant 'gcc@clang'"));
	assert_int_equal(config_add_layers(&cfg, "nope@gcc,spin", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "layer 'nope': unknown kind"));
	assert_int_equal(config_add_layers(&cfg, "pass@clangx,spin", err, sizeof(err)), -1);
	assert_int_equal(config_add_layers(&cfg, "pass@GCC,spin", err, sizeof(err)), -1);

	assert_refused("{\"layers\":[{\"kind\":\"pass\",\"variant\":\"icc\"},{\"kind\":\"spin\"}]}",
		       "layers[0]: layer 'pass': unknown variant 'icc' (gcc, clang)");
	assert_refused("{\"layers\":[{\"kind\":\"pass\"},{\"kind\":\"spin\",\"variant\":\"\"}]}",
		       "layers[1]: layer 'spin': unknown variant ''");
	assert_refused("{\"layers\":[{\"kind\":\"pass\",\"variant\":1},{\"kind\":\"spin\"}]}",
		       "layers[0].variant: wrong type");
	assert_refused("{\"layers\":[{\"kind\":\"pass\",\"variants\":\"gcc\"},{\"kind\":\"spin\"}]}",
		       "layers[0].variants: unknown field");
	assert_refused("{\"layers\":[{\"variant\":\"gcc\"}]}", "layers[0].kind: missing");
}

/* The test-only kinds of the stack protector: canary is a pass, overrun a top. */
static void guard_kinds(void **state)
{
	config_defaults(&cfg);
	assert_int_equal(config_add_layers(&cfg, "canary,canary,spin", err, sizeof(err)), 0);
	assert_int_equal(config_check(&cfg, err, sizeof(err)), 0);
	assert_int_equal(config_add_layers(&cfg, "pass,overrun", err, sizeof(err)), 0);
	assert_int_equal(config_check(&cfg, err, sizeof(err)), 0);
	assert_int_equal(config_add_layers(&cfg, "pass,canary", err, sizeof(err)), 0);
	assert_int_equal(config_check(&cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "the top layer 'canary' needs a child"));
}

static void final_checks(void **state)
{
	config_defaults(&cfg);
	assert_int_equal(config_check(&cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no kernel"));
	snprintf(cfg.kernel, sizeof(cfg.kernel), "k");
	cfg.mem = 32ULL << 20;
	assert_int_equal(config_check(&cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "below the minimum"));
	cfg.mem = 1ULL << 40;
	assert_int_equal(config_check(&cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "above the maximum"));
	cfg.mem = (256ULL << 20) + 1;
	assert_int_equal(config_check(&cfg, err, sizeof(err)), -1);
	cfg.mem = 256ULL << 20;
	assert_int_equal(config_check(&cfg, err, sizeof(err)), 0);
}

static void flag_values(void **state)
{
	uint64_t m;
	uint8_t mac[6];

	assert_int_equal(config_parse_mem("256M", &m), 0);
	assert_int_equal(m, 256ULL << 20);
	assert_int_equal(config_parse_mem("1G", &m), 0);
	assert_int_equal(m, 1ULL << 30);
	assert_int_equal(config_parse_mem("2GiB", &m), 0);
	assert_int_equal(m, 2ULL << 30);
	/* A bare number is MiB, as QEMU's -m reads it. */
	assert_int_equal(config_parse_mem("256", &m), 0);
	assert_int_equal(m, 256ULL << 20);
	assert_int_equal(config_parse_mem("12", &m), 0);
	assert_int_equal(m, 12ULL << 20);
	assert_int_equal(config_parse_mem("512mb", &m), 0);
	assert_int_equal(m, 512ULL << 20);
	assert_int_equal(config_parse_mem("64k", &m), 0);
	assert_int_equal(m, 64ULL << 10);
	assert_int_equal(config_parse_mem("1T", &m), 0);
	assert_int_equal(m, 1ULL << 40);
	assert_int_equal(config_parse_mem("", &m), -1);
	assert_int_equal(config_parse_mem("-1M", &m), -1);
	assert_int_equal(config_parse_mem("1.5G", &m), -1);
	assert_int_equal(config_parse_mem("256 M", &m), -1);
	assert_int_equal(config_parse_mem("1X", &m), -1);
	assert_int_equal(config_parse_mem("1Gb2", &m), -1);
	assert_int_equal(config_parse_mem("99999999999999999999G", &m), -1);
	assert_int_equal(config_parse_mem("17179869184G", &m), -1);
	assert_int_equal(config_parse_mac("52:54:00:12:34:56", mac), 0);
	assert_int_equal(config_parse_mac("52:54:00:12:34", mac), -1);
	assert_int_equal(config_parse_mac("52:54:00:12:34:56:78", mac), -1);
	assert_int_equal(config_parse_mac("zz:54:00:12:34:56", mac), -1);

	config_defaults(&cfg);
	assert_int_equal(config_add_disk(&cfg, "/tmp/d.img,ro", err, sizeof(err)), 0);
	assert_true(cfg.disks[0].read_only);
	assert_string_equal(cfg.disks[0].path, "/tmp/d.img");
	assert_int_equal(config_add_disk(&cfg, "/tmp/d.img,rx", err, sizeof(err)), -1);
	assert_int_equal(config_add_net(&cfg, "tap:rt0", err, sizeof(err)), 0);
	assert_int_equal(config_add_net(&cfg, "user:x", err, sizeof(err)), -1);
	assert_int_equal(config_add_net(&cfg, "tap:", err, sizeof(err)), -1);
	assert_int_equal(config_add_net(&cfg, "tap:bad name", err, sizeof(err)), -1);
}

/* "manifest": a path from the stack file's folder; only with layers. */
static void manifest_field(void **state)
{
	assert_int_equal(load("{\"layers\":[{\"kind\":\"pass\"},{\"kind\":\"spin\"}],"
			      "\"manifest\":\"approved.sha256\"}"),
			 0);
	assert_string_equal(cfg.manifest, "/stacks/approved.sha256");
	assert_int_equal(config_check(&cfg, err, sizeof(err)), 0);
	assert_int_equal(load("{\"layers\":[{\"kind\":\"spin\"}],\"manifest\":\"/abs/m\"}"), 0);
	assert_string_equal(cfg.manifest, "/abs/m");
	assert_refused("{\"layers\":[{\"kind\":\"spin\"}],\"manifest\":1}", "manifest: wrong type");
	assert_refused("{\"layers\":[{\"kind\":\"spin\"}],\"manifest\":\"\"}", "manifest: empty path");
	assert_int_equal(load("{\"guest\":{\"kernel\":\"k\"},\"manifest\":\"m\"}"), 0);
	assert_int_equal(config_check(&cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "give --layers"));
}

static void policy_field(void **state)
{
	assert_int_equal(load("{\"layers\":[{\"kind\":\"spin\"}]}"), 0);
	assert_false(cfg.restart); /* halt by default */
	assert_int_equal(load("{\"layers\":[{\"kind\":\"spin\"}],\"on_violation\":\"restart\"}"), 0);
	assert_true(cfg.restart);
	assert_int_equal(config_check(&cfg, err, sizeof(err)), 0);
	assert_int_equal(load("{\"layers\":[{\"kind\":\"spin\"}],\"on_violation\":\"halt\"}"), 0);
	assert_false(cfg.restart);
	assert_refused("{\"layers\":[{\"kind\":\"spin\"}],\"on_violation\":\"reboot\"}",
		       "on_violation 'reboot': halt or restart");
	assert_refused("{\"layers\":[{\"kind\":\"spin\"}],\"on_violation\":1}",
		       "on_violation: wrong type");
	assert_int_equal(load("{\"guest\":{\"kernel\":\"k\"},\"on_violation\":\"restart\"}"), 0);
	assert_int_equal(config_check(&cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "a policy for layers"));
}

/* The one table of kinds (include/rampart/kinds.h): names unique and found
 * by length, the production kinds exactly those operators are shown. */
static void kinds_table(void **state)
{
	static const char *const prod[] = {"pass", "firewall", "wrapper", "ids", "watch", "vmm"};
	unsigned nprod = 0;

	for (int k = 0; k < RP_KINDS; k++) {
		const char *n = rp_kinds[k].name;

		assert_int_equal(rp_kind_find(n, strlen(n)), k);
		if (!(rp_kinds[k].flags & RP_KF_TEST)) {
			bool listed = false;

			for (unsigned i = 0; i < sizeof(prod) / sizeof(prod[0]); i++)
				listed |= !strcmp(prod[i], n);
			if (!listed)
				fail_msg("kind '%s' is not a test kind", n);
			nprod++;
		}
		/* the pass family's numbers come first: pass_main takes them */
		if (rp_kinds[k].flags & RP_KF_PASS)
			assert_true(k <= RP_KIND_MAPINFO);
	}
	assert_int_equal(nprod, sizeof(prod) / sizeof(prod[0]));
	assert_int_equal(rp_kind_find("passx", 4), RP_KIND_PASS); /* by length: "pass" */
	assert_int_equal(rp_kind_find("pas", 3), -1);
	assert_int_equal(rp_kind_find("passx", 5), -1);
	assert_int_equal(rp_kind_find("", 0), -1);
	/* this (test) build accepts a test kind; build/rampart refuses it (tests/cli/errors.sh) */
	assert_int_equal(config_add_layers(&cfg, "pass,abuse", err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(full_stack),	  cmocka_unit_test(mem_as_integer),
		cmocka_unit_test(refusals),	  cmocka_unit_test(too_many_disks),
		cmocka_unit_test(final_checks), cmocka_unit_test(flag_values),
		cmocka_unit_test(layers),	  cmocka_unit_test(manifest_field),
		cmocka_unit_test(variants),	  cmocka_unit_test(guard_kinds),
		cmocka_unit_test(policy_field), cmocka_unit_test(kinds_table),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
