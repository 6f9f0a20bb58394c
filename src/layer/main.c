/* SPDX-License-Identifier: MIT */
/*
 * The layer kernel's entry (from start.S) and the event loops of the
 * "pass" and "test" personalities (see layer.h).
 */
#include "layer/layer.h"

#include "layer/child.h"
#include "layer/hc.h"
#include "layer/lib.h"
#include "lib/rt.h"

static struct rp_exit child_exit;

/* Exits every parent loop handles the same way. */
static void common_exit(const char *who, const struct rp_exit *ex)
{
	switch (ex->reason) {
	case RP_EXIT_EVENT:
		return; /* nothing of ours is pending: ignore */
	case RP_EXIT_DEAD:
		hc_exit(ex->u.dead.code);
	default:
		child_fatal(who, ex);
	}
}

static __attribute__((noreturn)) void pass_main(const struct rp_boot_info *info)
{
	struct child c;

	if (child_start(info, &c))
		hc_exit(LAYER_CODE_BAD);
	for (;;) {
		if (hc_vcpu_run((uint64_t)c.vcpu, &child_exit) < 0) {
			hc_log("pass: RP_HC_VCPU_RUN refused");
			hc_exit(LAYER_CODE_DEAD);
		}
		if (child_exit.reason != RP_EXIT_IO) {
			common_exit("pass", &child_exit);
			continue;
		}
		if (child_forward_io(&child_exit))
			child_fatal("pass", &child_exit);
		if (child_exit.u.io.out && child_exit.u.io.port == TPORT_POWEROFF)
			hc_exit(child_exit.u.io.data);
	}
}

/* ---- test: the immediate parent answers the child's ports ------------------ */

struct test_state {
	uint64_t doorbells, words, next_word, cpu_result;
	int echo; /* 0: none seen, 1: right sum, -1: wrong sum */
};

static __attribute__((noreturn)) void test_end(struct test_state *t, uint64_t code)
{
	struct line l = {.len = 0};

	line_str(&l, "test: child exit ");
	line_hex(&l, code);
	line_str(&l, " doorbells ");
	line_dec(&l, t->doorbells);
	line_str(&l, " cpu ");
	line_hex(&l, t->cpu_result);
	line_str(&l, t->echo > 0 ? " echo ok" : t->echo < 0 ? " echo BAD" : " echo none");
	line_send(&l);
	hc_exit(t->echo < 0 ? LAYER_CODE_BAD : code);
}

static void test_io(struct test_state *t, struct rp_exit *ex)
{
	uint32_t v = (uint32_t)ex->u.io.data;
	uint64_t n = t->words;

	if (!ex->u.io.out && ex->u.io.port == TPORT_ECHO_IN) {
		ex->u.io.data = t->next_word < n ? ++t->next_word : 0;
		return;
	}
	if (!ex->u.io.out)
		child_fatal("test", ex);
	switch (ex->u.io.port) {
	case TPORT_DOORBELL:
		t->doorbells++;
		break;
	case TPORT_RESULT:
		t->cpu_result = v;
		break;
	case TPORT_ECHO_SUM:
		t->echo = v == (uint32_t)(n * (n + 1) / 2) ? 1 : -1;
		break;
	case TPORT_POWEROFF:
		test_end(t, v);
	default:
		child_fatal("test", ex);
	}
}

static __attribute__((noreturn)) void test_main(const struct rp_boot_info *info)
{
	struct test_state t = {.words = info->args[3]};
	struct child c;

	if (child_start(info, &c))
		hc_exit(LAYER_CODE_BAD);
	for (;;) {
		if (hc_vcpu_run((uint64_t)c.vcpu, &child_exit) < 0) {
			hc_log("test: RP_HC_VCPU_RUN refused");
			hc_exit(LAYER_CODE_DEAD);
		}
		if (child_exit.reason == RP_EXIT_IO)
			test_io(&t, &child_exit);
		else
			common_exit("test", &child_exit);
	}
}

uint64_t layer_main(const struct rp_boot_info *info)
{
	char kind[sizeof(info->kind)];

	if (info->magic != RP_BOOT_MAGIC || info->version != RP_ABI_VERSION)
		return LAYER_CODE_BAD;
	rt_memcpy(kind, info->kind, sizeof(kind));
	kind[sizeof(kind) - 1] = 0;
	if (!strcmp(kind, "spin"))
		spin_main(info);
	if (!strcmp(kind, "pass"))
		pass_main(info);
	if (!strcmp(kind, "test"))
		test_main(info);
	hc_log("layer: unknown kind");
	return LAYER_CODE_BAD;
}
