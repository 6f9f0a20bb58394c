/* SPDX-License-Identifier: MIT */
/*
 * PCRE2's public header (Debian's libpcre2-dev) for src/ids/pcrert.c,
 * which is built with -nostdinc: by its path, so that nothing else of
 * /usr/include is in reach. Its own includes (limits.h, stdlib.h,
 * inttypes.h) resolve to the compiler's and to this folder's.
 */
#include "/usr/include/pcre2.h"
