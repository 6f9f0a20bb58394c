/* SPDX-License-Identifier: MIT */
/* libFuzzer: the ids rule parser (tools/policy/ids_rules.c) on any text,
 * and every rule that loads matched against the input itself as a buffer:
 * no crash, no read outside a buffer, no leak. */
#include <stddef.h>
#include <stdint.h>

#include "ids.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ids_ruleset rs;

	if (size > IDS_RULE_TEXT_MAX)
		return 0;
	ids_ruleset_init(&rs);
	ids_load_text(&rs, (const char *)data, size, "fuzz.rules");
	for (uint32_t i = 0; i < rs.nrules; i++)
		for (unsigned b = 0; b < IB_COUNT; b++)
			ids_match_buf(rs.rules[i], b, data, (uint32_t)size, 0);
	ids_ruleset_free(&rs);
	return 0;
}
