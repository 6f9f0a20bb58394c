/* SPDX-License-Identifier: MIT */
/* cpuwork N: the benchmarks' CPU-bound work (src/lib/work.c) on the host;
 * prints "result=R seconds=S", the baseline for a guest at any depth. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lib/work.h"

int main(int argc, char **argv)
{
	struct timespec a, b;
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 100000000ULL;
	uint32_t r;

	clock_gettime(CLOCK_MONOTONIC, &a);
	r = rt_cpu_work(n);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("result=%u seconds=%.6f\n", r,
	       (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
	return 0;
}
