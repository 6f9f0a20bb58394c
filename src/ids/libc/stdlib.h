/* SPDX-License-Identifier: MIT */
/*
 * The one libc header Hyperscan's public headers include (for size_t),
 * for the freestanding objects of src/ids that include them. Nothing
 * else of libc is declared: the layer has none.
 */
#ifndef RAMPART_IDS_LIBC_STDLIB_H
#define RAMPART_IDS_LIBC_STDLIB_H

#include <stddef.h>

#endif
