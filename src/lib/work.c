/* SPDX-License-Identifier: MIT */
#include "lib/work.h"

uint32_t rt_cpu_work(uint64_t n)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	while (n--) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	return (uint32_t)(x ^ (x >> 32));
}
