/* SPDX-License-Identifier: MIT */
/*
 * The ids unit tests' blob (one per test file): rules through the in-line
 * compiler (tools/policy/ids_blob.c), its report to /dev/null.
 */
#ifndef RAMPART_TEST_IDS_UNIT_H
#define RAMPART_TEST_IDS_UNIT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ids_blob.h"

static struct ids_blob_out out;

/* The blob goes; out is empty again. */
static inline void release(void)
{
	free(out.blob);
	memset(&out, 0, sizeof(out));
}

/* text compiled into out (what it held before released): the compiler's status. */
static inline int compile(const char *text)
{
	FILE *devnull = fopen("/dev/null", "w");
	int rc;

	release();
	rc = ids_blob_compile(text, strlen(text), "t.rules", NULL, 0, devnull, &out);
	fclose(devnull);
	return rc;
}

/* A struct of the blob at byte off. */
#define AT(type, off) ((type *)((uint8_t *)out.blob + (off)))

#endif
