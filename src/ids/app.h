/* SPDX-License-Identifier: MIT */
/*
 * The DNS query names and the TLS ClientHello's server name of one
 * datagram or TCP segment (app.c), as the offline engine
 * (tools/policy/ids_detect.c: dns_msg, tls_data) and Suricata put them in
 * dns.query and tls.sni. Freestanding, shared by the ids layer
 * (src/layer/idsl.c), the unit tests and the fuzzer.
 *
 * No reassembly: a ClientHello is parsed from the bytes of the segment
 * that starts with its record (the offline engine parses each chunk of
 * new stream bytes the same way), so a server_name extension that does
 * not end in that segment is not seen.
 */
#ifndef RAMPART_IDS_APP_H
#define RAMPART_IDS_APP_H

#include <stdbool.h>
#include <stdint.h>

/* A DNS name's length as written in dns.query (RFC 1035's 255 bytes; the
 * offline engine's IDS_DNS_NAME_MAX): a longer one refuses the message. */
#define IDS_DNS_NAME_MAX 255u
/* Questions looked at per message (the offline engine's
 * IDS_DNS_QUESTIONS_MAX): each costs a scan of its name; a message
 * claiming 65,535 questions costs at most these. */
#define IDS_DNS_QUESTIONS_MAX 16u

struct ids_dns {
	uint32_t n; /* names: 0 .. IDS_DNS_QUESTIONS_MAX */
	/* Name q: its labels joined with '.', len[q] bytes at name[q] + 1;
	 * name[q][0] is '.', so that name[q] .. + len[q] + 1 is the name as
	 * dotprefix makes it. */
	uint32_t len[IDS_DNS_QUESTIONS_MAX];
	uint8_t name[IDS_DNS_QUESTIONS_MAX][IDS_DNS_NAME_MAX + 2];
};

/*
 * The query names of the DNS message d[0 .. n) (a UDP payload) into q:
 * true when it is a query (QR clear, a 12-byte header) whose questions
 * parse, false for a response, a short message, or one with a compression
 * pointer or a label with a reserved type in a question, a label past the
 * bytes present, or a name past IDS_DNS_NAME_MAX (the offline engine then
 * inspects nothing either). Every read inside d[0 .. n), every write
 * inside q; linear in n.
 */
bool ids_dns_parse(const uint8_t *d, uint32_t n, struct ids_dns *q);

/*
 * The server name of the TLS ClientHello whose record starts d[0 .. n) (a
 * TCP segment's payload sent by the client): true and *sni, *len (bytes
 * in d) when its server_name extension is there whole, false when d is
 * not a ClientHello (handshake record 0x16, handshake type 1) or holds no
 * such extension within the bytes present (every length is checked
 * against them and against the handshake's own length). Every read inside
 * d[0 .. n); linear in n.
 */
bool ids_tls_sni(const uint8_t *d, uint32_t n, const uint8_t **sni, uint32_t *len);

/* Whether the first data of a TCP flow, d[0 .. n), makes it a TLS flow
 * (the offline engine's app detection: a handshake record of major
 * version 3, at least 6 bytes). */
bool ids_tls_start(const uint8_t *d, uint32_t n);

#endif
