/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the rule compiler (tools/policy/nft.c): any text
 * either compiles to a blob that passes fw_blob_check and that the engine
 * runs a few frames through, or is refused with at least one message; it
 * never crashes, leaks or reads outside the text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fw/fw.h"
#include "nft.h"

static struct fw_engine *fw;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nft_result r;
	const char *why;
	char *text = malloc(size ? size : 1);

	memcpy(text, data, size);
	int rc = nft_compile(text, size, "fuzz.nft", &r);
	free(text);
	if (rc == 0) {
		if (!r.blob || fw_blob_check(r.blob, r.len, &why))
			abort();
		if (!fw)
			fw = malloc(sizeof(*fw));
		/* a fixed conntrack key: a run must be repeatable from its input */
		static const uint8_t ct_key[FW_CT_KEY_BYTES];
		fw_engine_init(fw, r.blob, ct_key);
		static const uint8_t syn[] = {
			2, 0, 0, 0, 2, 2, 2, 0, 0, 0, 2, 15, 8, 0,
			0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0x22, 0x8e, 10, 0, 2, 15, 203, 0, 113, 5,
			0x9c, 0x40, 0, 22, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 2, 0x72, 0x10, 0, 0, 0, 0,
		};
		fw_filter(fw, syn, sizeof(syn), FW_IF_GUEST, 1);
		fw_filter(fw, syn, sizeof(syn), FW_IF_HOST, 2);
	} else if (r.nerrors == 0 || r.blob) {
		abort();
	}
	nft_result_free(&r);
	return 0;
}
