/* SPDX-License-Identifier: MIT */
/* The CPU-bound work of the benchmarks: the same code on the host and in a
 * guest at any depth, so the two can be compared and the results checked. */
#ifndef RAMPART_WORK_H
#define RAMPART_WORK_H

#include <stdint.h>

/* n rounds of xorshift64 (13, 7, 17), folded to 32 bits. */
uint32_t rt_cpu_work(uint64_t n);

#endif
