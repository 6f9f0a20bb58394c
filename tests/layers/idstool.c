/* SPDX-License-Identifier: MIT */
/*
 * build/idstool: the ids suite's helpers (tests/layers/ids.sh), in C so
 * that the suite runs the same inside the test host, which has no Python.
 *
 *   idstool pcap DISK N OUT
 *	The io guest's UDP frames as a pcap, for the offline mode. Frame i
 *	(0 <= i < N) is what the io guest sends in its UDP mode
 *	(src/layer/iotest.c): from 10.0.2.15:4000 to 10.0.2.2:(5000 + i % 4),
 *	its payload the 4-byte number i (big-endian) and DISK's bytes
 *	[i * 1024, (i + 1) * 1024). One frame a millisecond. The UDP checksum
 *	is 0 (none); the IPv4 header's is right.
 *
 *   idstool forge A.blob B.blob OUT
 *	A blob whose table is shorter than its database. A and B are ids
 *	blobs the compiler wrote (src/ids/blob.h) from the same rules, B's
 *	with one more rule after them, of one content, and with no database
 *	but the payload's. OUT is A's header, tables and pcres with B's
 *	Hyperscan database: the database holds a pattern (id = A's
 *	npatterns) that OUT's table does not name. It passes ids_blob_check
 *	(the check cannot see inside Hyperscan's database); the ids layer
 *	must count a match of it as a failed scan and drop the frame.
 *
 *   idstool replay-split PCAP SCRIPT OUT
 *	A pcap as a replay script (src/layer/replay.h, tests/layers/replay.sh)
 *	and as the Ethernet pcap of the script's frames, in order (OUT, for
 *	the offline mode). Every link type the offline mode reads is taken
 *	(wrapped in Ethernet as it wraps them). Checksums are made right
 *	(tcpreplay's --fixcsum): the IPv4 header's, and TCP's, UDP's (unless
 *	0 over IPv4), ICMP's and ICMPv6's where the packet is whole in the
 *	frame and not a fragment, over IPv4 or over IPv6 without extension
 *	headers; in-line, a layer holds a bad checksum against a frame as
 *	its receiver would, and the offline run sees the same frames. The
 *	side: each flow's opener (the source of its first frame; a flow is
 *	its protocol and its two ends, address and port) is the guest, its
 *	peer the host, so that each way of a flow comes from one side, as
 *	in-line it must (src/ids/flow.c, invariant 9); frames other than IP
 *	come from the host. Prints the counts.
 *
 *   idstool attack NAME OUT
 *	A pcap of an evasion for the replay suite (checksums 0: replay-split
 *	makes them right), one TCP flow from 10.0.2.15:40000 to 10.0.2.2:80
 *	whose SYN carries data its SYN-ACK does not take (Linux throws a
 *	SYN's data away without a TFO cookie), then: "syn-data": the same
 *	bytes after the handshake, which the receiver takes as its first
 *	(review-23: seen when the flow was not established, they must be
 *	inspected again now it is); "syn-http": an HTTP request in the SYN,
 *	then the same request after the handshake in two segments (its URI
 *	cut between them: neither is a request alone); "probe": no SYN data,
 *	a byte 'X' after the handshake, then 0x16 in its place (a keepalive
 *	probe's shape) and the rest of a TLS ClientHello for evil.example
 *	after it: a receiver that never took the 'X' (its TTL ended on the
 *	way) reads a ClientHello where the layer's stream says 'X' (the byte
 *	is no probe's: the receiver acknowledged nothing before it).
 *
 *   idstool replay-host IFACE SCRIPT TIMEOUT_S
 *	The host's end of a replay (the io guest in replay mode is the
 *	other): on IFACE (a tap's), prints "ready PID", waits for the guest's
 *	turn 0, then sends the script's host runs, each followed by its turn
 *	frame, and waits for the guest's turn frame after each of the
 *	guest's runs. Prints the counts: frames sent, the guest's frames
 *	that came (in order, byte for byte) of those it sent, and others.
 *
 * Exits 0, or 1 with one line on stderr saying why.
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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ids/blob.h"
#include "layer/replay.h"
#include "pcap.h"

#define BLOB_MAX (64u << 20)

static void die(const char *why, const char *what)
{
	fprintf(stderr, "idstool: %s%s%s\n", why, what ? ": " : "", what ? what : "");
	exit(1);
}

static uint8_t *slurp(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = malloc(max + 1);

	if (!f || !b)
		die("cannot read", path);
	*len = fread(b, 1, max + 1, f);
	fclose(f);
	if (*len > max)
		die("too large", path);
	return b;
}

static void put16be(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
}

static void put32le(uint8_t *p, uint32_t v)
{
	for (int k = 0; k < 4; k++)
		p[k] = (uint8_t)(v >> (8 * k));
}

/* A pcap's file header (2.4, microseconds, snaplen 65535, Ethernet). */
static void pcap_header(FILE *out)
{
	uint8_t gh[24] = {0};

	put32le(gh, 0xa1b2c3d4);
	gh[4] = 2, gh[6] = 4;
	put32le(gh + 16, 65535);
	put32le(gh + 20, 1);
	fwrite(gh, 1, sizeof(gh), out);
}

/* One pcap record: frame f[0, n) at sec.usec. */
static void pcap_record(FILE *out, uint32_t sec, uint32_t usec, const uint8_t *f, uint32_t n)
{
	uint8_t rh[16];

	put32le(rh, sec);
	put32le(rh + 4, usec);
	put32le(rh + 8, n);
	put32le(rh + 12, n);
	fwrite(rh, 1, sizeof(rh), out);
	fwrite(f, 1, n, out);
}

static int pcap(const char *disk_path, const char *n_str, const char *out_path)
{
	size_t dlen;
	uint8_t *disk = slurp(disk_path, 256u << 20, &dlen);
	unsigned long n = strtoul(n_str, NULL, 0);
	FILE *out = fopen(out_path, "wb");
	static const uint8_t eth[14] = {0x52, 0x54, 0x00, 0x12, 0x35, 0x02, 0x52,
					0x54, 0x00, 0x12, 0x34, 0x56, 0x08, 0x00};

	if (!out)
		die("cannot write", out_path);
	if (!n || n > 65536 || n * 1024 > dlen)
		die("N frames need N KiB of DISK", n_str);
	pcap_header(out);
	for (unsigned long i = 0; i < n; i++) {
		uint8_t f[14 + 20 + 8 + 4 + 1024];
		uint8_t *ip = f + 14, *udp = ip + 20, *pay = udp + 8;
		uint32_t sum = 0;

		memcpy(f, eth, sizeof(eth));
		memset(ip, 0, 20);
		ip[0] = 0x45;
		put16be(ip + 2, (uint16_t)(20 + 8 + 4 + 1024));
		put16be(ip + 4, (uint16_t)i);
		ip[8] = 64, ip[9] = 17;
		ip[12] = 10, ip[13] = 0, ip[14] = 2, ip[15] = 15;
		ip[16] = 10, ip[17] = 0, ip[18] = 2, ip[19] = 2;
		for (int k = 0; k < 20; k += 2)
			sum += (uint32_t)ip[k] << 8 | ip[k + 1];
		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		put16be(ip + 10, (uint16_t)~sum);
		put16be(udp, 4000);
		put16be(udp + 2, (uint16_t)(5000 + i % 4));
		put16be(udp + 4, 8 + 4 + 1024);
		put16be(udp + 6, 0);
		pay[0] = (uint8_t)(i >> 24), pay[1] = (uint8_t)(i >> 16);
		pay[2] = (uint8_t)(i >> 8), pay[3] = (uint8_t)i;
		memcpy(pay + 4, disk + i * 1024, 1024);
		pcap_record(out, 1700000000, (uint32_t)(i * 1000), f, sizeof(f));
	}
	if (fclose(out))
		die("cannot write", out_path);
	free(disk);
	return 0;
}

/* Append a[0 .. n) to out at *len, then zeros to a multiple of 8. */
static void put(uint8_t *out, size_t *len, const uint8_t *a, size_t n)
{
	if (*len + n + 8 > BLOB_MAX)
		die("the forged blob is too large", NULL);
	memcpy(out + *len, a, n);
	*len += n;
	while (*len % 8)
		out[(*len)++] = 0;
}

static int forge(const char *a_path, const char *b_path, const char *out_path)
{
	size_t alen, blen, olen = 0;
	uint8_t *a = slurp(a_path, BLOB_MAX, &alen), *b = slurp(b_path, BLOB_MAX, &blen);
	uint8_t *out = calloc(1, BLOB_MAX);
	struct ids_blob_hdr ha, hb, ho;
	FILE *f;

	if (alen < sizeof(ha) || blen < sizeof(hb) || !out)
		die("not ids blobs", a_path);
	memcpy(&ha, a, sizeof(ha));
	memcpy(&hb, b, sizeof(hb));
	if (ha.magic != IDS_BLOB_MAGIC || hb.magic != IDS_BLOB_MAGIC || ha.size != alen ||
	    hb.size != blen)
		die("not ids blobs", a_path);
	const struct ids_blob_db *da = &ha.dbs[IDS_BUF_PKT], *db = &hb.dbs[IDS_BUF_PKT];
	uint32_t rules_len = ha.pattern_off - ha.rule_off;
	if (hb.nrules != ha.nrules + 1 || hb.npatterns != ha.npatterns + 1 ||
	    ha.pattern_off < ha.rule_off || (uint64_t)hb.rule_off + rules_len > blen ||
	    (uint64_t)ha.rule_off + rules_len > alen ||
	    memcmp(b + hb.rule_off, a + ha.rule_off, rules_len))
		die("B is not A with one more rule of one content after them", b_path);
	for (unsigned k = 0; k < IDS_BLOB_BUFS; k++)
		if (k != IDS_BUF_PKT && (ha.dbs[k].size || hb.dbs[k].size))
			die("a database of another buffer than the payload's", a_path);
	if (!da->size || da->off > alen || (uint64_t)db->off + db->size > blen ||
	    (uint64_t)ha.pcre_off + (uint64_t)ha.npcre * sizeof(struct ids_blob_pcre) > alen ||
	    (uint64_t)ha.pcre_code_off + ha.pcre_code_size > alen)
		die("a table or database outside its blob", a_path);
	/* A's header and tables, up to its database; then B's database */
	ho = ha;
	put(out, &olen, a, da->off);
	put(out, &olen, b + db->off, db->size);
	ho.dbs[IDS_BUF_PKT].size = db->size;
	ho.pcre_off = (uint32_t)olen;
	put(out, &olen, a + ha.pcre_off, (size_t)ha.npcre * sizeof(struct ids_blob_pcre));
	if (ha.npcre) {
		ho.pcre_code_off = (uint32_t)olen;
		put(out, &olen, a + ha.pcre_code_off, ha.pcre_code_size);
	}
	ho.size = (uint32_t)olen;
	memcpy(out, &ho, sizeof(ho));
	f = fopen(out_path, "wb");
	if (!f || fwrite(out, 1, olen, f) != olen || fclose(f))
		die("cannot write", out_path);
	free(a), free(b), free(out);
	return 0;
}

static uint32_t get16be(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t k = 0; k + 1 < n; k += 2)
		sum += get16be(p + k);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

/* Write the checksum of sum at p (whose value was old; udp: UDP's, whose
 * 0 is written 0xffff, 0 being "none"); whether it changed. */
static bool put_csum(uint8_t *p, uint32_t sum, uint32_t old, bool udp)
{
	uint16_t v;

	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	v = (uint16_t)~sum;
	if (udp && !v)
		v = 0xffff;
	put16be(p, v);
	return v != old;
}

/* The checksum of an L4 header at l (n bytes, whole), pseudo header sum
 * ph (0 for ICMP over IPv4, which has none); whether it changed. */
static bool fix_l4(unsigned proto, bool v4, uint8_t *l, uint32_t n, uint32_t ph)
{
	unsigned at;

	switch (proto) {
	case 6:
		at = 16;
		break;
	case 17:
		at = 6;
		if (v4 && !get16be(l + 6))
			return false; /* no checksum: none to make right */
		break;
	case 1:
		at = 2;
		break;
	case 58:
		at = 2;
		break;
	default:
		return false;
	}
	if (n < at + 2 || (proto == 6 && n < 20) || (proto == 17 && n < 8))
		return false;
	uint32_t old = get16be(l + at);

	l[at] = l[at + 1] = 0;
	return put_csum(l + at, sum16(proto == 1 ? 0 : ph + proto + n, l, n), old, proto == 17);
}

/* One end of a flow: its address (IPv4 in the first 4 bytes) and port. */
struct rpl_end {
	uint8_t addr[16];
	uint16_t port;
};

struct rpl_flow {
	unsigned proto;
	struct rpl_end a, b, opener; /* a <= b */
};

static int end_cmp(const struct rpl_end *x, const struct rpl_end *y)
{
	int c = memcmp(x->addr, y->addr, sizeof(x->addr));

	return c ? c : (int)x->port - (int)y->port;
}

/* The side of a frame from src to dst of protocol proto (ports 0: a
 * later fragment's, or behind IPv6 extension headers: any flow of the
 * two addresses decides), its flow entered in flows when new. */
static unsigned flow_side(const struct rpl_end *src, const struct rpl_end *dst, unsigned proto,
			  struct rpl_flow *flows, unsigned *nflows)
{
	const bool lo = end_cmp(src, dst) <= 0, ports = src->port || dst->port;
	struct rpl_flow k = {.proto = proto, .a = lo ? *src : *dst, .b = lo ? *dst : *src};

	for (unsigned i = 0; i < *nflows; i++) {
		const struct rpl_flow *f = &flows[i];

		if (f->proto != proto)
			continue;
		if (ports ? !end_cmp(&f->a, &k.a) && !end_cmp(&f->b, &k.b)
			  : (!memcmp(f->a.addr, k.a.addr, 16) && !memcmp(f->b.addr, k.b.addr, 16)))
			return memcmp(f->opener.addr, src->addr, 16) ||
				       (ports && f->opener.port != src->port)
				   ? RPL_HOST
				   : RPL_GUEST;
	}
	k.opener = *src;
	flows[(*nflows)++] = k; /* room: one flow a record at most */
	return RPL_GUEST;
}

/*
 * Frame f (n bytes, Ethernet): its checksums made right (*fixed counts
 * those that changed), and its side: RPL_GUEST when its source is the
 * opener of its flow (a new flow's first frame makes its source that),
 * RPL_HOST otherwise and for frames other than IP; -1 when its capture
 * is shorter than its IP packet (a side cannot be told).
 */
static int replay_frame(uint8_t *f, uint32_t n, struct rpl_flow *flows, unsigned *nflows,
			unsigned long *fixed)
{
	uint32_t off = 14, et = get16be(f + 12), ph = 0, l4n = 0, l4cap = 0;
	struct rpl_end src = {{0}, 0}, dst = {{0}, 0};
	unsigned proto = 0;
	uint8_t *ip = f + 14, *l4 = NULL, *l4h = NULL;
	bool v4 = false;

	if (et == 0x8100 && n >= 18)
		et = get16be(f + 16), off = 18, ip = f + 18;
	if (et == 0x0800 && n - off >= 20) {
		uint32_t ihl = (ip[0] & 15u) * 4, tot = get16be(ip + 2), old = get16be(ip + 10);

		if (ip[0] >> 4 != 4 || ihl < 20 || tot < ihl)
			return RPL_HOST;
		if (tot > n - off)
			return -1;
		v4 = true;
		ip[10] = ip[11] = 0;
		*fixed += put_csum(ip + 10, sum16(0, ip, ihl), old, false);
		proto = ip[9];
		memcpy(src.addr, ip + 12, 4);
		memcpy(dst.addr, ip + 16, 4);
		ph = sum16(0, ip + 12, 8);
		if (!(get16be(ip + 6) & 0x1fff)) /* no offset: the L4 header's start */
			l4h = ip + ihl, l4cap = tot - ihl;
		if (!(get16be(ip + 6) & 0x3fff)) /* neither MF nor an offset: whole */
			l4 = ip + ihl, l4n = tot - ihl;
	} else if (et == 0x86dd && n - off >= 40) {
		uint32_t plen = get16be(ip + 4);

		if (ip[0] >> 4 != 6)
			return RPL_HOST;
		if (plen > n - off - 40)
			return -1;
		proto = ip[6];
		memcpy(src.addr, ip + 8, 16);
		memcpy(dst.addr, ip + 24, 16);
		ph = sum16(0, ip + 8, 32);
		if (proto == 6 || proto == 17 || proto == 58)
			l4 = l4h = ip + 40, l4n = l4cap = plen;
	} else {
		return RPL_HOST;
	}
	if (l4)
		*fixed += fix_l4(proto, v4, l4, l4n, ph);
	if (l4h && (proto == 6 || proto == 17) && l4cap >= 4)
		src.port = (uint16_t)get16be(l4h), dst.port = (uint16_t)get16be(l4h + 2);
	return (int)flow_side(&src, &dst, proto, flows, nflows);
}

static int replay_split(const char *in, const char *script_path, const char *out_path)
{
	static struct pcap_reader r;
	static struct rpl_flow flows[RPL_MAX_RECORDS];
	static uint8_t script[RPL_HDR + RPL_MAX_RECORDS * (RPL_REC_HDR + RPL_FRAME_MAX)];
	unsigned long fixed = 0, side_n[2] = {0, 0};
	unsigned nflows = 0;
	uint32_t nrec = 0;
	size_t at = RPL_HDR;
	char err[256];
	FILE *out = fopen(out_path, "wb"), *sf;
	const uint8_t *frame;
	size_t len;
	uint64_t ts;
	int got;

	if (!out)
		die("cannot write", out_path);
	if (pcap_open(&r, in, err, sizeof(err)))
		die(err, NULL);
	pcap_header(out);
	while ((got = pcap_next(&r, &frame, &len, &ts, err, sizeof(err))) == 1) {
		uint8_t *f = script + at + RPL_REC_HDR;
		int side;

		if (nrec == RPL_MAX_RECORDS) {
			fprintf(stderr, "idstool: %s: more than %u frames, a replay's most\n", in,
				RPL_MAX_RECORDS);
			exit(1);
		}
		if (len < RPL_FRAME_MIN || len > RPL_FRAME_MAX) {
			fprintf(stderr,
				"idstool: %s: frame %u is %zu bytes (a replay takes %u to %u)\n",
				in, nrec + 1, len, RPL_FRAME_MIN, RPL_FRAME_MAX);
			exit(1);
		}
		if (len > 1514 && !(frame[12] == 0x81 && frame[13] == 0)) {
			fprintf(stderr,
				"idstool: %s: frame %u is %zu bytes, untagged (a tap takes 1514)\n",
				in, nrec + 1, len);
			exit(1);
		}
		if (at + RPL_REC_HDR + len > RPL_SCRIPT_MAX) {
			fprintf(stderr, "idstool: %s: frame %u is past the replay's %u bytes\n", in,
				nrec + 1, RPL_SCRIPT_MAX);
			exit(1);
		}
		memcpy(f, frame, len);
		side = replay_frame(f, (uint32_t)len, flows, &nflows, &fixed);
		if (side < 0) {
			fprintf(stderr, "idstool: %s: frame %u is cut short of its IP packet\n", in,
				nrec + 1);
			exit(1);
		}
		script[at] = (uint8_t)side;
		script[at + 1] = 0;
		script[at + 2] = (uint8_t)len;
		script[at + 3] = (uint8_t)(len >> 8);
		at += RPL_REC_HDR + len;
		side_n[side]++; /* RPL_GUEST or RPL_HOST */
		nrec++;
		pcap_record(out, (uint32_t)(ts / 1000000000u), (uint32_t)(ts % 1000000000u / 1000u),
			    f, (uint32_t)len);
	}
	if (got < 0)
		die(err, NULL);
	pcap_close(&r);
	memcpy(script, RPL_MAGIC, 4);
	put32le(script + 4, nrec);
	sf = fopen(script_path, "wb");
	if (!sf || fwrite(script, 1, at, sf) != at || fclose(sf))
		die("cannot write", script_path);
	if (fclose(out))
		die("cannot write", out_path);
	printf("replay-split: %u frames, %lu from the guest, %lu from the host, %u flows, "
	       "%lu checksums made right\n",
	       nrec, side_n[RPL_GUEST], side_n[RPL_HOST], nflows, fixed);
	return 0;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The replay's host end on one packet socket. */
struct rpl_host {
	int fd;
	struct sockaddr_ll sa;
	double deadline;
	uint8_t buf[65536];
};

static void host_send(struct rpl_host *h, const uint8_t *f, size_t n)
{
	if (sendto(h->fd, f, n, 0, (struct sockaddr *)&h->sa, sizeof(h->sa)) != (ssize_t)n)
		die("send on the tap failed", NULL);
}

/* A frame from the socket into h->buf, with its VLAN tag where it had one
 * (the kernel takes a tag out of the frame into the packet's auxiliary
 * data: PACKET_AUXDATA puts it back); its length. */
static ssize_t host_recv(struct rpl_host *h, struct sockaddr_ll *from)
{
	union {
		struct cmsghdr c;
		uint8_t b[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	} cm;
	struct iovec iov = {.iov_base = h->buf, .iov_len = sizeof(h->buf) - 4};
	struct msghdr msg = {.msg_name = from,
			     .msg_namelen = sizeof(*from),
			     .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = &cm,
			     .msg_controllen = sizeof(cm)};
	ssize_t r = recvmsg(h->fd, &msg, 0);

	if (r < 0)
		die("receive on the tap failed", NULL);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		struct tpacket_auxdata a;

		if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA)
			continue;
		memcpy(&a, CMSG_DATA(c), sizeof(a));
		if (!(a.tp_status & TP_STATUS_VLAN_VALID) || r < 12)
			continue;
		memmove(h->buf + 16, h->buf + 12, (size_t)r - 12);
		put16be(h->buf + 12,
			(a.tp_status & TP_STATUS_VLAN_TPID_VALID) ? a.tp_vlan_tpid : 0x8100);
		put16be(h->buf + 14, a.tp_vlan_tci);
		r += 4;
	}
	return r;
}

/* Wait for the guest's turn frame number turn, counting the guest's frames
 * of records [k, e) that come before it (in order, as replay_wait in
 * src/layer/iotest.c) in *got, others in *other; false at the deadline. */
static bool host_wait(struct rpl_host *h, const uint8_t *s, const uint32_t *off, uint32_t k,
		      uint32_t e, unsigned turn, unsigned long *got, unsigned long *other)
{
	for (;;) {
		struct pollfd p = {.fd = h->fd, .events = POLLIN};
		struct sockaddr_ll from;
		double left = h->deadline - now_s();
		ssize_t r;
		uint32_t j;

		int pr = left > 0 ? poll(&p, 1, (int)(left * 1000) + 1) : 0;

		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return false;
		r = host_recv(h, &from);
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue;
		if (rpl_turn_of(h->buf, (uint32_t)r, RPL_GUEST) == (long)turn)
			return true;
		j = rpl_match(s, off, k, e, h->buf, (uint32_t)r);
		if (j < e) {
			(*got)++;
			k = j + 1;
		} else {
			(*other)++;
		}
	}
}

static int replay_host(const char *iface, const char *script_path, const char *timeout_s)
{
	static struct rpl_host h;
	static uint32_t off[RPL_MAX_RECORDS];
	size_t size;
	uint8_t *s =
	    slurp(script_path, RPL_HDR + RPL_MAX_RECORDS * (RPL_REC_HDR + RPL_FRAME_MAX), &size);
	long nrec = rpl_index(s, size, off);
	unsigned long sent = 0, got = 0, want = 0, other = 0;
	uint8_t tf[RPL_TURN_LEN];
	unsigned turn = 1;

	if (nrec < 0)
		die("not a replay script", script_path);
	h.sa.sll_family = AF_PACKET;
	h.sa.sll_protocol = htons(ETH_P_ALL);
	h.sa.sll_ifindex = (int)if_nametoindex(iface);
	if (!h.sa.sll_ifindex)
		die("no such interface", iface);
	h.fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (h.fd < 0 || bind(h.fd, (struct sockaddr *)&h.sa, sizeof(h.sa)) < 0 ||
	    setsockopt(h.fd, SOL_PACKET, PACKET_AUXDATA, &(int){1}, sizeof(int)) < 0)
		die("cannot open a packet socket on", iface);
	h.deadline = now_s() + atof(timeout_s);
	printf("ready %ld\n", (long)getpid());
	fflush(stdout);
	if (!host_wait(&h, s, off, 0, 0, 0, &got, &other))
		die("the guest's turn 0 never came", iface);
	for (uint32_t k = 0, e; k < (uint32_t)nrec; k = e, turn++) {
		uint8_t side = s[off[k]];

		e = rpl_run_end(s, off, (uint32_t)nrec, k);
		if (side == RPL_GUEST) {
			want += e - k;
			if (!host_wait(&h, s, off, k, e, turn, &got, &other)) {
				fprintf(stderr,
					"idstool: replay-host: the guest's turn %u never came "
					"(%lu of its %lu frames so far)\n",
					turn, got, want);
				return 1;
			}
			continue;
		}
		for (uint32_t j = k; j < e; j++, sent++)
			host_send(&h, s + off[j] + RPL_REC_HDR, rpl_get16(s + off[j] + 2));
		rpl_turn(tf, RPL_HOST, turn);
		host_send(&h, tf, sizeof(tf));
	}
	printf("replay-host: %ld records, %lu sent, %lu of %lu received, %lu other\n", nrec, sent,
	       got, want, other);
	free(s);
	return 0;
}

/* One TCP/IPv4 frame of the attack's flow into f (from the guest's end or
 * the server's), checksums 0; its length. */
static uint32_t attack_frame(uint8_t *f, bool from_guest, uint32_t seq, uint32_t ack, uint8_t flags,
			     const char *d, uint32_t dl)
{
	static const uint8_t g[4] = {10, 0, 2, 15}, h[4] = {10, 0, 2, 2};
	uint8_t *ip = f + 14, *t = ip + 20;

	memset(f, 0, 14 + 40);
	memcpy(f, from_guest ? "\x02\x00\x00\x00\x00\x01" : "\x52\x54\x00\x12\x34\x56", 6);
	memcpy(f + 6, from_guest ? "\x52\x54\x00\x12\x34\x56" : "\x02\x00\x00\x00\x00\x01", 6);
	put16be(f + 12, 0x0800);
	ip[0] = 0x45;
	put16be(ip + 2, (uint16_t)(40 + dl));
	ip[8] = 64, ip[9] = 6;
	memcpy(ip + 12, from_guest ? g : h, 4);
	memcpy(ip + 16, from_guest ? h : g, 4);
	put16be(t, from_guest ? 40000 : 80);
	put16be(t + 2, from_guest ? 80 : 40000);
	put16be(t + 4, (uint16_t)(seq >> 16)), put16be(t + 6, (uint16_t)seq);
	put16be(t + 8, (uint16_t)(ack >> 16)), put16be(t + 10, (uint16_t)ack);
	t[12] = 5 << 4, t[13] = flags;
	put16be(t + 14, 65535);
	memcpy(t + 20, d, dl);
	return 14 + 40 + dl;
}

/* A TLS 1.2 ClientHello for name into h; its length. */
static uint32_t client_hello(uint8_t *h, const char *name)
{
	const uint32_t nl = (uint32_t)strlen(name);
	uint32_t p = 9, hs;

	h[0] = 0x16, h[1] = 3, h[2] = 1;
	h[5] = 1; /* ClientHello */
	h[p++] = 3, h[p++] = 3;
	memset(h + p, 0x5a, 32); /* random */
	p += 32;
	h[p++] = 0; /* no session id */
	h[p++] = 0, h[p++] = 2, h[p++] = 0x13, h[p++] = 1;
	h[p++] = 1, h[p++] = 0; /* null compression */
	put16be(h + p, (uint16_t)(nl + 9));
	put16be(h + p + 2, 0); /* server_name */
	put16be(h + p + 4, (uint16_t)(nl + 5));
	put16be(h + p + 6, (uint16_t)(nl + 3));
	h[p + 8] = 0; /* host_name */
	put16be(h + p + 9, (uint16_t)nl);
	memcpy(h + p + 11, name, nl);
	p += 11 + nl;
	hs = p - 9;
	h[6] = (uint8_t)(hs >> 16), h[7] = (uint8_t)(hs >> 8), h[8] = (uint8_t)hs;
	put16be(h + 3, (uint16_t)(hs + 4));
	return p;
}

static int attack(const char *name, const char *out_path)
{
	enum { SYN = 2, PSH = 8, ACK = 16 };
	static const char req[] = "GET /evil HTTP/1.1\r\nHost: a.test\r\n\r\n";
	uint8_t f[14 + 40 + 128], hello[128] = {0};
	const uint32_t hl = client_hello(hello, "evil.example");
	/* the SYN's data (none: ""), then the guest's segments after the
	 * handshake */
	const char *syn = "";
	uint32_t synl = 0, nseg = 0;
	struct {
		uint32_t seq, len;
		const char *d;
	} seg[3];
	FILE *out;

	if (!strcmp(name, "syn-data")) {
		syn = "RAMPART-EVIL", synl = 12;
		seg[nseg++] = (typeof(seg[0])){1000, synl, syn};
	} else if (!strcmp(name, "syn-http")) {
		syn = req, synl = sizeof(req) - 1;
		seg[nseg++] = (typeof(seg[0])){1000, 7, req}; /* "GET /ev" */
		seg[nseg++] = (typeof(seg[0])){1007, synl - 7, req + 7};
	} else if (!strcmp(name, "probe")) {
		seg[nseg++] = (typeof(seg[0])){1000, 1, "X"};
		seg[nseg++] = (typeof(seg[0])){1000, 1, (char *)hello};
		seg[nseg++] = (typeof(seg[0])){1001, hl - 1, (char *)hello + 1};
	} else {
		die("no such attack (syn-data, syn-http, probe)", name);
	}
	out = fopen(out_path, "wb");
	if (!out)
		die("cannot write", out_path);
	pcap_header(out);
	for (unsigned k = 0; k < 3 + nseg; k++) {
		uint32_t n;

		if (k == 0)
			n = attack_frame(f, true, 999, 0, SYN, syn, synl);
		else if (k == 1) /* the SYN's data not taken: ISN + 1 */
			n = attack_frame(f, false, 4999, 1000, SYN | ACK, "", 0);
		else if (k == 2)
			n = attack_frame(f, true, 1000, 5000, ACK, "", 0);
		else
			n = attack_frame(f, true, seg[k - 3].seq, 5000, PSH | ACK, seg[k - 3].d,
					 seg[k - 3].len);
		pcap_record(out, 1700000000, k * 1000, f, n);
	}
	if (fclose(out))
		die("cannot write", out_path);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "attack"))
		return attack(argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[1], "replay-split"))
		return replay_split(argv[2], argv[3], argv[4]);
	if (argc == 5 && !strcmp(argv[1], "replay-host"))
		return replay_host(argv[2], argv[3], argv[4]);
	if (argc == 5 && !strcmp(argv[1], "pcap"))
		return pcap(argv[2], argv[3], argv[4]);
	if (argc == 5 && !strcmp(argv[1], "forge"))
		return forge(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: idstool pcap DISK N OUT\n"
			"       idstool forge A.blob B.blob OUT\n"
			"       idstool replay-split PCAP SCRIPT OUT\n"
			"       idstool attack NAME OUT\n"
			"       idstool replay-host IFACE SCRIPT TIMEOUT_S\n");
	return 1;
}
