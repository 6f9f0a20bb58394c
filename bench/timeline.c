/* SPDX-License-Identifier: MIT */
/*
 * timeline MARKER -- COMMAND...
 *
 * Runs a VMM, passes its output through, and measures what the boot
 * benchmark needs the same way for every VMM: seconds from the process start
 * to the first output line holding MARKER, seconds to its exit, and its peak
 * resident memory (wait4's ru_maxrss). Prints one line to stderr:
 *   TIMELINE marker_s=0.812 exit_s=1.034 maxrss_kib=40960 rc=0
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (now.tv_nsec - t0->tv_nsec) / 1e9;
}

int main(int argc, char **argv)
{
	struct timespec t0;
	struct rusage ru;
	char buf[4096], line[512];
	size_t ll = 0;
	double marker_s = -1;
	int pfd[2], status, rc;
	const char *marker;
	pid_t pid;
	ssize_t n;

	if (argc < 4 || strcmp(argv[2], "--") != 0) {
		fprintf(stderr, "usage: timeline MARKER -- COMMAND...\n");
		return 2;
	}
	marker = argv[1];
	if (pipe(pfd) < 0)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		execvp(argv[3], argv + 3);
		perror(argv[3]);
		_exit(127);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		fwrite(buf, 1, (size_t)n, stdout);
		for (ssize_t i = 0; i < n && marker_s < 0; i++) {
			if (buf[i] == '\n' || ll == sizeof(line) - 1) {
				ll = 0;
				continue;
			}
			line[ll++] = buf[i];
			line[ll] = 0;
			if (strstr(line, marker))
				marker_s = since(&t0);
		}
	}
	fflush(stdout);
	if (wait4(pid, &status, 0, &ru) < 0)
		return 2;
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	fprintf(stderr, "TIMELINE marker_s=%.3f exit_s=%.3f maxrss_kib=%ld rc=%d\n", marker_s,
		since(&t0), ru.ru_maxrss, rc);
	return rc;
}
