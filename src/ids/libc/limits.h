/* SPDX-License-Identifier: MIT */
/*
 * The "system" <limits.h> gcc's own limits.h includes next (with
 * include_next) for the freestanding objects of src/ids that include
 * PCRE2's header: empty, as the layer has no libc. The limits themselves
 * are gcc's (clang's limits.h includes nothing next when freestanding).
 */
