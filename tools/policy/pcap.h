/* SPDX-License-Identifier: MIT */
/* A pcap reader: both byte orders, micro- and nanosecond timestamps, link
 * types Ethernet, Linux SLL, BSD loopback and raw IP (wrapped in Ethernet). */
#ifndef RAMPART_POLICY_PCAP_H
#define RAMPART_POLICY_PCAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A record larger than this is a corrupt file, not a frame (libpcap's own
 * maximum snapshot length). */
#define PCAP_RECORD_MAX 262144u
#define PCAP_ETH_HLEN 14u

struct pcap_reader {
	FILE *f;
	const char *path;
	int swapped, nsec;
	uint32_t linktype;
	unsigned long n;
	uint8_t buf[PCAP_ETH_HLEN + PCAP_RECORD_MAX];
};

int pcap_open(struct pcap_reader *r, const char *path, char *err, size_t errlen);
/* 1 and a frame (Ethernet), 0 at the end, -1 and err on a bad record. */
int pcap_next(struct pcap_reader *r, const uint8_t **frame, size_t *len, uint64_t *ts_ns,
	      char *err, size_t errlen);
void pcap_close(struct pcap_reader *r);

#endif
