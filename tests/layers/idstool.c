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
 * Exits 0, or 1 with one line on stderr saying why.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ids/blob.h"

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

static int pcap(const char *disk_path, const char *n_str, const char *out_path)
{
	size_t dlen;
	uint8_t *disk = slurp(disk_path, 256u << 20, &dlen);
	unsigned long n = strtoul(n_str, NULL, 0);
	FILE *out = fopen(out_path, "wb");
	/* magic, 2.4, thiszone 0, sigfigs 0, snaplen 65535, Ethernet */
	uint8_t gh[24] = {0};
	static const uint8_t eth[14] = {0x52, 0x54, 0x00, 0x12, 0x35, 0x02, 0x52,
					0x54, 0x00, 0x12, 0x34, 0x56, 0x08, 0x00};

	if (!out)
		die("cannot write", out_path);
	if (!n || n > 65536 || n * 1024 > dlen)
		die("N frames need N KiB of DISK", n_str);
	put32le(gh, 0xa1b2c3d4);
	gh[4] = 2, gh[6] = 4;
	put32le(gh + 16, 65535);
	put32le(gh + 20, 1);
	fwrite(gh, 1, sizeof(gh), out);
	for (unsigned long i = 0; i < n; i++) {
		uint8_t f[14 + 20 + 8 + 4 + 1024], rh[16];
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
		put32le(rh, 1700000000);
		put32le(rh + 4, (uint32_t)(i * 1000));
		put32le(rh + 8, sizeof(f));
		put32le(rh + 12, sizeof(f));
		fwrite(rh, 1, sizeof(rh), out);
		fwrite(f, 1, sizeof(f), out);
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

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "pcap"))
		return pcap(argv[2], argv[3], argv[4]);
	if (argc == 5 && !strcmp(argv[1], "forge"))
		return forge(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: idstool pcap DISK N OUT\n"
			"       idstool forge A.blob B.blob OUT\n");
	return 1;
}
