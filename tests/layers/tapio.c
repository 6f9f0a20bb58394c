/* SPDX-License-Identifier: MIT */
/*
 * The host side of the "io" test guest (src/layer/iotest.c), on a tap's
 * interface: receive `count` frames of EtherType 0x88b5 (a 4-byte
 * big-endian number i, then 1024 bytes), write each frame's bytes at
 * i * 1024 of OUT; then send the file IN, 1024 bytes per frame, numbered
 * from 0, to broadcast. Frames of other kinds are ignored.
 *
 *   tapio IFACE COUNT OUT IN [TIMEOUT_S [noise] [again] [udp]]
 *
 * With "noise", a child process also sends a frame of another EtherType
 * every 2 ms from the start until tapio ends: traffic on the tap before
 * the guest's driver is up, and frames the guest must skip. With "again",
 * a frame may come more than once (a guest restarted while it sent), each
 * time with the same bytes. With "udp", the frames are IPv4/UDP, as the io
 * guest sends them in UDP mode behind a firewall: from the guest, to port
 * 5000 + i % 4, of which only 5000 and 5001 may arrive (frames i % 4 < 2;
 * OUT has zeros for the others); to the guest, frame i to port 6000 + i % 4,
 * sent to the guest's own MAC (learnt from the source of its frames); then
 * ICMP port unreachable replies about port 6003 are counted ("icmp N").
 * Each frame to 6003 is sent three more times first, from source port 4001:
 * to the broadcast MAC, to the IPv4 broadcast 255.255.255.255 and to the
 * multicast group 224.0.0.251. A firewall must answer none of them (as
 * Linux's REJECT): a reply quoting one fails the run. With "frag" too
 * (the ids suite), FRAG_N later IPv4 fragments of UDP datagrams (offset
 * 1480, no UDP header in them) go to the guest first: frag_marker's bytes
 * at FRAG_AT of their payload (the ids rules' drop marker, its alert
 * marker, none) in bytes 'a' + k; the guest skips them (not its frames'
 * size). Then the drop marker's fragment once more with the IPv4 header's
 * reserved bit set: a frame the parser refuses, which must not cross
 * unscanned (the ids counts it invalid and drops it). With "http" too
 * (the ids suite), HTTP_N HTTP segments go to the guest before the UDP
 * frames, each one TCP segment (PSH ACK, no handshake) from 10.0.2.2 port
 * 40000 + k (or the flow's) to 10.0.2.15 (http_req[k]: its ports,
 * sequence number and bytes); the guest
 * skips them. With TAPIO_HTTP_PCAP set, they are also written there as a
 * pcap (the offline mode's input, tests/layers/ids.sh). With "split" too
 * (the ids suite), split_seg's TCP segments of one flow go to the guest,
 * which skips them (written as a pcap too with TAPIO_SPLIT_PCAP set).
 * With "dnstls" too (the ids suite), DNS_N DNS messages (UDP from
 * 10.0.2.2 port 50000 + k to 10.0.2.15 port 53, dns_msg[k]) and TLS_N
 * ClientHellos (one TCP segment each, PSH ACK, no handshake, from port
 * 41000 + k to 443, tls_sni[k]) go to the guest, which skips them
 * (written as a pcap too with TAPIO_DNSTLS_PCAP set).
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

#define UDP_LEN (ETH_HLEN + 28 + 4 + CHUNK)

static uint16_t ip_csum(const uint8_t *p)
{
	uint32_t sum = 0;

	for (int k = 0; k < 20; k += 2)
		sum += (uint32_t)p[k] << 8 | p[k + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* A UDP frame from the guest: its number, or -1 (not one); *port its port. */
static long udp_in(const uint8_t *f, ssize_t r, unsigned *port)
{
	const uint8_t *udp = f + ETH_HLEN + 20;

	if (r != UDP_LEN || f[12] != 0x08 || f[13] != 0 || f[ETH_HLEN] != 0x45 ||
	    f[ETH_HLEN + 9] != 17)
		return -1;
	*port = (unsigned)udp[2] << 8 | udp[3];
	if (*port < 5000 || *port > 5003)
		return -1;
	return (long)((uint32_t)udp[8] << 24 | (uint32_t)udp[9] << 16 | (uint32_t)udp[10] << 8 |
		      udp[11]);
}

/* The UDP source port of the datagram to port 6003 an ICMP port
 * unreachable quotes; 0 when f is not such a reply. */
static unsigned icmp_reject(const uint8_t *f, ssize_t r)
{
	const uint8_t *ic = f + ETH_HLEN + 20, *q = ic + 8;

	if (r >= ETH_HLEN + 20 + 8 + 28 && f[12] == 0x08 && f[13] == 0 &&
	    f[ETH_HLEN + 9] == 1 && ic[0] == 3 && ic[1] == 3 && q[9] == 17 &&
	    ((unsigned)q[22] << 8 | q[23]) == 6003)
		return (unsigned)q[20] << 8 | q[21];
	return 0;
}

/* "frag": the later fragments' payload bytes, and where the marker sits
 * in them (past the drop rule's offset:4). */
#define FRAG_N 3
#define FRAG_LEN 64
#define FRAG_AT 8
static const char *const frag_marker[FRAG_N] = {"RAMPART-IDS-DROP", "RAMPART-IDS-ALERT", ""};

/* "http": the requests, by number (tests/layers/ids/http.rules says which
 * rule each must raise in-line and offline); then one request's two
 * segments (from one port, the second's sequence number after the
 * first's bytes), and one whose header block is longer than the layer's
 * window (4 KiB of tail and a segment): its start, four segments of
 * HTTP_PAD bytes of padding, its end; then two segments of a flow that
 * is not HTTP, the second with the `alert http` payload rule's bytes
 * (which fires on the split request's second segment only); last a POST
 * with a body, for the HTTP rules with packet contents (in the header
 * block, in the body, and across the block's end: none); then a POST whose
 * body (HTTP_DEEP_L of header block, four segments of padding, a mark)
 * puts its mark past the window that holds the message's start. */
#define HTTP_N 23
#define HTTP_SPLIT_A "GET /split HTTP/1.1\r\nUser-Agent: RAMPART-SPL"
#define HTTP_LONG_A "GET /long HTTP/1.1\r\nX-Pad: "
#define HTTP_LONG_L (sizeof(HTTP_LONG_A) - 1)
#define HTTP_PAD 1400u
#define HTTP_OTHER_A "XYZ not http\r\n"
#define HTTP_DEEP_A "POST /deep HTTP/1.1\r\nHost: d.test\r\nContent-Length: 5613\r\n\r\n"
#define HTTP_DEEP_L (sizeof(HTTP_DEEP_A) - 1)
static const struct {
	unsigned port;
	const char *req; /* NULL: HTTP_PAD bytes of 'A' */
	unsigned flow; /* its source port: 40000 + flow (0: 40000 + its number) */
	uint32_t seq;  /* its sequence number (0: 1) */
} http_req[HTTP_N] = {
	/* the uri rule: the URI normalized (%48, /x/../) */
	{80, "GET /RAMPART-%48TTP-URI/x/../y HTTP/1.1\r\nHost: www.example.test\r\n"
	     "User-Agent: tapio\r\n\r\n", 0, 0},
	/* the host rule: the host lowercased, its port stripped */
	{80, "GET /index.html HTTP/1.1\r\nHost: RAMPART-HTTP-HOST.Test:8080\r\n"
	     "User-Agent: tapio\r\n\r\n", 0, 0},
	/* the user agent rule ($HTTP_PORTS) */
	{80, "GET / HTTP/1.1\r\nHost: a.test\r\nUser-Agent: RAMPART-HTTP-UA/1.0\r\n\r\n", 0, 0},
	/* every rule's bytes, none in its buffer: no alert */
	{80, "GET /index.html?q=RAMPART-HTTP-URI HTTP/1.1\r\nHost: a.test\r\nUser-Agent: tapio\r\n"
	     "X-Note: RAMPART-HTTP-UA rampart-http-host.test\r\nCookie: /RAMPART-HTTP-URI\r\n\r\n", 0, 0},
	/* a header block that does not end in the segment: its request line */
	{80, "GET /RAMPART-HTTP-URI HTTP/1.1\r\nHost: b.test\r\n", 0, 0},
	/* another port: the uri rule (any port), not the user agent's */
	{8081, "GET /RAMPART-HTTP-URI HTTP/1.1\r\nUser-Agent: RAMPART-HTTP-UA\r\n\r\n", 0, 0},
	/* the split user agent's drop rule: the header block, and the user
	 * agent's value, cut over two segments (neither holds either) */
	{80, HTTP_SPLIT_A, 10, 1},
	{80, "IT-UA\r\nHost: s.test\r\n\r\n", 10, 1 + sizeof(HTTP_SPLIT_A) - 1},
	/* the long block: lost in-line (http_lost; its last segment dropped
	 * under the drop rule on requests), nothing to fire on offline */
	{80, HTTP_LONG_A, 11, 1},
	{80, NULL, 11, 1 + HTTP_LONG_L},
	{80, NULL, 11, 1 + HTTP_LONG_L + HTTP_PAD},
	{80, NULL, 11, 1 + HTTP_LONG_L + 2 * HTTP_PAD},
	{80, NULL, 11, 1 + HTTP_LONG_L + 3 * HTTP_PAD},
	{80, "\r\nHost: l.test\r\n\r\n", 11, 1 + HTTP_LONG_L + 4 * HTTP_PAD},
	{80, HTTP_OTHER_A, 12, 1},
	{80, "Host: s.test\r\n", 12, 1 + sizeof(HTTP_OTHER_A) - 1},
	{80, "POST /post HTTP/1.1\r\nHost: p.test\r\nContent-Length: 24\r\n\r\n"
	     "RAMPART-BODY-PKT-CONTENT", 0, 0},
	{80, HTTP_DEEP_A, 13, 1},
	{80, NULL, 13, 1 + HTTP_DEEP_L},
	{80, NULL, 13, 1 + HTTP_DEEP_L + HTTP_PAD},
	{80, NULL, 13, 1 + HTTP_DEEP_L + 2 * HTTP_PAD},
	{80, NULL, 13, 1 + HTTP_DEEP_L + 3 * HTTP_PAD},
	{80, "DEEP-PKT-MARK", 13, 1 + HTTP_DEEP_L + 4 * HTTP_PAD},
};

#define SPORT 4000
#define SPORT_GROUP 4001 /* the copies to broadcast/multicast destinations */

/* Ethernet, IPv4 and UDP headers of frame i (its payload already in place)
 * to port from sport, at the MAC dmac and the IPv4 address daddr. */
static void udp_hdr(uint8_t *frame, uint32_t i, unsigned port, unsigned sport,
		    const uint8_t dmac[6], const char *daddr)
{
	uint8_t *ip = frame + ETH_HLEN, *u = ip + 20;
	unsigned len = 28 + 4 + CHUNK;

	memcpy(frame, dmac, 6);
	memcpy(frame + 6, "\x02\x00\x00\x00\x00\x01", 6);
	memset(ip, 0, 32);
	frame[12] = 0x08;
	frame[13] = 0;
	ip[0] = 0x45;
	ip[2] = (uint8_t)(len >> 8);
	ip[3] = (uint8_t)len;
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, "\x0a\x00\x02\x02", 4);
	memcpy(ip + 16, daddr, 4);
	ip[10] = (uint8_t)(ip_csum(ip) >> 8);
	ip[11] = (uint8_t)ip_csum(ip);
	u[0] = (uint8_t)(sport >> 8);
	u[1] = (uint8_t)sport;
	u[2] = (uint8_t)(port >> 8);
	u[3] = (uint8_t)port;
	u[4] = (uint8_t)((len - 20) >> 8);
	u[5] = (uint8_t)(len - 20);
	u[8] = (uint8_t)(i >> 24);
	u[9] = (uint8_t)(i >> 16);
	u[10] = (uint8_t)(i >> 8);
	u[11] = (uint8_t)i;
}

/* "frag": later fragment k (offset 1480, the last) to the guest. */
static unsigned frag_frame(uint8_t *frame, unsigned k, const uint8_t dmac[6])
{
	uint8_t *ip = frame + ETH_HLEN, *pl = ip + 20;
	unsigned len = 20 + FRAG_LEN;

	memcpy(frame, dmac, 6);
	memcpy(frame + 6, "\x02\x00\x00\x00\x00\x01", 6);
	frame[12] = 0x08;
	frame[13] = 0;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(len >> 8);
	ip[3] = (uint8_t)len;
	ip[4] = 0x4b;
	ip[5] = (uint8_t)k; /* its datagram's id */
	ip[6] = (uint8_t)((1480 / 8) >> 8);
	ip[7] = (uint8_t)(1480 / 8);
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, "\x0a\x00\x02\x02", 4);
	memcpy(ip + 16, "\x0a\x00\x02\x0f", 4);
	ip[10] = (uint8_t)(ip_csum(ip) >> 8);
	ip[11] = (uint8_t)ip_csum(ip);
	memset(pl, 'a' + k, FRAG_LEN); /* the clean one: "ccc...", the forged blob's pattern */
	memcpy(pl + FRAG_AT, frag_marker[k], strlen(frag_marker[k]));
	return ETH_HLEN + len;
}

/* "split": the segments of one TCP flow to the guest (10.0.2.2:41000 to
 * 10.0.2.15:7000, PSH ACK, no handshake), in this order (tests/layers/ids.sh
 * says what each must do under tests/layers/ids/split.rules): the first
 * half of the drop marker; the segment completing it (dropped, its alert
 * blocked); one 100 bytes ahead of the next in-order byte (dropped: out of
 * order); the first segment again with one byte changed (dropped: its
 * overlap differs); the first segment again as it was (crosses); the
 * second half with a clean end instead (crosses: no marker). */
#define SPLIT_N 6
#define SPLIT_SEQ 0xfffffff0u /* the stream wraps through 0 on the way */
static const struct {
	uint32_t at; /* its sequence number, from SPLIT_SEQ */
	const char *data;
} split_seg[SPLIT_N] = {
	{0, "GET /a HTTP/1.0 RAMPART-SPLIT-"},
	{30, "DROP and more"},
	{130, "far ahead"},
	{0, "GET /a HTTP/1.0 RAMPART-SPLIX-"},
	{0, "GET /a HTTP/1.0 RAMPART-SPLIT-"},
	{30, "CLEAN and more"},
};

/* "dnstls": the DNS messages, by number, as names ("a.b" form; two
 * questions with '|' between them) and whether each is a response (QR);
 * the ClientHellos' server names, each with a decoy name in another
 * extension (tests/layers/ids/dnstls.rules says which rule each must
 * raise in-line and offline). */
#define DNS_N 5
static const struct {
	const char *names;
	bool response;
} dns_msg[DNS_N] = {
	{"WWW.Rampart-DNS.test", false},        /* the alert rule, nocase */
	{"a.test|x.rampart-drop.test", false}, /* the drop rule, the second question */
	{"notrampart-drop.test", false},       /* dotprefix: not a subdomain */
	{"www.rampart-dns.test", true},        /* a response: not dns.query */
	{"a.rampart-dns.test|b.rampart-dns.test", false}, /* one alert, two names */
};
#define TLS_N 3
static const struct {
	const char *sni, *decoy;
} tls_sni[TLS_N] = {
	{"rampart-tls.test", "x"},            /* the alert rule */
	{"www.rampart-tls-drop.test", "x"},   /* the drop rule */
	{"other.test", "rampart-tls.test"},   /* the rule's name outside the SNI */
};

/* A TCP segment (PSH ACK) from 10.0.2.2:sport to 10.0.2.15:dport, at seq,
 * of the n bytes at data. */
static unsigned tcp_frame_n(uint8_t *frame, unsigned sport, unsigned dport, uint32_t seq,
			    const uint8_t *data, unsigned n, const uint8_t dmac[6])
{
	uint8_t *ip = frame + ETH_HLEN, *t = ip + 20;
	unsigned len = 40 + n;
	uint32_t sum = 0;

	memcpy(frame, dmac, 6);
	memcpy(frame + 6, "\x02\x00\x00\x00\x00\x01", 6);
	frame[12] = 0x08;
	frame[13] = 0;
	memset(ip, 0, 40);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(len >> 8);
	ip[3] = (uint8_t)len;
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, "\x0a\x00\x02\x02", 4);
	memcpy(ip + 16, "\x0a\x00\x02\x0f", 4);
	ip[10] = (uint8_t)(ip_csum(ip) >> 8);
	ip[11] = (uint8_t)ip_csum(ip);
	t[0] = (uint8_t)(sport >> 8);
	t[1] = (uint8_t)sport;
	t[2] = (uint8_t)(dport >> 8);
	t[3] = (uint8_t)dport;
	t[4] = (uint8_t)(seq >> 24);
	t[5] = (uint8_t)(seq >> 16);
	t[6] = (uint8_t)(seq >> 8);
	t[7] = (uint8_t)seq;
	t[11] = 1; /* ack 1 */
	t[12] = 5 << 4;
	t[13] = 0x18; /* PSH ACK */
	t[14] = 0xff;
	t[15] = 0xff;
	memcpy(t + 20, data, n);
	/* the checksum over the pseudo-header and the segment */
	for (unsigned i = 12; i < 20; i += 2)
		sum += (uint32_t)ip[i] << 8 | ip[i + 1];
	sum += 6 + len - 20;
	for (unsigned i = 0; i < len - 20; i += 2)
		sum += (uint32_t)t[i] << 8 | (i + 1 < len - 20 ? t[i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	t[16] = (uint8_t)(~sum >> 8);
	t[17] = (uint8_t)~sum;
	return ETH_HLEN + len;
}

static unsigned tcp_frame(uint8_t *frame, unsigned sport, unsigned dport, uint32_t seq,
			  const char *data, const uint8_t dmac[6])
{
	return tcp_frame_n(frame, sport, dport, seq, (const uint8_t *)data,
			   (unsigned)strlen(data), dmac);
}

/* name ("a.b") as DNS labels at o; their length (with the zero label). */
static unsigned dns_name(uint8_t *o, const char *name, size_t n)
{
	unsigned w = 0;

	while (n) {
		const char *dot = memchr(name, '.', n);
		size_t l = dot ? (size_t)(dot - name) : n;

		o[w++] = (uint8_t)l;
		memcpy(o + w, name, l);
		w += (unsigned)l;
		name += l;
		n -= l;
		if (dot)
			name++, n--;
	}
	o[w++] = 0;
	return w;
}

/* "dnstls": DNS message k to the guest's port 53, from 50000 + k. */
static unsigned dns_frame(uint8_t *frame, unsigned k, const uint8_t dmac[6])
{
	uint8_t *ip = frame + ETH_HLEN, *u = ip + 20, *m = u + 8;
	const char *names = dns_msg[k].names, *bar = strchr(names, '|');
	unsigned p = 12, len;

	memset(m, 0, 12);
	m[0] = 0x52, m[1] = (uint8_t)k;
	m[2] = dns_msg[k].response ? 0x81 : 0x01; /* QR, RD */
	m[5] = bar ? 2 : 1;
	m[7] = dns_msg[k].response; /* one answer (not written: the question is what counts) */
	for (int q = 0; q < (bar ? 2 : 1); q++) {
		const char *nm = q ? bar + 1 : names;
		size_t nl = q || !bar ? strlen(nm) : (size_t)(bar - names);

		p += dns_name(m + p, nm, nl);
		memcpy(m + p, "\0\1\0\1", 4); /* A, IN */
		p += 4;
	}
	len = 28 + p;
	memcpy(frame, dmac, 6);
	memcpy(frame + 6, "\x02\x00\x00\x00\x00\x01", 6);
	frame[12] = 0x08;
	frame[13] = 0;
	memset(ip, 0, 28);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(len >> 8);
	ip[3] = (uint8_t)len;
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, "\x0a\x00\x02\x02", 4);
	memcpy(ip + 16, "\x0a\x00\x02\x0f", 4);
	ip[10] = (uint8_t)(ip_csum(ip) >> 8);
	ip[11] = (uint8_t)ip_csum(ip);
	u[0] = (uint8_t)((50000 + k) >> 8);
	u[1] = (uint8_t)(50000 + k);
	u[3] = 53;
	u[4] = (uint8_t)((len - 20) >> 8);
	u[5] = (uint8_t)(len - 20); /* no UDP checksum (0: none, IPv4) */
	return ETH_HLEN + len;
}

/* A TLS extension of type at o: its length's bytes, name after them. */
static unsigned tls_name_ext(uint8_t *o, unsigned type, const char *name)
{
	unsigned nl = (unsigned)strlen(name);

	o[0] = (uint8_t)(type >> 8), o[1] = (uint8_t)type;
	o[2] = (uint8_t)((nl + 5) >> 8), o[3] = (uint8_t)(nl + 5);
	o[4] = (uint8_t)((nl + 3) >> 8), o[5] = (uint8_t)(nl + 3);
	o[6] = 0; /* host_name */
	o[7] = (uint8_t)(nl >> 8), o[8] = (uint8_t)nl;
	memcpy(o + 9, name, nl);
	return 9 + nl;
}

/* "dnstls": ClientHello k to the guest's port 443, from 41000 + k: TLS
 * 1.2 record, a 32-byte session id, two suites, null compression, an
 * extension of type 16 (ALPN's number) holding the decoy, then
 * server_name. */
static unsigned tls_frame(uint8_t *frame, unsigned k, const uint8_t dmac[6])
{
	uint8_t h[512];
	unsigned p = 9, ext, hs;

	memset(h, 0, sizeof(h));
	h[0] = 0x16, h[1] = 3, h[2] = 1;
	h[5] = 1; /* ClientHello */
	h[p++] = 3, h[p++] = 3;
	memset(h + p, 0x5a, 32);
	p += 32;
	h[p++] = 32;
	memset(h + p, 0xa5, 32);
	p += 32;
	h[p++] = 0, h[p++] = 4, h[p++] = 0x13, h[p++] = 1, h[p++] = 0xc0, h[p++] = 0x2f;
	h[p++] = 1, h[p++] = 0;
	ext = p;
	p += 2;
	p += tls_name_ext(h + p, 16, tls_sni[k].decoy);
	p += tls_name_ext(h + p, 0, tls_sni[k].sni);
	h[ext] = (uint8_t)((p - ext - 2) >> 8), h[ext + 1] = (uint8_t)(p - ext - 2);
	hs = p - 9;
	h[6] = (uint8_t)(hs >> 16), h[7] = (uint8_t)(hs >> 8), h[8] = (uint8_t)hs;
	h[3] = (uint8_t)((hs + 4) >> 8), h[4] = (uint8_t)(hs + 4);
	return tcp_frame_n(frame, 41000 + k, 443, 1, h, p, dmac);
}

/* "http": request k to the guest, as one TCP segment (seq 1 unless it
 * says, ack 1). */
static unsigned http_frame(uint8_t *frame, unsigned k, const uint8_t dmac[6])
{
	static uint8_t pad[HTTP_PAD];
	const unsigned sport = 40000 + (http_req[k].flow ? http_req[k].flow : k);
	const uint32_t seq = http_req[k].seq ? http_req[k].seq : 1;

	if (!http_req[k].req) {
		memset(pad, 'A', sizeof(pad));
		return tcp_frame_n(frame, sport, http_req[k].port, seq, pad, sizeof(pad), dmac);
	}
	return tcp_frame(frame, sport, http_req[k].port, seq, http_req[k].req, dmac);
}

/* The pcap named by the environment's var (TAPIO_HTTP_PCAP: of the "http"
 * frames, TAPIO_SPLIT_PCAP: of the "split" ones, TAPIO_DNSTLS_PCAP: of the
 * "dnstls" ones), or NULL. */
static FILE *http_pcap(const char *var)
{
	static const uint32_t hdr[6] = {0xa1b2c3d4, 2 | 4u << 16, 0, 0, 65535, 1};
	const char *path = getenv(var);
	FILE *f = path ? fopen(path, "wb") : NULL;

	if (f)
		fwrite(hdr, sizeof(hdr), 1, f);
	return f;
}

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
	static uint8_t seen[MAX_FRAMES], frame[UDP_LEN + 64], data[MAX_FRAMES * CHUNK];
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint8_t guest[6];
	bool learnt = false;
	struct sockaddr_ll sa = {.sll_family = AF_PACKET, .sll_protocol = htons(ETHERTYPE)};
	unsigned long count, got = 0, other = 0, again = 0, want, icmp = 0, icmp_want = 0;
	bool repeats = false, udp = false, frag = false, http = false, split = false;
	bool dnstls = false;
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
	for (int a = 6; a < argc; a++) {
		repeats |= !strcmp(argv[a], "again");
		udp |= !strcmp(argv[a], "udp");
		frag |= !strcmp(argv[a], "frag");
		http |= !strcmp(argv[a], "http");
		dnstls |= !strcmp(argv[a], "dnstls");
		split |= !strcmp(argv[a], "split");
	}
	want = count;
	if (udp) { /* frames i % 4 < 2 only; every IPv4 frame is looked at */
		want = count / 4 * 2 + (count % 4 < 2 ? count % 4 : 2);
		close(fd);
		sa.sll_protocol = htons(ETH_P_IP);
		fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP));
		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			return die("AF_PACKET socket (IPv4)");
	}
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
	while (got < want) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		struct sockaddr_ll from;
		socklen_t flen = sizeof(from);
		double left = deadline - now();
		ssize_t r;
		uint32_t i;
		unsigned port;
		long k;

		if (left <= 0 || poll(&p, 1, (int)(left * 1000) + 1) == 0) {
			fprintf(stderr, "tapio: %lu of %lu frames after %.0f s\n", got, count, timeout);
			return 1;
		}
		r = recvfrom(fd, frame, sizeof(frame), 0, (struct sockaddr *)&from, &flen);
		if (r < 0)
			return die("recv");
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue;
		if (udp) {
			k = udp_in(frame, r, &port);
			if (k < 0) {
				other++;
				continue;
			}
			if (port - 5000 != (unsigned)k % 4 || port >= 5002) {
				fprintf(stderr, "tapio: frame %ld to port %u crossed the firewall\n",
					k, port);
				return 1;
			}
			memcpy(guest, frame + 6, 6); /* an allowed frame: the guest's MAC */
			learnt = true;
			memmove(frame + 14, frame + ETH_HLEN + 28, 4 + CHUNK);
		} else if (r != ETH_HLEN + 4 + CHUNK || frame[12] != ETHERTYPE >> 8 ||
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
	for (uint32_t i = 0; !udp && (n = fread(frame + 18, 1, CHUNK, in)) == CHUNK; i++) {
		frame[14] = (uint8_t)(i >> 24);
		frame[15] = (uint8_t)(i >> 16);
		frame[16] = (uint8_t)(i >> 8);
		frame[17] = (uint8_t)i;
		if (sendto(fd, frame, ETH_HLEN + 4 + CHUNK, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			return die("send");
	}
	if (udp && !learnt) {
		fprintf(stderr, "tapio: no frame from the guest: its MAC is not known\n");
		return 1;
	}
	for (unsigned k = 0; udp && frag && k < FRAG_N; k++)
		if (sendto(fd, frame, frag_frame(frame, k, guest), 0, (struct sockaddr *)&sa,
			   sizeof(sa)) < 0)
			return die("send");
	if (udp && http) {
		FILE *pc = http_pcap("TAPIO_HTTP_PCAP");

		for (unsigned k = 0; k < HTTP_N; k++) {
			unsigned len = http_frame(frame, k, guest);
			uint32_t rec[4] = {k + 1, 0, len, len};

			if (sendto(fd, frame, len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
				return die("send");
			if (pc && (fwrite(rec, sizeof(rec), 1, pc) != 1 || fwrite(frame, len, 1, pc) != 1))
				return die("pcap");
		}
		if (pc && fclose(pc))
			return die("pcap");
	}
	if (udp && dnstls) {
		FILE *pc = http_pcap("TAPIO_DNSTLS_PCAP");

		for (unsigned k = 0; k < DNS_N + TLS_N; k++) {
			unsigned len = k < DNS_N ? dns_frame(frame, k, guest)
						 : tls_frame(frame, k - DNS_N, guest);
			uint32_t rec[4] = {k + 1, 0, len, len};

			if (sendto(fd, frame, len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
				return die("send");
			if (pc && (fwrite(rec, sizeof(rec), 1, pc) != 1 || fwrite(frame, len, 1, pc) != 1))
				return die("pcap");
		}
		if (pc && fclose(pc))
			return die("pcap");
	}
	if (udp && split) {
		FILE *pc = http_pcap("TAPIO_SPLIT_PCAP");

		for (unsigned k = 0; k < SPLIT_N; k++) {
			unsigned len = tcp_frame(frame, 41000, 7000, SPLIT_SEQ + split_seg[k].at,
						 split_seg[k].data, guest);
			uint32_t rec[4] = {k + 1, 0, len, len};

			if (sendto(fd, frame, len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
				return die("send");
			if (pc && (fwrite(rec, sizeof(rec), 1, pc) != 1 || fwrite(frame, len, 1, pc) != 1))
				return die("pcap");
		}
		if (pc && fclose(pc))
			return die("pcap");
	}
	if (udp && frag) { /* the reserved bit (0x8000 of the fragment field) */
		unsigned len = frag_frame(frame, 0, guest);
		uint8_t *ip = frame + ETH_HLEN;

		ip[6] |= 0x80;
		ip[10] = ip[11] = 0;
		ip[10] = (uint8_t)(ip_csum(ip) >> 8);
		ip[11] = (uint8_t)ip_csum(ip);
		if (sendto(fd, frame, len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			return die("send");
	}
	for (uint32_t i = 0; udp && (n = fread(frame + ETH_HLEN + 32, 1, CHUNK, in)) == CHUNK; i++) {
		unsigned port = 6000 + i % 4;

		if (port == 6003) {
			/* No reply may come to these: a group destination. */
			udp_hdr(frame, i, port, SPORT_GROUP, bcast, "\x0a\x00\x02\x0f");
			if (sendto(fd, frame, UDP_LEN, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
				return die("send");
			udp_hdr(frame, i, port, SPORT_GROUP, guest, "\xff\xff\xff\xff");
			if (sendto(fd, frame, UDP_LEN, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
				return die("send");
			udp_hdr(frame, i, port, SPORT_GROUP, guest, "\xe0\x00\x00\xfb");
			if (sendto(fd, frame, UDP_LEN, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
				return die("send");
		}
		udp_hdr(frame, i, port, SPORT, guest, "\x0a\x00\x02\x0f");
		icmp_want += port == 6003;
		if (sendto(fd, frame, UDP_LEN, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			return die("send");
	}
	fclose(in);
	/* The firewall's replies to what it rejected (a few seconds at most). */
	for (deadline = now() + 5; udp && icmp < icmp_want && now() < deadline;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		struct sockaddr_ll from;
		socklen_t flen = sizeof(from);
		ssize_t r;
		unsigned port;
		long k;

		if (poll(&p, 1, 100) <= 0)
			continue;
		r = recvfrom(fd, frame, sizeof(frame), 0, (struct sockaddr *)&from, &flen);
		if (r < 0 || from.sll_pkttype == PACKET_OUTGOING)
			continue;
		k = udp_in(frame, r, &port);
		if (k >= 0 && port >= 5002) {
			fprintf(stderr, "tapio: frame %ld to port %u crossed the firewall\n", k, port);
			return 1;
		}
		port = icmp_reject(frame, r);
		if (port == SPORT_GROUP) {
			fprintf(stderr, "tapio: the firewall answered a frame to a group address\n");
			return 1;
		}
		icmp += port == SPORT;
	}
	if (noise > 0)
		kill(noise, SIGTERM);
	printf("received %lu frames (%lu of other kinds, %lu again), sent the input", got, other,
	       again);
	if (udp)
		printf("; icmp %lu", icmp);
	printf("\n");
	return 0;
}
