/* SPDX-License-Identifier: MIT */
/* SHA-256 against the NIST vectors (FIPS 180-4 examples), and the manifest
 * parser of measured launch. */
#include "unit.h"

#include <stdlib.h>
#include <unistd.h>

#include "lib/sha256.h"
#include "root/measure.h"

static void hash_of(const void *p, size_t n, char hex[SHA256_HEX])
{
	uint8_t d[SHA256_BYTES];
	struct sha256 c;

	sha256_init(&c);
	sha256_update(&c, p, n);
	sha256_final(&c, d);
	sha256_hex(d, hex);
}

static void nist_short(void **state)
{
	char hex[SHA256_HEX];

	hash_of("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	hash_of("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	hash_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	/* The 896-bit message: two blocks of input, padding in a third. */
	hash_of("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
		"ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", 112, hex);
	assert_string_equal(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
	/* measure_hex is the same function over one buffer. */
	measure_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void nist_million_a(void **state)
{
	static const size_t chunks[] = {1, 3, 7, 63, 64, 65, 127, 1000, 4093};
	uint8_t d[SHA256_BYTES], buf[4096 + 8];
	char hex[SHA256_HEX];
	struct sha256 c;
	size_t done = 0, k = 0;

	memset(buf, 'a', sizeof(buf));
	sha256_init(&c);
	while (done < 1000000) {
		size_t n = chunks[k++ % (sizeof(chunks) / sizeof(chunks[0]))];

		if (n > 1000000 - done)
			n = 1000000 - done;
		sha256_update(&c, buf, n);
		done += n;
	}
	sha256_final(&c, d);
	sha256_hex(d, hex);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Every length around the block and padding boundaries: whole vs. byte by byte. */
static void split_equals_whole(void **state)
{
	uint8_t msg[200], d1[SHA256_BYTES], d2[SHA256_BYTES];
	struct sha256 c;
	size_t len, i;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 1);
	for (len = 0; len <= sizeof(msg); len++) {
		sha256_init(&c);
		sha256_update(&c, msg, len);
		sha256_final(&c, d1);
		sha256_init(&c);
		for (i = 0; i < len; i++)
			sha256_update(&c, msg + i, 1);
		sha256_final(&c, d2);
		assert_memory_equal(d1, d2, SHA256_BYTES);
	}
}

#define H1 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define H2 "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"

static void manifest_parse(void **state)
{
	struct measure_manifest m;
	char err[256];

	assert_int_equal(measure_parse_manifest("# approved 2024\n\n" H1 "  /x/build/layer.elf\n"
						"   \n" H2 " *other.elf\r\n",
						&m, err, sizeof(err)),
			 0);
	assert_int_equal(m.n, 2);
	assert_string_equal(m.e[0].hex, H1);
	assert_string_equal(m.e[0].name, "/x/build/layer.elf");
	assert_string_equal(m.e[1].hex,
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_string_equal(m.e[1].name, "other.elf");
	assert_non_null(measure_find_name(&m, "/elsewhere/layer.elf"));
	assert_string_equal(measure_find_name(&m, "layer.elf")->hex, H1);
	assert_null(measure_find_name(&m, "/x/build/vmlinuz"));
	measure_free(&m);

	/* No newline at the end. */
	assert_int_equal(measure_parse_manifest(H1 "  a", &m, err, sizeof(err)), 0);
	assert_int_equal(m.n, 1);
	measure_free(&m);
}

static void manifest_refusals(void **state)
{
	static const struct {
		const char *text, *needle;
	} bad[] = {
		{"# c\n" H1 " layer.elf\n", "line 2:"},        /* one space */
		{H1 "\n", "line 1:"},                          /* no name */
		{H1 "  \n", "line 1:"},                        /* empty name */
		{"\n\nabc  layer.elf\n", "line 3:"},           /* short hash */
		{"\n" H1 "0  layer.elf\n", "line 2:"},         /* 65 digits */
		{"xa7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  l\n", "line 1:"},
		{H1 "  a\nnot a line at all, but long enough to be checked for hex digits\n",
		 "line 2:"},
		{"", "no entries"},
		{"# only a comment\n\n", "no entries"},
	};
	struct measure_manifest m;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		if (measure_parse_manifest(bad[i].text, &m, err, sizeof(err)) != -1)
			fail_msg("case %zu accepted", i);
		if (!strstr(err, bad[i].needle))
			fail_msg("case %zu: refusal '%s' does not name '%s'", i, err, bad[i].needle);
		assert_int_equal(m.n, 0);
		assert_null(m.e);
	}
}

static void manifest_file(void **state)
{
	struct measure_manifest m;
	char path[] = "/tmp/rampart-manifest-XXXXXX", err[512];
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, H1 "  layer.elf\n", 64 + 12), 64 + 12);
	close(fd);
	assert_int_equal(measure_load_manifest(path, &m, err, sizeof(err)), 0);
	assert_int_equal(m.n, 1);
	measure_free(&m);
	unlink(path);
	assert_int_equal(measure_load_manifest(path, &m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
	assert_int_equal(measure_load_manifest("/tmp", &m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nist_short),	     cmocka_unit_test(nist_million_a),
		cmocka_unit_test(split_equals_whole), cmocka_unit_test(manifest_parse),
		cmocka_unit_test(manifest_refusals), cmocka_unit_test(manifest_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
