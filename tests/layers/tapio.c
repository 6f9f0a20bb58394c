/* SPDX-License-Identifier: MIT */
/*
 * The host side of the "io" test guest (src/layer/iotest.c), on a tap's
 * interface: receive `count` frames of EtherType 0x88b5 (a 4-byte
 * big-endian number i, then 1024 bytes), write each frame's bytes at
 * i * 1024 of OUT; then send the file IN, 1024 bytes per frame, numbered
 * from 0, to broadcast. Frames of other kinds are ignored.
 *
 *   tapio IFACE COUNT OUT IN [TIMEOUT_S [noise] [again]]
 *
 * With "noise", a child process also sends a frame of another EtherType
 * every 2 ms from the start until tapio ends: traffic on the tap before
 * the guest's driver is up, and frames the guest must skip. With "again",
 * a frame may come more than once (a guest restarted while it sent), each
 * time with the same bytes.
 *
 * Exit status 0 when every frame 0..count-1 came once and IN was sent;
 * 1 with a message otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ETHERTYPE 0x88b5
#define CHUNK 1024
#define MAX_FRAMES 4096

static int die(const char *what)
{
	fprintf(stderr, "tapio: %s: %s\n", what, errno ? strerror(errno) : "failed");
	return 1;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static uint8_t seen[MAX_FRAMES], frame[ETH_HLEN + 4 + CHUNK + 64], data[MAX_FRAMES * CHUNK];
	struct sockaddr_ll sa = {.sll_family = AF_PACKET, .sll_protocol = htons(ETHERTYPE)};
	unsigned long count, got = 0, other = 0, again = 0;
	bool repeats = false;
	pid_t noise = -1;
	double timeout, deadline;
	FILE *out, *in;
	size_t n;
	int fd;

	if (argc < 5) {
		fprintf(stderr, "usage: tapio IFACE COUNT OUT IN [TIMEOUT_S]\n");
		return 2;
	}
	count = strtoul(argv[2], NULL, 0);
	timeout = argc > 5 ? atof(argv[5]) : 60;
	if (count > MAX_FRAMES)
		return die("count too large");
	sa.sll_ifindex = (int)if_nametoindex(argv[1]);
	if (!sa.sll_ifindex)
		return die(argv[1]);
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETHERTYPE));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return die("AF_PACKET socket");
	for (int a = 6; a < argc; a++)
		repeats |= !strcmp(argv[a], "again");
	if (argc > 6 && !strcmp(argv[6], "noise")) {
		pid_t parent = getpid();

		noise = fork();
		if (noise == 0) {
			static uint8_t f[ETH_HLEN + 46];

			memset(f, 0xff, 6);
			memcpy(f + 6, "\x02\x00\x00\x00\x00\x02", 6);
			f[12] = 0x88;
			f[13] = 0xb6;
			while (getppid() == parent) {
				sendto(fd, f, sizeof(f), 0, (struct sockaddr *)&sa, sizeof(sa));
				usleep(2000);
			}
			_exit(0);
		}
	}
	printf("ready\n");
	fflush(stdout);

	deadline = now() + timeout;
	while (got < count) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		double left = deadline - now();
		ssize_t r;
		uint32_t i;

		if (left <= 0 || poll(&p, 1, (int)(left * 1000) + 1) == 0) {
			fprintf(stderr, "tapio: %lu of %lu frames after %.0f s\n", got, count, timeout);
			return 1;
		}
		r = recv(fd, frame, sizeof(frame), 0);
		if (r < 0)
			return die("recv");
		if (r != ETH_HLEN + 4 + CHUNK || frame[12] != ETHERTYPE >> 8 ||
		    frame[13] != (ETHERTYPE & 0xff)) {
			other++;
			continue;
		}
		i = (uint32_t)frame[14] << 24 | (uint32_t)frame[15] << 16 |
		    (uint32_t)frame[16] << 8 | frame[17];
		if (i < count && seen[i] && repeats &&
		    !memcmp(data + (size_t)i * CHUNK, frame + 18, CHUNK)) {
			again++;
			continue;
		}
		if (i >= count || seen[i]) {
			fprintf(stderr, "tapio: frame %u unexpected (count %lu)\n", i, count);
			return 1;
		}
		seen[i] = 1;
		memcpy(data + (size_t)i * CHUNK, frame + 18, CHUNK);
		got++;
	}
	out = fopen(argv[3], "wb");
	if (!out || fwrite(data, CHUNK, count, out) != count || fclose(out))
		return die(argv[3]);

	in = fopen(argv[4], "rb");
	if (!in)
		return die(argv[4]);
	memset(frame, 0xff, 6);
	memcpy(frame + 6, "\x02\x00\x00\x00\x00\x01", 6);
	frame[12] = ETHERTYPE >> 8;
	frame[13] = ETHERTYPE & 0xff;
	for (uint32_t i = 0; (n = fread(frame + 18, 1, CHUNK, in)) == CHUNK; i++) {
		frame[14] = (uint8_t)(i >> 24);
		frame[15] = (uint8_t)(i >> 16);
		frame[16] = (uint8_t)(i >> 8);
		frame[17] = (uint8_t)i;
		if (sendto(fd, frame, ETH_HLEN + 4 + CHUNK, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			return die("send");
	}
	fclose(in);
	if (noise > 0)
		kill(noise, SIGTERM);
	printf("received %lu frames (%lu of other kinds, %lu again), sent the input\n", got, other,
	       again);
	return 0;
}
