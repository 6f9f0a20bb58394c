/* SPDX-License-Identifier: MIT */
/*
 * What PCRE2's public header (pcre2.h) takes from <inttypes.h>: the
 * fixed-width integers, for the freestanding objects of src/ids that
 * include it (src/ids/pcrert.c). Nothing else of libc is declared.
 */
#ifndef RAMPART_IDS_LIBC_INTTYPES_H
#define RAMPART_IDS_LIBC_INTTYPES_H

#include <stdint.h>

#endif
