/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The userspace API: framing of requests however the stream is split,
 * every key of a set transaction and every class of bad value with its
 * errno and line, the exact text of a get answer and its round trip into
 * a set, the errno line, and a fuzz loop of mutated streams through feed,
 * next and parse. Run under ASan, a leak on any path fails it.
 *
 * The expected behaviour is wireguard-go's (device/uapi.go), checked
 * against wireguard-go v0.0.20220316 over its socket, except where the
 * header's contract says otherwise (each such place says so).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wg_check.h"
#include "wg_crypto.h"
#include "wg_uapi.h"

#define CHECK_STR(a, b) do {						\
	const char *_a = (a), *_b = (b);				\
	wg_check_count++;						\
	if (_a == NULL || strcmp(_a, _b) != 0) {			\
		wg_check_failures++;					\
		fprintf(stderr, "%s:%d: %s ==\n\"%s\"\nexpected\n\"%s\"\n", \
			__FILE__, __LINE__, #a, _a ? _a : "(null)", _b); \
	}								\
} while (0)

/* Keys whose bytes are n, n+1, ... n+31, in hex. */
#define HEX00 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define HEX25 "25262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f4041424344"
#define HEX4A "4a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60616263646566676869"
#define HEX6F "6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e"
#define HEX6F_UPPER \
	"6F707172737475767778797A7B7C7D7E7F808182838485868788898A8B8C8D8E"
#define ZERO64 \
	"0000000000000000000000000000000000000000000000000000000000000000"
/* HEX00 as wireguard-go stores it: clamped. */
#define HEX00_CLAMPED \
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e5f"

static char last_err[256];

static void
seq_key(uint8_t key[WG_UAPI_KEY_LEN], unsigned int first)
{
	unsigned int i;

	for (i = 0; i < WG_UAPI_KEY_LEN; i++)
		key[i] = (uint8_t)(first + i);
}

static bool
key_is_hex(const uint8_t *key, const char *hex)
{
	char buf[2 * WG_UAPI_KEY_LEN + 1];

	wg_key_to_hex(buf, key);
	return strcmp(buf, hex) == 0;
}

static const char *
pfx_str(const struct wg_conf_prefix *p)
{
	static char buf[WG_CONF_PREFIX_STRLEN];

	return wg_conf_format_prefix(p, buf, sizeof(buf));
}

static const char *
ep_str(const struct wg_endpoint *ep)
{
	static char buf[WG_CONF_ENDPOINT_STRLEN];

	return wg_conf_format_endpoint(ep, buf, sizeof(buf));
}

/* ---- a growing string ---- */

struct text {
	char *s;
	size_t len, cap;
};

static void
text_add(struct text *t, const void *p, size_t n)
{
	char *bigger;

	if (t->len + n + 1 > t->cap) {
		t->cap = 2 * (t->len + n + 1);
		bigger = realloc(t->s, t->cap);
		if (bigger == NULL)
			abort();
		t->s = bigger;
	}
	memcpy(t->s + t->len, p, n);
	t->len += n;
	t->s[t->len] = '\0';
}

static void __attribute__((format(printf, 2, 3)))
text_printf(struct text *t, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		text_add(t, buf, (size_t)n < sizeof(buf) ? (size_t)n :
			 sizeof(buf) - 1);
}

static char *
text_take(struct text *t)
{
	if (t->s == NULL)
		text_add(t, "", 0);
	return t->s;
}

/* ---- framing ---- */

static int check_set(const struct wg_uapi_set *s);

/*
 * Every complete request, logged as "G", "S[body]" (and the result of
 * parsing the body when parse is set) or "C" for a refusal: runs are
 * then compared with one strcmp. Returns the op that stopped it.
 */
static enum wg_uapi_op
drain(struct wg_uapi_conn *c, struct text *log, bool parse, int *bad)
{
	struct wg_uapi_set *s;
	enum wg_uapi_op op;
	const char *body;
	size_t blen;
	int rc;

	while ((op = wg_uapi_conn_next(c, &body, &blen)) == WG_UAPI_GET ||
	       op == WG_UAPI_SET) {
		if (op == WG_UAPI_GET) {
			text_add(log, "G", 1);
			continue;
		}
		text_add(log, "S[", 2);
		text_add(log, body, blen);
		text_add(log, "]", 1);
		if (!parse)
			continue;
		rc = wg_uapi_set_parse(body, blen, &s, last_err,
				       sizeof(last_err));
		text_printf(log, "=%d", rc);
		if (rc == 0 && check_set(s) != 0)
			(*bad)++;
		wg_uapi_set_free(s);
	}
	if (op == WG_UAPI_CLOSE)
		text_add(log, "C", 1);
	return op;
}

/* Feed data cut at the given offsets, draining after each piece. */
static char *
run_cuts(const char *data, size_t n, const size_t *cuts, unsigned int ncuts,
	 bool parse, int *bad)
{
	struct wg_uapi_conn c;
	struct text log = { 0 };
	size_t pos = 0, next;
	unsigned int i;
	int rc;

	wg_uapi_conn_init(&c);
	for (i = 0; i <= ncuts; i++) {
		next = i < ncuts ? cuts[i] : n;
		rc = wg_uapi_conn_feed(&c, data + pos, next - pos);
		pos = next;
		if (rc != 0) {
			text_printf(&log, "E%d", rc);
			break;
		}
		if (drain(&c, &log, parse, bad) == WG_UAPI_CLOSE)
			break;
	}
	wg_uapi_conn_fini(&c);
	return text_take(&log);
}

static char *
run(const char *data, size_t n)
{
	return run_cuts(data, n, NULL, 0, false, NULL);
}

#define CHECK_RUN(data, want) do {					\
	char *_log = run((data), sizeof(data) - 1);			\
	CHECK_STR(_log, (want));					\
	free(_log);							\
} while (0)

static void
test_framing_basic(void)
{
	struct wg_uapi_conn c;
	const char *body = "x";
	size_t blen = 99;

	wg_uapi_conn_init(&c);
	/* Nothing fed: nothing to hand out, and no allocation either. */
	CHECK_EQ(wg_uapi_conn_next(&c, &body, &blen), WG_UAPI_MORE);
	CHECK(body == NULL && blen == 0);
	CHECK_EQ(wg_uapi_conn_feed(&c, "", 0), 0);
	CHECK_EQ(wg_uapi_conn_feed(&c, "get=1\n\n", 7), 0);
	CHECK_EQ(wg_uapi_conn_next(&c, &body, &blen), WG_UAPI_GET);
	CHECK(body == NULL && blen == 0);
	CHECK_EQ(wg_uapi_conn_next(&c, &body, &blen), WG_UAPI_MORE);
	CHECK_EQ(wg_uapi_conn_feed(&c, "set=1\nlisten_port=1\n\n", 21), 0);
	CHECK_EQ(wg_uapi_conn_next(&c, &body, &blen), WG_UAPI_SET);
	CHECK_EQ(blen, 14);
	CHECK(body != NULL && memcmp(body, "listen_port=1\n", 14) == 0);
	CHECK_EQ(wg_uapi_conn_next(&c, NULL, NULL), WG_UAPI_MORE);
	wg_uapi_conn_fini(&c);
	CHECK(c.buf == NULL && c.len == 0 && c.cap == 0);
	/* Finishing twice, or a connection never fed, is harmless. */
	wg_uapi_conn_fini(&c);

	CHECK_RUN("set=1\n\n", "S[]");
	CHECK_RUN("set=1\na=b\n\n", "S[a=b\n]");
	/* A missing final empty line: the transaction is still coming.
	 * (wireguard-go applies it when the peer closes; we never do.) */
	CHECK_RUN("set=1\nlisten_port=1\n", "");
	CHECK_RUN("set=1\n", "");
	CHECK_RUN("get=1\n", "");
	CHECK_RUN("get=1", "");
	CHECK_RUN("s", "");
	/* Several requests on one connection, in one read. */
	CHECK_RUN("get=1\n\nset=1\na=b\n\nset=1\n\nget=1\n\n"
		  "set=1\nx=1\ny=2\n\n", "GS[a=b\n]S[]GS[x=1\ny=2\n]");
	/* Bodies are not checked by framing: that is set_parse's job. */
	CHECK_RUN("set=1\nno equals sign\n\n", "S[no equals sign\n]");

	/* A body stays valid across the next call, up to the next feed. */
	wg_uapi_conn_init(&c);
	CHECK_EQ(wg_uapi_conn_feed(&c, "set=1\na=1\n\nset=1\nb=2\n\n", 22), 0);
	{
		const char *b1, *b2;
		size_t l1, l2;

		CHECK_EQ(wg_uapi_conn_next(&c, &b1, &l1), WG_UAPI_SET);
		CHECK_EQ(wg_uapi_conn_next(&c, &b2, &l2), WG_UAPI_SET);
		CHECK(l1 == 4 && memcmp(b1, "a=1\n", 4) == 0);
		CHECK(l2 == 4 && memcmp(b2, "b=2\n", 4) == 0);
	}
	wg_uapi_conn_fini(&c);
}

static const char split_stream[] =
	"get=1\n\nset=1\nprivate_key=" HEX00 "\nlisten_port=7\n\n"
	"set=1\n\nget=1\n\nset=1\npublic_key=" HEX25 "\nallowed_ip=10.0.0.0/8"
	"\n\nget=1\n\n";
static const char split_want[] =
	"GS[private_key=" HEX00 "\nlisten_port=7\n]S[]GS[public_key=" HEX25
	"\nallowed_ip=10.0.0.0/8\n]G";

/* The same requests however the stream is cut: once and twice at every
 * pair of offsets, and a byte at a time. */
static void
test_framing_splits(void)
{
	size_t n = sizeof(split_stream) - 1, cuts[2], i, j;
	unsigned int bad = 0, runs = 0;
	size_t *every;
	char *log;

	for (i = 0; i <= n; i++) {
		for (j = i; j <= n; j++) {
			cuts[0] = i;
			cuts[1] = j;
			log = run_cuts(split_stream, n, cuts, 2, false, NULL);
			if (strcmp(log, split_want) != 0 && bad++ < 3)
				fprintf(stderr, "cut at %zu, %zu: %s\n", i, j,
					log);
			free(log);
			runs++;
		}
	}
	CHECK_EQ(bad, 0);
	CHECK(runs > 10000);

	every = malloc(n * sizeof(*every));
	CHECK(every != NULL);
	if (every == NULL)
		return;
	for (i = 0; i < n; i++)
		every[i] = i + 1;
	log = run_cuts(split_stream, n, every, (unsigned int)n, false, NULL);
	CHECK_STR(log, split_want);
	free(log);
	free(every);
}

static void
test_framing_bad(void)
{
	struct wg_uapi_conn c;
	const char *body;
	size_t blen;

	/* wireguard-go closes on any other op line. */
	CHECK_RUN("garbage\n", "C");
	CHECK_RUN("get=2\n\n", "C");
	CHECK_RUN("set=2\n\n", "C");
	CHECK_RUN("GET=1\n\n", "C");
	CHECK_RUN(" get=1\n\n", "C");
	CHECK_RUN("get=1 \n\n", "C");
	CHECK_RUN("get=10\n\n", "C");
	CHECK_RUN("get\n\n", "C");
	CHECK_RUN("\n", "C");
	CHECK_RUN("\nget=1\n\n", "C");
	/* Its op line must end with a bare newline: CRLF is refused too. */
	CHECK_RUN("get=1\r\n\r\n", "C");
	CHECK_RUN("set=1\r\nlisten_port=1\r\n\r\n", "C");
	/* As soon as the bytes received cannot begin an op line. */
	CHECK_RUN("x", "C");
	CHECK_RUN("ge", "");
	CHECK_RUN("gex", "C");
	CHECK_RUN("set=", "");
	CHECK_RUN("set=0", "C");
	/* A get with anything but the empty line: wireguard-go answers
	 * errno=-22 to the stray byte and reads on; the contract closes. */
	CHECK_RUN("get=1\nX", "C");
	CHECK_RUN("get=1\nlisten_port=1\n\n", "C");
	/* Good requests before the bad one are still handed out. */
	CHECK_RUN("get=1\n\nset=1\na=b\n\nnonsense\n", "GS[a=b\n]C");
	CHECK_RUN("get=1\n\n\n", "GC");
	CHECK_RUN("set=1\n\n\n", "S[]C");

	/* A refusal is for good: later bytes are dropped, not read. */
	wg_uapi_conn_init(&c);
	CHECK_EQ(wg_uapi_conn_feed(&c, "bad\n", 4), 0);
	CHECK_EQ(wg_uapi_conn_next(&c, &body, &blen), WG_UAPI_CLOSE);
	CHECK_EQ(wg_uapi_conn_feed(&c, "get=1\n\n", 7), 0);
	CHECK_EQ(c.len, 4);
	CHECK_EQ(wg_uapi_conn_next(&c, &body, &blen), WG_UAPI_CLOSE);
	CHECK_EQ(wg_uapi_conn_next(&c, &body, &blen), WG_UAPI_CLOSE);
	wg_uapi_conn_fini(&c);
}

static void
test_framing_nul(void)
{
	static const char in_body[] = "set=1\na\0b=c\n\n";
	static const char in_partial[] = "set=1\nab\0";
	static const char in_op[] = "ge\0";
	static const char in_get[] = "get=1\n\0";
	static const char after[] = "set=1\na=b\n\nset=1\n\0\n\n";
	static const char in_value[] = "get=1\n\nset=1\nlisten_port=1\0\n\n";
	struct wg_uapi_conn c;
	const char *body;
	size_t blen;

	CHECK_RUN(in_body, "C");
	CHECK_RUN(in_partial, "C");
	CHECK_RUN(in_op, "C");
	CHECK_RUN(in_get, "C");
	CHECK_RUN(after, "S[a=b\n]C");
	CHECK_RUN(in_value, "GC");

	/* Seen in one feed, refused after the next has moved the bytes:
	 * the caller need not drain before feeding again. */
	wg_uapi_conn_init(&c);
	CHECK_EQ(wg_uapi_conn_feed(&c, "get=1\n\nset=1\nab\0", 16), 0);
	CHECK_EQ(wg_uapi_conn_next(&c, &body, &blen), WG_UAPI_GET);
	CHECK_EQ(wg_uapi_conn_feed(&c, "\n\n", 2), 0);
	CHECK_EQ(wg_uapi_conn_next(&c, &body, &blen), WG_UAPI_CLOSE);
	wg_uapi_conn_fini(&c);
}

/* A set request of exactly total bytes, lines of up to line_len. */
static char *
big_set(size_t total, size_t line_len)
{
	char *r = malloc(total + 1);
	size_t pos = 6, n;

	if (r == NULL)
		abort();
	memcpy(r, "set=1\n", 6);
	/* Each line "x=...\n" of n bytes, n >= 3; then the empty line. */
	while (pos < total - 1) {
		n = total - 1 - pos;
		if (n > line_len + 1)
			n = n - (line_len + 1) >= 3 ? line_len + 1 :
			    n - 3;
		memset(r + pos, 'v', n);
		r[pos] = 'x';
		r[pos + 1] = '=';
		r[pos + n - 1] = '\n';
		pos += n;
	}
	r[total - 1] = '\n';
	r[total] = '\0';
	return r;
}

static int
feed_chunks(struct wg_uapi_conn *c, const char *data, size_t n, size_t chunk,
	    unsigned int *sets)
{
	enum wg_uapi_op op;
	const char *body;
	size_t pos, k, blen;
	int rc;

	for (pos = 0; pos < n; pos += k) {
		k = n - pos < chunk ? n - pos : chunk;
		rc = wg_uapi_conn_feed(c, data + pos, k);
		if (rc != 0)
			return rc;
		while ((op = wg_uapi_conn_next(c, &body, &blen)) ==
		       WG_UAPI_SET)
			(*sets)++;
		if (op != WG_UAPI_MORE)
			return 1;
	}
	return 0;
}

static void
test_framing_limits(void)
{
	struct wg_uapi_conn c;
	char *line, *req, *two;
	const char *body;
	size_t blen, n;
	unsigned int sets = 0;

	/* A line of WG_UAPI_MAX_LINE bytes passes, one more does not. */
	line = malloc(WG_UAPI_MAX_LINE + 16);
	CHECK(line != NULL);
	if (line == NULL)
		return;
	memcpy(line, "set=1\n", 6);
	memset(line + 6, 'x', WG_UAPI_MAX_LINE + 1);
	line[6 + WG_UAPI_MAX_LINE] = '\n';
	line[7 + WG_UAPI_MAX_LINE] = '\n';
	wg_uapi_conn_init(&c);
	CHECK_EQ(wg_uapi_conn_feed(&c, line, 8 + WG_UAPI_MAX_LINE), 0);
	CHECK_EQ(wg_uapi_conn_next(&c, &body, &blen), WG_UAPI_SET);
	CHECK_EQ(blen, WG_UAPI_MAX_LINE + 1);
	wg_uapi_conn_fini(&c);

	line[6 + WG_UAPI_MAX_LINE] = 'x';
	line[7 + WG_UAPI_MAX_LINE] = '\n';
	wg_uapi_conn_init(&c);
	CHECK_EQ(wg_uapi_conn_feed(&c, line, 8 + WG_UAPI_MAX_LINE), -E2BIG);
	/* The error stays, and the connection is to be closed. */
	CHECK_EQ(wg_uapi_conn_feed(&c, "\n", 1), -E2BIG);
	CHECK_EQ(wg_uapi_conn_next(&c, &body, &blen), WG_UAPI_CLOSE);
	wg_uapi_conn_fini(&c);

	/* Without its newline yet, and across feeds. */
	wg_uapi_conn_init(&c);
	CHECK_EQ(wg_uapi_conn_feed(&c, line, 6 + WG_UAPI_MAX_LINE), 0);
	CHECK_EQ(wg_uapi_conn_next(&c, &body, &blen), WG_UAPI_MORE);
	CHECK_EQ(wg_uapi_conn_feed(&c, "x", 1), -E2BIG);
	wg_uapi_conn_fini(&c);
	/* The op line is a line too. */
	memset(line, 'g', WG_UAPI_MAX_LINE + 1);
	wg_uapi_conn_init(&c);
	CHECK_EQ(wg_uapi_conn_feed(&c, line, WG_UAPI_MAX_LINE), 0);
	CHECK_EQ(wg_uapi_conn_feed(&c, line, 1), -E2BIG);
	wg_uapi_conn_fini(&c);
	free(line);

	/* A request of WG_UAPI_MAX_REQUEST bytes passes, whole or in
	 * pieces; one byte more does not, wherever the feeds are cut. */
	req = big_set(WG_UAPI_MAX_REQUEST, WG_UAPI_MAX_LINE);
	CHECK_EQ(strlen(req), WG_UAPI_MAX_REQUEST);
	wg_uapi_conn_init(&c);
	CHECK_EQ(wg_uapi_conn_feed(&c, req, WG_UAPI_MAX_REQUEST), 0);
	CHECK_EQ(wg_uapi_conn_next(&c, &body, &blen), WG_UAPI_SET);
	CHECK_EQ(blen, WG_UAPI_MAX_REQUEST - 7);
	wg_uapi_conn_fini(&c);
	wg_uapi_conn_init(&c);
	CHECK_EQ(feed_chunks(&c, req, WG_UAPI_MAX_REQUEST, 65536, &sets), 0);
	CHECK_EQ(sets, 1);
	wg_uapi_conn_fini(&c);
	free(req);

	req = big_set(WG_UAPI_MAX_REQUEST + 1, WG_UAPI_MAX_LINE);
	wg_uapi_conn_init(&c);
	CHECK_EQ(wg_uapi_conn_feed(&c, req, WG_UAPI_MAX_REQUEST + 1), -E2BIG);
	wg_uapi_conn_fini(&c);
	sets = 0;
	wg_uapi_conn_init(&c);
	CHECK_EQ(feed_chunks(&c, req, WG_UAPI_MAX_REQUEST + 1, 65536, &sets),
		 -E2BIG);
	CHECK_EQ(sets, 0);
	wg_uapi_conn_fini(&c);
	/* Cut just before the last byte, the empty line that would end it. */
	wg_uapi_conn_init(&c);
	CHECK_EQ(wg_uapi_conn_feed(&c, req, WG_UAPI_MAX_REQUEST), 0);
	CHECK_EQ(wg_uapi_conn_next(&c, &body, &blen), WG_UAPI_MORE);
	CHECK_EQ(wg_uapi_conn_feed(&c, "\n", 1), -E2BIG);
	wg_uapi_conn_fini(&c);
	free(req);

	/* The limit is per request: two of the largest in one read. */
	req = big_set(WG_UAPI_MAX_REQUEST, 100);
	n = WG_UAPI_MAX_REQUEST;
	two = malloc(2 * n);
	CHECK(two != NULL);
	if (two != NULL) {
		memcpy(two, req, n);
		memcpy(two + n, req, n);
		wg_uapi_conn_init(&c);
		CHECK_EQ(wg_uapi_conn_feed(&c, two, 2 * n), 0);
		CHECK_EQ(wg_uapi_conn_next(&c, &body, &blen), WG_UAPI_SET);
		CHECK_EQ(wg_uapi_conn_next(&c, &body, &blen), WG_UAPI_SET);
		CHECK_EQ(blen, n - 7);
		CHECK_EQ(wg_uapi_conn_next(&c, &body, &blen), WG_UAPI_MORE);
		wg_uapi_conn_fini(&c);
		free(two);
	}
	free(req);
}

/* Bytes fed one at a time cost no more than bytes fed at once: a 1 MiB
 * transaction a byte per feed, drained after each (quadratic work would
 * run into the test's timeout). */
static void
test_framing_linear(void)
{
	size_t n = 1u << 20, i;
	char *req = big_set(n, 60);
	struct wg_uapi_conn c;
	const char *body;
	size_t blen;
	unsigned int sets = 0, mores = 0;
	enum wg_uapi_op op;

	wg_uapi_conn_init(&c);
	for (i = 0; i < n; i++) {
		if (wg_uapi_conn_feed(&c, req + i, 1) != 0)
			break;
		op = wg_uapi_conn_next(&c, &body, &blen);
		sets += op == WG_UAPI_SET;
		mores += op == WG_UAPI_MORE;
	}
	CHECK_EQ(i, n);
	CHECK_EQ(sets, 1);
	CHECK_EQ(mores, n - 1);
	CHECK(c.cap < 2 * n);
	wg_uapi_conn_fini(&c);
	free(req);
}

static void
test_framing_compaction(void)
{
	static const char secret[] = "set=1\nprivate_key=" HEX4A "\n\n";
	struct wg_uapi_conn c;
	const char *body;
	size_t blen, i;
	unsigned int gets = 0, failed = 0;
	char stream[7 * 3];

	/* Drained as it comes, the buffer does not grow. */
	wg_uapi_conn_init(&c);
	for (i = 0; i < 3; i++)
		memcpy(stream + 7 * i, "get=1\n\n", 7);
	for (i = 0; i < 300000; i += 3) {
		failed += wg_uapi_conn_feed(&c, stream + i % sizeof(stream),
					    3) != 0;
		while (wg_uapi_conn_next(&c, &body, &blen) == WG_UAPI_GET)
			gets++;
	}
	CHECK_EQ(failed, 0);
	CHECK_EQ(gets, 300000 / 7);
	CHECK(c.cap <= 4096);
	wg_uapi_conn_fini(&c);

	/* What was handed out is wiped when the buffer is compacted. */
	wg_uapi_conn_init(&c);
	CHECK_EQ(wg_uapi_conn_feed(&c, secret, sizeof(secret) - 1), 0);
	CHECK_EQ(wg_uapi_conn_next(&c, &body, &blen), WG_UAPI_SET);
	CHECK(memmem(c.buf, c.len, HEX4A, 64) != NULL);
	CHECK_EQ(wg_uapi_conn_feed(&c, "g", 1), 0);
	CHECK(memmem(c.buf, c.cap, HEX4A, 64) == NULL);
	CHECK_EQ(c.len, 1);
	CHECK_EQ(c.consumed, 0);
	wg_uapi_conn_fini(&c);
}

/* ---- set=1 ---- */

static struct wg_uapi_set *
ok_parse(int at, const char *body)
{
	struct wg_uapi_set *s = NULL;
	int rc = wg_uapi_set_parse(body, strlen(body), &s, last_err,
				   sizeof(last_err));

	wg_check_count++;
	if (rc != 0 || s == NULL) {
		wg_check_failures++;
		fprintf(stderr, "%s:%d: parse of \"%s\" failed: %d %s\n",
			__FILE__, at, body, rc, last_err);
	}
	return s;
}

#define OK_PARSE(body) ok_parse(__LINE__, (body))

/* The body fails with rc at the line given, counting "set=1" as 1. */
static void
check_fail(int at, const char *body, size_t len, int rc, unsigned int line)
{
	struct wg_uapi_set *s = (struct wg_uapi_set *)&s;
	char want[32];
	int got;

	got = wg_uapi_set_parse(body, len, &s, last_err, sizeof(last_err));
	snprintf(want, sizeof(want), "line %u: ", line);
	wg_check_count++;
	if (got != rc || s != NULL ||
	    strncmp(last_err, want, strlen(want)) != 0 ||
	    strlen(last_err) <= strlen(want)) {
		wg_check_failures++;
		fprintf(stderr, "%s:%d: parse of \"%s\" gave %d \"%s\","
			" expected %d at line %u\n", __FILE__, at, body, got,
			last_err, rc, line);
	}
	if (got == 0)
		wg_uapi_set_free(s);
}

#define CHECK_FAIL(body, rc, line) \
	check_fail(__LINE__, (body), strlen(body), (rc), (line))

static char body_buf[8192];

static const char *
dev_body(const char *key, const char *value)
{
	snprintf(body_buf, sizeof(body_buf), "%s=%s\n", key, value);
	return body_buf;
}

static const char *
peer_body(const char *key, const char *value)
{
	snprintf(body_buf, sizeof(body_buf), "public_key=" HEX25 "\n%s=%s\n",
		 key, value);
	return body_buf;
}

static void
test_set_all_keys(void)
{
	static const char body[] =
		"private_key=" HEX00 "\n"
		"listen_port=51820\n"
		"fwmark=4294967295\n"
		"replace_peers=true\n"
		"public_key=" HEX25 "\n"
		"preshared_key=" HEX4A "\n"
		"endpoint=192.0.2.1:51820\n"
		"persistent_keepalive_interval=25\n"
		"replace_allowed_ips=true\n"
		"allowed_ip=10.0.0.0/8\n"
		"allowed_ip=fd00::1/64\n"
		"protocol_version=1\n"
		"public_key=" HEX6F "\n"
		"update_only=true\n"
		"endpoint=[2001:db8::1]:65535\n"
		"allowed_ip=0.0.0.0/0\n"
		"public_key=" HEX25 "\n"
		"remove=true\n";
	struct wg_uapi_set *s = OK_PARSE(body);
	const struct wg_uapi_peer_set *p;

	if (s == NULL)
		return;
	CHECK(s->has_private_key);
	/* Clamped, as wireguard-go stores it. */
	CHECK(key_is_hex(s->private_key, HEX00_CLAMPED));
	CHECK(s->has_listen_port);
	CHECK_EQ(s->listen_port, 51820);
	CHECK(s->has_fwmark);
	CHECK_EQ(s->fwmark, 4294967295u);
	CHECK(s->replace_peers);
	CHECK_EQ(s->npeers, 3);

	p = &s->peers[0];
	CHECK(key_is_hex(p->public_key, HEX25));
	CHECK(!p->remove && !p->update_only);
	CHECK(p->has_psk && key_is_hex(p->psk, HEX4A));
	CHECK(p->has_endpoint);
	CHECK_STR(ep_str(&p->endpoint), "192.0.2.1:51820");
	CHECK_EQ(p->endpoint.port, htons(51820));
	CHECK(p->has_keepalive);
	CHECK_EQ(p->keepalive, 25);
	CHECK(p->replace_allowed_ips);
	CHECK_EQ(p->nallowed, 2);
	if (p->nallowed == 2) {
		CHECK_STR(pfx_str(&p->allowed_ips[0]), "10.0.0.0/8");
		/* Host bits cleared. */
		CHECK_STR(pfx_str(&p->allowed_ips[1]), "fd00::/64");
	}

	p = &s->peers[1];
	CHECK(key_is_hex(p->public_key, HEX6F));
	CHECK(p->update_only && !p->remove);
	CHECK(!p->has_psk && !p->has_keepalive && !p->replace_allowed_ips);
	CHECK_STR(ep_str(&p->endpoint), "[2001:db8::1]:65535");
	CHECK_EQ(p->nallowed, 1);
	if (p->nallowed == 1)
		CHECK_STR(pfx_str(&p->allowed_ips[0]), "0.0.0.0/0");

	/* The same peer again: a second entry, applied after the first. */
	p = &s->peers[2];
	CHECK(key_is_hex(p->public_key, HEX25));
	CHECK(p->remove);
	wg_uapi_set_free(s);

	/* Nothing at all: nothing to do. */
	s = NULL;
	CHECK_EQ(wg_uapi_set_parse("", 0, &s, NULL, 0), 0);
	CHECK(s != NULL && !s->has_private_key && !s->has_listen_port &&
	      !s->has_fwmark && !s->replace_peers && s->npeers == 0);
	wg_uapi_set_free(s);
	wg_uapi_set_free(NULL);

	/* The last line may lack its newline when called directly. */
	s = OK_PARSE("listen_port=7");
	CHECK(s != NULL && s->has_listen_port && s->listen_port == 7);
	wg_uapi_set_free(s);
}

static void
check_number(int at, const char *key, bool peer, const char *v, int rc,
	     uint32_t want)
{
	const char *body = peer ? peer_body(key, v) : dev_body(key, v);
	struct wg_uapi_set *s = NULL;
	uint32_t got = 0;
	int r;

	r = wg_uapi_set_parse(body, strlen(body), &s, last_err,
			      sizeof(last_err));
	if (r == 0 && !peer)
		got = strcmp(key, "fwmark") == 0 ? s->fwmark : s->listen_port;
	else if (r == 0)
		got = s->peers[0].keepalive;
	wg_check_count++;
	if (r != rc || (r == 0 && got != want)) {
		wg_check_failures++;
		fprintf(stderr, "%s:%d: %s=%s gave %d (%u), expected %d"
			" (%u)\n", __FILE__, at, key, v, r, got, rc, want);
	}
	wg_uapi_set_free(s);
}

#define NUM_OK(key, peer, v, want) \
	check_number(__LINE__, (key), (peer), (v), 0, (want))
#define NUM_BAD(key, peer, v) \
	check_number(__LINE__, (key), (peer), (v), -EINVAL, 0)

static void
test_set_numbers(void)
{
	static const char *const bad[] = {
		"", "-1", "+1", " 1", "1 ", "0x10", "1a", "1.0", "1e3", "one",
		"99999999999999999999999999",
	};
	static const struct {
		const char *key;
		bool peer;
		uint32_t max;
		const char *max_s, *over_s;
	} keys[] = {
		{ "listen_port", false, 65535, "65535", "65536" },
		{ "fwmark", false, 4294967295u, "4294967295", "4294967296" },
		{ "persistent_keepalive_interval", true, 65535, "65535",
		  "65536" },
	};
	unsigned int k, i;

	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		NUM_OK(keys[k].key, keys[k].peer, "0", 0);
		NUM_OK(keys[k].key, keys[k].peer, "1", 1);
		/* strconv.ParseUint takes leading zeros. */
		NUM_OK(keys[k].key, keys[k].peer, "00080", 80);
		NUM_OK(keys[k].key, keys[k].peer, keys[k].max_s, keys[k].max);
		NUM_BAD(keys[k].key, keys[k].peer, keys[k].over_s);
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			NUM_BAD(keys[k].key, keys[k].peer, bad[i]);
	}
}

static void
test_set_flags(void)
{
	static const char *const bad[] = {
		"false", "TRUE", "True", "1", "yes", "", "true ", " true",
		"truee",
	};
	static const struct {
		const char *key;
		bool peer;
	} keys[] = {
		{ "replace_peers", false },
		{ "remove", true },
		{ "update_only", true },
		{ "replace_allowed_ips", true },
	};
	struct wg_uapi_set *s;
	unsigned int k, i;

	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		s = OK_PARSE(keys[k].peer ? peer_body(keys[k].key, "true") :
			     dev_body(keys[k].key, "true"));
		wg_uapi_set_free(s);
		/* wireguard-go takes nothing but "true", not even "false". */
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			CHECK_FAIL(keys[k].peer ?
				   peer_body(keys[k].key, bad[i]) :
				   dev_body(keys[k].key, bad[i]),
				   -EINVAL, keys[k].peer ? 3 : 2);
	}
}

static void
test_set_keys(void)
{
	static const char *const bad[] = {
		"", "0", HEX00 "0", "000102030405060708090a0b0c0d0e0f101112131"
		"415161718191a1b1c1d1e1", "0x" HEX00,
		"g00102030405060708090a0b0c0d0e0f10111213141516171819"
		"1a1b1c1d1e1f", " " HEX00, HEX00 " ",
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
	};
	static const char *const names[] = {
		"private_key", "public_key", "preshared_key",
	};
	struct wg_uapi_set *s;
	unsigned int k, i;

	/* Either case, as Go's hex.DecodeString. */
	s = OK_PARSE("public_key=" HEX6F_UPPER "\npreshared_key=" HEX6F_UPPER
		     "\n");
	if (s != NULL) {
		CHECK(key_is_hex(s->peers[0].public_key, HEX6F));
		CHECK(key_is_hex(s->peers[0].psk, HEX6F));
	}
	wg_uapi_set_free(s);
	s = OK_PARSE("private_key=" HEX6F_UPPER "\n");
	/* 0x6f..0x8e clamped: 0x68 first, 0x4e last. */
	if (s != NULL)
		CHECK(key_is_hex(s->private_key, "68707172737475767778797a7b7c"
				 "7d7e7f808182838485868788898a8b8c8d4e"));
	wg_uapi_set_free(s);

	/* All zero: remove the private key, clear the preshared key. Not
	 * clamped, or it would not read as "none". */
	s = OK_PARSE("private_key=" ZERO64 "\npublic_key=" ZERO64
		     "\npreshared_key=" ZERO64 "\n");
	if (s != NULL) {
		CHECK(s->has_private_key);
		CHECK(key_is_hex(s->private_key, ZERO64));
		CHECK(s->npeers == 1 && s->peers[0].has_psk);
		CHECK(key_is_hex(s->peers[0].psk, ZERO64));
	}
	wg_uapi_set_free(s);

	for (k = 0; k < 3; k++) {
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			if (k == 2)
				CHECK_FAIL(peer_body(names[k], bad[i]),
					   -EINVAL, 3);
			else
				CHECK_FAIL(dev_body(names[k], bad[i]),
					   -EINVAL, 2);
		}
	}
	/* A secret is not repeated in the message. */
	CHECK_FAIL("private_key=" HEX4A "0\n", -EINVAL, 2);
	CHECK(strstr(last_err, HEX4A) == NULL);
	CHECK(strstr(last_err, "private_key") != NULL);
}

static void
check_endpoint(int at, const char *v, const char *want)
{
	struct wg_uapi_set *s = ok_parse(at, peer_body("endpoint", v));
	const char *got;

	if (s == NULL)
		return;
	got = ep_str(&s->peers[0].endpoint);
	wg_check_count++;
	if (!s->peers[0].has_endpoint || got == NULL || strcmp(got, want)) {
		wg_check_failures++;
		fprintf(stderr, "%s:%d: endpoint=%s gave %s, expected %s\n",
			__FILE__, at, v, got ? got : "(null)", want);
	}
	wg_uapi_set_free(s);
}

static void
check_allowed_ip(int at, const char *v, const char *want)
{
	struct wg_uapi_set *s = ok_parse(at, peer_body("allowed_ip", v));
	const char *got;

	if (s == NULL)
		return;
	got = s->peers[0].nallowed == 1 ?
	      pfx_str(&s->peers[0].allowed_ips[0]) : NULL;
	wg_check_count++;
	if (got == NULL || strcmp(got, want) != 0) {
		wg_check_failures++;
		fprintf(stderr, "%s:%d: allowed_ip=%s gave %s, expected %s\n",
			__FILE__, at, v, got ? got : "(null)", want);
	}
	wg_uapi_set_free(s);
}

static void
test_set_addresses(void)
{
	static const char *const bad_ep[] = {
		"", "1.2.3.4", "1.2.3.4:", ":51820", "1.2.3.4:0",
		"1.2.3.4:65536", "1.2.3.4:+5", "1.2.3.4:-5", "1.2.3.4:5x",
		"1.2.3.4: 5", "01.2.3.4:5", "1.2.3:5", "256.1.1.1:5",
		"::1:5", "[1.2.3.4]:5", "[::1]5", "[::1]:", "[::1",
		"host.example:51820", "localhost:51820", "[fe80::1%eth0]:5",
		"[::1]:5 ", " 1.2.3.4:5",
	};
	static const char *const bad_aip[] = {
		"", "10.0.0.1", "10.0.0.0/", "10.0.0.0/33", "::/129",
		"10.0.0.0/08", "::/00", "10.0.0.0/-1", "10.0.0.0/+8",
		"10.0.0/8", "10.0.0.0/8 ", " 10.0.0.0/8", "10.0.0.0/8/8",
		"fe80::1%eth0/64", "/8", "010.0.0.0/8", "10.0.0.0/0x8",
		"host.example/32",
	};
	unsigned int i;

	check_endpoint(__LINE__, "192.0.2.1:1", "192.0.2.1:1");
	check_endpoint(__LINE__, "192.0.2.1:0080", "192.0.2.1:80");
	check_endpoint(__LINE__, "[::1]:51820", "[::1]:51820");
	check_endpoint(__LINE__, "[2001:DB8::A]:5", "[2001:db8::a]:5");
	check_endpoint(__LINE__, "[::ffff:1.2.3.4]:5", "[::ffff:1.2.3.4]:5");
	for (i = 0; i < sizeof(bad_ep) / sizeof(bad_ep[0]); i++)
		CHECK_FAIL(peer_body("endpoint", bad_ep[i]), -EINVAL, 3);

	check_allowed_ip(__LINE__, "10.1.2.3/24", "10.1.2.0/24");
	check_allowed_ip(__LINE__, "10.1.2.3/32", "10.1.2.3/32");
	check_allowed_ip(__LINE__, "10.1.2.3/0", "0.0.0.0/0");
	check_allowed_ip(__LINE__, "::/0", "::/0");
	check_allowed_ip(__LINE__, "fd00::1/128", "fd00::1/128");
	check_allowed_ip(__LINE__, "FD00:1:2:3:4:5:6:7/65", "fd00:1:2:3::/65");
	check_allowed_ip(__LINE__, "::ffff:10.1.2.3/120",
			 "::ffff:10.1.2.0/120");
	for (i = 0; i < sizeof(bad_aip) / sizeof(bad_aip[0]); i++)
		CHECK_FAIL(peer_body("allowed_ip", bad_aip[i]), -EINVAL, 3);
}

static void
test_set_errors(void)
{
	static const char nul[] = "listen_port=1\nfwmark=1\0\n";
	char *longline;
	struct wg_uapi_set *s;

	/* Not even key=value: wireguard-go's IpcErrorProtocol. */
	CHECK_FAIL("listen_port\n", -EPROTO, 2);
	CHECK_FAIL("listen_port=1\n\nfwmark=1\n", -EPROTO, 3);
	/* Unknown keys, including those of get and wrong case. */
	CHECK_FAIL("foo=bar\n", -EINVAL, 2);
	CHECK_FAIL("=1\n", -EINVAL, 2);
	CHECK_FAIL("Listen_port=1\n", -EINVAL, 2);
	CHECK_FAIL("listen_port =1\n", -EINVAL, 2);
	CHECK_FAIL("errno=0\n", -EINVAL, 2);
	CHECK_FAIL("public_key=" HEX25 "\nrx_bytes=0\n", -EINVAL, 3);
	CHECK_FAIL("public_key=" HEX25 "\ntx_bytes=0\n", -EINVAL, 3);
	CHECK_FAIL("public_key=" HEX25 "\nlast_handshake_time_sec=0\n",
		   -EINVAL, 3);
	CHECK_FAIL("public_key=" HEX25 "\nlast_handshake_time_nsec=0\n",
		   -EINVAL, 3);
	CHECK_FAIL("get=1\n", -EINVAL, 2);
	CHECK_FAIL("set=1\n", -EINVAL, 2);
	/* Peer keys need a peer; device keys come before any. */
	CHECK_FAIL("endpoint=1.2.3.4:5\n", -EINVAL, 2);
	CHECK(strstr(last_err, "before any public_key") != NULL);
	CHECK_FAIL("listen_port=1\nallowed_ip=10.0.0.0/8\n", -EINVAL, 3);
	CHECK_FAIL("public_key=" HEX25 "\nlisten_port=1\n", -EINVAL, 3);
	CHECK_FAIL("public_key=" HEX25 "\nprivate_key=" HEX00 "\n", -EINVAL,
		   3);
	CHECK_FAIL("public_key=" HEX25 "\nreplace_peers=true\n", -EINVAL, 3);
	/* protocol_version: -EINVAL, as wireguard-go answers. */
	CHECK_FAIL(peer_body("protocol_version", "2"), -EINVAL, 3);
	CHECK_FAIL(peer_body("protocol_version", "0"), -EINVAL, 3);
	CHECK_FAIL(peer_body("protocol_version", "01"), -EINVAL, 3);
	CHECK_FAIL(peer_body("protocol_version", ""), -EINVAL, 3);
	CHECK_FAIL(peer_body("protocol_version", "1 "), -EINVAL, 3);
	CHECK_FAIL("protocol_version=1\n", -EINVAL, 2);
	/* The line at fault, deep in a transaction with peers to free. */
	CHECK_FAIL("listen_port=1\npublic_key=" HEX25 "\nallowed_ip=10.0.0.0/8"
		   "\nallowed_ip=10.1.0.0/16\npublic_key=" HEX6F "\nallowed_ip="
		   "fd00::/8\nendpoint=1.2.3.4:5\nendpoint=nope\n", -EINVAL, 9);
	CHECK(strstr(last_err, "nope") != NULL);
	/* Bodies handed in directly: a NUL, an overlong line. */
	check_fail(__LINE__, nul, sizeof(nul) - 1, -EINVAL, 3);
	longline = malloc(WG_UAPI_MAX_LINE + 2);
	if (longline != NULL) {
		memset(longline, '1', WG_UAPI_MAX_LINE + 1);
		memcpy(longline, "fwmark=", 7);
		longline[WG_UAPI_MAX_LINE + 1] = '\0';
		CHECK_FAIL(longline, -EINVAL, 2);
		CHECK(strstr(last_err, "too long") != NULL);
		free(longline);
	}
	/* A body handed in directly is held to the request limit. */
	longline = big_set(WG_UAPI_MAX_REQUEST + 8, 60);
	check_fail(__LINE__, longline + 6, WG_UAPI_MAX_REQUEST + 1, -EINVAL,
		   1);
	CHECK(strstr(last_err, "transaction over") != NULL);
	free(longline);
	/* Shown values are cut short and made printable. */
	CHECK_FAIL("listen_port=\x1b[31m" "123456789012345678901234567890123456"
		   "7890123456789\n", -EINVAL, 2);
	CHECK(strchr(last_err, '\x1b') == NULL);
	CHECK(strstr(last_err, "...") != NULL);
	/* No message buffer, or one too small: the result is the same. */
	s = (struct wg_uapi_set *)&s;
	CHECK_EQ(wg_uapi_set_parse("foo=1\n", 6, &s, NULL, 0), -EINVAL);
	CHECK(s == NULL);
	CHECK_EQ(wg_uapi_set_parse("foo=1\n", 6, &s, last_err, 4), -EINVAL);
	CHECK_STR(last_err, "lin");
}

/* What wireguard-go's line-by-line application leaves, as entries. */
static void
test_set_semantics(void)
{
	struct wg_uapi_set *s;
	const struct wg_uapi_peer_set *p;

	/* replace_allowed_ips empties the list: earlier lines too. */
	s = OK_PARSE("public_key=" HEX25 "\nallowed_ip=10.0.0.0/8\n"
		     "replace_allowed_ips=true\nallowed_ip=10.2.0.0/16\n");
	if (s != NULL) {
		p = &s->peers[0];
		CHECK(p->replace_allowed_ips);
		CHECK_EQ(p->nallowed, 1);
		if (p->nallowed == 1)
			CHECK_STR(pfx_str(&p->allowed_ips[0]), "10.2.0.0/16");
	}
	wg_uapi_set_free(s);

	/* remove=true: the peer's other lines, before and after, have no
	 * effect; those after are still checked. */
	s = OK_PARSE("public_key=" HEX25 "\n"
		     "allowed_ip=1.0.0.0/8\n"
		     "preshared_key=" HEX4A "\n"
		     "endpoint=1.2.3.4:5\n"
		     "remove=true\n"
		     "allowed_ip=2.0.0.0/8\n"
		     "persistent_keepalive_interval=5\n"
		     "update_only=true\n"
		     "replace_allowed_ips=true\n"
		     "remove=true\n"
		     "protocol_version=1\n"
		     "public_key=" HEX6F "\n"
		     "allowed_ip=3.0.0.0/8\n");
	if (s != NULL && s->npeers == 2) {
		p = &s->peers[0];
		CHECK(p->remove && key_is_hex(p->public_key, HEX25));
		CHECK(!p->has_psk && !p->has_endpoint && !p->has_keepalive);
		CHECK(!p->update_only && !p->replace_allowed_ips);
		CHECK(p->nallowed == 0 && p->allowed_ips == NULL);
		CHECK(key_is_hex(p->psk, ZERO64));
		/* The next public_key starts a live entry again. */
		p = &s->peers[1];
		CHECK(!p->remove && p->nallowed == 1);
	} else {
		CHECK(s != NULL && s->npeers == 2);
	}
	wg_uapi_set_free(s);
	CHECK_FAIL("public_key=" HEX25 "\nremove=true\nallowed_ip=bad\n",
		   -EINVAL, 4);
	CHECK_FAIL("public_key=" HEX25 "\nremove=true\nprotocol_version=2\n",
		   -EINVAL, 4);
	CHECK_FAIL("public_key=" HEX25 "\nremove=true\nlisten_port=1\n",
		   -EINVAL, 4);

	/* update_only keeps the entry's lines: applied only if the peer
	 * exists by then. The same key twice: two entries, in order. */
	s = OK_PARSE("public_key=" HEX25 "\nallowed_ip=10.0.0.0/8\nupdate_only"
		     "=true\nendpoint=1.2.3.4:5\npublic_key=" HEX6F "\n"
		     "public_key=" HEX25 "\nallowed_ip=10.4.0.0/16\n");
	if (s != NULL && s->npeers == 3) {
		CHECK(s->peers[0].update_only && s->peers[0].has_endpoint);
		CHECK_EQ(s->peers[0].nallowed, 1);
		CHECK(key_is_hex(s->peers[1].public_key, HEX6F));
		CHECK(!s->peers[2].update_only);
		CHECK(key_is_hex(s->peers[2].public_key, HEX25));
		CHECK_EQ(s->peers[2].nallowed, 1);
	} else {
		CHECK(s != NULL && s->npeers == 3);
	}
	wg_uapi_set_free(s);

	/* A value given twice: the last one counts. */
	s = OK_PARSE("listen_port=1\nlisten_port=2\npublic_key=" HEX25
		     "\nendpoint=1.2.3.4:5\nendpoint=[::1]:6\n");
	if (s != NULL) {
		CHECK_EQ(s->listen_port, 2);
		CHECK_STR(ep_str(&s->peers[0].endpoint), "[::1]:6");
	}
	wg_uapi_set_free(s);
}

/* ---- get=1 ---- */

static void
make_prefix(struct wg_conf_prefix *p, const char *s)
{
	if (wg_conf_parse_prefix(s, p) != 0)
		abort();
}

static void
make_endpoint(struct wg_endpoint *ep, const char *s)
{
	if (wg_conf_parse_endpoint(s, ep) != 0)
		abort();
}

/* The snapshot most tests format: two peers, one never handshaked. */
static struct wg_conf_prefix get_aips[2];
static struct wg_uapi_peer_info get_peers[2];

static void
make_info(struct wg_uapi_device_info *info)
{
	memset(info, 0, sizeof(*info));
	memset(get_peers, 0, sizeof(get_peers));
	info->has_private_key = true;
	seq_key(info->private_key, 0);
	info->listen_port = 51820;
	make_prefix(&get_aips[0], "10.0.0.0/8");
	make_prefix(&get_aips[1], "fd00::/64");
	seq_key(get_peers[0].public_key, 0x25);
	get_peers[0].has_psk = true;
	seq_key(get_peers[0].psk, 0x4a);
	get_peers[0].has_endpoint = true;
	make_endpoint(&get_peers[0].endpoint, "192.0.2.1:51820");
	get_peers[0].keepalive = 25;
	get_peers[0].allowed_ips = get_aips;
	get_peers[0].nallowed = 2;
	get_peers[0].last_handshake_sec = 1700000000;
	get_peers[0].last_handshake_nsec = 123456789;
	get_peers[0].rx_bytes = 1000;
	get_peers[0].tx_bytes = 18446744073709551615u;
	seq_key(get_peers[1].public_key, 0x6f);
	get_peers[1].has_endpoint = true;
	make_endpoint(&get_peers[1].endpoint, "[2001:db8::1]:443");
	info->peers = get_peers;
	info->npeers = 2;
}

static char *
format(const struct wg_uapi_device_info *info)
{
	size_t len = 0;
	char *s = wg_uapi_format_get(info, &len);

	CHECK(s != NULL);
	if (s != NULL)
		CHECK_EQ(len, strlen(s));
	return s;
}

static void
test_get_format(void)
{
	/* The order wireguard-go writes, seen on its socket. */
	static const char want[] =
		"private_key=" HEX00 "\n"
		"listen_port=51820\n"
		"public_key=" HEX25 "\n"
		"preshared_key=" HEX4A "\n"
		"protocol_version=1\n"
		"endpoint=192.0.2.1:51820\n"
		"last_handshake_time_sec=1700000000\n"
		"last_handshake_time_nsec=123456789\n"
		"tx_bytes=18446744073709551615\n"
		"rx_bytes=1000\n"
		"persistent_keepalive_interval=25\n"
		"allowed_ip=10.0.0.0/8\n"
		"allowed_ip=fd00::/64\n"
		"public_key=" HEX6F "\n"
		"preshared_key=" ZERO64 "\n"
		"protocol_version=1\n"
		"endpoint=[2001:db8::1]:443\n"
		"last_handshake_time_sec=0\n"
		"last_handshake_time_nsec=0\n"
		"tx_bytes=0\n"
		"rx_bytes=0\n"
		"persistent_keepalive_interval=0\n"
		"errno=0\n"
		"\n";
	struct wg_uapi_device_info info;
	struct wg_uapi_peer_info many[1000];
	struct wg_conf_prefix aips[100];
	char *s, line[64];
	unsigned int i;

	make_info(&info);
	s = format(&info);
	CHECK_STR(s, want);
	free(s);

	/* Device lines left out when zero, fwmark shown when not. */
	memset(&info, 0, sizeof(info));
	s = format(&info);
	CHECK_STR(s, "errno=0\n\n");
	free(s);
	info.has_private_key = true;            /* but all zero */
	info.fwmark = 4294967295u;
	s = format(&info);
	CHECK_STR(s, "fwmark=4294967295\nerrno=0\n\n");
	free(s);

	/* A peer bare of everything, an address of no family: skipped. */
	memset(many, 0, sizeof(many));
	many[0].has_endpoint = true;
	many[0].has_psk = false;
	seq_key(many[0].psk, 1);                /* not has_psk: not shown */
	memset(&aips[0], 0, sizeof(aips[0]));
	many[0].allowed_ips = aips;
	many[0].nallowed = 1;
	/* An endpoint not flagged is not shown either. */
	make_endpoint(&many[1].endpoint, "192.0.2.1:1");
	many[1].keepalive = 1;
	info = (struct wg_uapi_device_info){ .peers = many, .npeers = 2 };
	s = format(&info);
	CHECK_STR(s, "public_key=" ZERO64 "\npreshared_key=" ZERO64 "\n"
		  "protocol_version=1\nlast_handshake_time_sec=0\n"
		  "last_handshake_time_nsec=0\ntx_bytes=0\nrx_bytes=0\n"
		  "persistent_keepalive_interval=0\n"
		  "public_key=" ZERO64 "\npreshared_key=" ZERO64 "\n"
		  "protocol_version=1\nlast_handshake_time_sec=0\n"
		  "last_handshake_time_nsec=0\ntx_bytes=0\nrx_bytes=0\n"
		  "persistent_keepalive_interval=1\nerrno=0\n\n");
	free(s);

	/* Large: the size computed up front holds every line. */
	for (i = 0; i < 100; i++) {
		snprintf(line, sizeof(line), "ffff:ffff:ffff:ffff:ffff:ffff:"
			 "ffff:%x/128", 0xff00 + i);
		make_prefix(&aips[i], line);
	}
	for (i = 0; i < 1000; i++) {
		memset(many[i].public_key, 0xff, 32);
		many[i].has_psk = true;
		memset(many[i].psk, 0xff, 32);
		many[i].has_endpoint = true;
		make_endpoint(&many[i].endpoint, "[ffff:ffff:ffff:ffff:"
			      "ffff:ffff:ffff:ffff]:65535");
		many[i].keepalive = 65535;
		many[i].allowed_ips = aips;
		many[i].nallowed = 100;
		many[i].last_handshake_sec = UINT64_MAX;
		many[i].last_handshake_nsec = UINT64_MAX;
		many[i].rx_bytes = UINT64_MAX;
		many[i].tx_bytes = UINT64_MAX;
	}
	info = (struct wg_uapi_device_info){
		.has_private_key = true, .listen_port = 65535,
		.fwmark = 4294967295u, .peers = many, .npeers = 1000,
	};
	memset(info.private_key, 0xff, sizeof(info.private_key));
	s = format(&info);
	if (s != NULL) {
		CHECK(strlen(s) > 1000 * 100 * 50);
		CHECK_STR(s + strlen(s) - 9, "errno=0\n\n");
		CHECK(strstr(s, "allowed_ip=ffff:ffff:ffff:ffff:ffff:ffff:ffff:"
			     "ff63/128\n") != NULL);
		wg_memzero(s, strlen(s));
	}
	free(s);
}

/* A get answer into a set transaction: the keys set takes, in the order
 * get gave them, parse back to the snapshot. */
static void
test_round_trip(void)
{
	static const char *const get_only[] = {
		"last_handshake_time_sec=", "last_handshake_time_nsec=",
		"tx_bytes=", "rx_bytes=", "errno=",
	};
	struct wg_uapi_device_info info;
	struct text body = { 0 };
	struct wg_uapi_set *s;
	const char *pos, *nl;
	char *out;
	unsigned int i, k;
	bool skip;

	make_info(&info);
	/* Keys as they would be stored: clamped. */
	info.private_key[0] &= 248;
	info.private_key[31] = (info.private_key[31] & 127) | 64;
	info.fwmark = 3;
	out = format(&info);
	if (out == NULL)
		return;
	for (pos = out; (nl = strchr(pos, '\n')) != NULL; pos = nl + 1) {
		skip = nl == pos;
		for (k = 0; k < 5; k++)
			skip = skip || strncmp(pos, get_only[k],
					       strlen(get_only[k])) == 0;
		if (!skip)
			text_add(&body, pos, (size_t)(nl + 1 - pos));
	}
	free(out);
	s = OK_PARSE(text_take(&body));
	free(body.s);
	if (s == NULL)
		return;
	CHECK(s->has_private_key);
	CHECK(memcmp(s->private_key, info.private_key, 32) == 0);
	CHECK(s->has_listen_port && s->listen_port == info.listen_port);
	CHECK(s->has_fwmark && s->fwmark == 3);
	CHECK_EQ(s->npeers, info.npeers);
	for (i = 0; i < s->npeers && i < info.npeers; i++) {
		const struct wg_uapi_peer_set *p = &s->peers[i];
		const struct wg_uapi_peer_info *q = &info.peers[i];
		static const uint8_t zero[32];

		CHECK(memcmp(p->public_key, q->public_key, 32) == 0);
		/* No preshared key goes out as zeros, which clear it. */
		CHECK(p->has_psk);
		CHECK(memcmp(p->psk, q->has_psk ? q->psk : zero, 32) == 0);
		CHECK(p->has_endpoint == q->has_endpoint);
		CHECK(wg_endpoint_equal(&p->endpoint, &q->endpoint));
		CHECK(p->has_keepalive && p->keepalive == q->keepalive);
		CHECK_EQ(p->nallowed, q->nallowed);
		for (k = 0; k < p->nallowed && k < q->nallowed; k++)
			CHECK(memcmp(&p->allowed_ips[k], &q->allowed_ips[k],
				     sizeof(p->allowed_ips[k])) == 0);
		CHECK(!p->remove && !p->update_only &&
		      !p->replace_allowed_ips);
	}
	wg_uapi_set_free(s);
}

static void
test_errno_line(void)
{
	char buf[32];

	CHECK_STR(wg_uapi_errno_line(0, buf, sizeof(buf)), "errno=0\n\n");
	CHECK_STR(wg_uapi_errno_line(-EINVAL, buf, sizeof(buf)),
		  "errno=-22\n\n");
	CHECK_STR(wg_uapi_errno_line(-EPROTO, buf, sizeof(buf)),
		  "errno=-71\n\n");
	CHECK_STR(wg_uapi_errno_line(-EADDRINUSE, buf, sizeof(buf)),
		  "errno=-98\n\n");
	CHECK_STR(wg_uapi_errno_line(-EIO, buf, sizeof(buf)), "errno=-5\n\n");
	/* wg(8) negates what it reads: a positive errno would come out
	 * as a negative one, so it goes out negative. */
	CHECK_STR(wg_uapi_errno_line(ENOMEM, buf, sizeof(buf)),
		  "errno=-12\n\n");
	CHECK_STR(wg_uapi_errno_line(-2147483647 - 1, buf, sizeof(buf)),
		  "errno=-2147483648\n\n");
	CHECK_STR(wg_uapi_errno_line(-22, buf, 12), "errno=-22\n\n");
	CHECK(wg_uapi_errno_line(-22, buf, 11) == NULL);
	CHECK(wg_uapi_errno_line(0, buf, 0) == NULL);
}

/* ---- fuzz ---- */

static uint64_t fuzz_state;

static uint32_t
fuzz_rand(void)
{
	/* xorshift64*: reproducible from the seed printed on failure. */
	fuzz_state ^= fuzz_state >> 12;
	fuzz_state ^= fuzz_state << 25;
	fuzz_state ^= fuzz_state >> 27;
	return (uint32_t)((fuzz_state * 0x2545F4914F6CDD1DULL) >> 32);
}

/* What a parsed set must be, whatever went in. */
static int
check_set(const struct wg_uapi_set *s)
{
	const struct wg_uapi_peer_set *p;
	struct wg_conf_prefix m;
	unsigned int i, k;

	if (s->has_private_key &&
	    !wg_crypto_is_zero(s->private_key, 32) &&
	    ((s->private_key[0] & 7) != 0 ||
	     (s->private_key[31] & 0xc0) != 0x40))
		return -1;
	for (i = 0; i < s->npeers; i++) {
		p = &s->peers[i];
		if (p->remove && (p->has_psk || p->has_endpoint ||
				  p->has_keepalive || p->nallowed != 0 ||
				  p->update_only || p->replace_allowed_ips))
			return -1;
		if (p->has_endpoint && (p->endpoint.port == 0 ||
		    (p->endpoint.family != WG_AF_INET &&
		     p->endpoint.family != WG_AF_INET6)))
			return -1;
		for (k = 0; k < p->nallowed; k++) {
			m = p->allowed_ips[k];
			if ((m.family != WG_AF_INET &&
			     m.family != WG_AF_INET6) ||
			    m.len > (m.family == WG_AF_INET ? 32 : 128) ||
			    wg_conf_prefix_mask(&m))
				return -1;
		}
	}
	return 0;
}

static const char *const fuzz_seeds[] = {
	"get=1\n\n",
	"set=1\nprivate_key=" HEX00 "\nlisten_port=51820\nfwmark=7\n"
	"replace_peers=true\npublic_key=" HEX25 "\npreshared_key=" HEX4A "\n"
	"endpoint=[2001:db8::1]:51820\npersistent_keepalive_interval=25\n"
	"replace_allowed_ips=true\nallowed_ip=10.0.0.0/8\nallowed_ip=fd00::1/64"
	"\nprotocol_version=1\npublic_key=" HEX6F "\nupdate_only=true\n"
	"endpoint=192.0.2.1:1\nallowed_ip=0.0.0.0/0\npublic_key=" HEX25 "\n"
	"remove=true\n\n",
	"set=1\n\n",
	"set=1\npublic_key=" HEX6F "\nallowed_ip=::ffff:10.0.0.0/104\n\n",
};

static const char fuzz_alphabet[] = "\n\n\n===\0:/[].0123456789abcdefx_";

static size_t
mutate(char *buf, size_t len, size_t cap)
{
	size_t at = len != 0 ? fuzz_rand() % len : 0, n;
	char c = fuzz_rand() % 3 == 0 ? (char)fuzz_rand() :
		 fuzz_alphabet[fuzz_rand() % (sizeof(fuzz_alphabet) - 1)];

	switch (fuzz_rand() % 6) {
	case 0:                                 /* replace a byte */
		if (len != 0)
			buf[at] = c;
		return len;
	case 1:                                 /* insert one */
		if (len + 1 > cap)
			return len;
		memmove(buf + at + 1, buf + at, len - at);
		buf[at] = c;
		return len + 1;
	case 2:                                 /* delete a run */
		n = 1 + fuzz_rand() % 8;
		if (at + n > len)
			n = len - at;
		memmove(buf + at, buf + at + n, len - at - n);
		return len - n;
	case 3:                                 /* repeat a run */
		n = 1 + fuzz_rand() % 80;
		if (at + n > len)
			n = len - at;
		if (len + n > cap)
			return len;
		memmove(buf + at + n, buf + at, len - at);
		return len + n;
	case 4:                                 /* cut the end off */
		return at;
	default:                                /* flip a bit */
		if (len != 0)
			buf[at] ^= (char)(1u << (fuzz_rand() % 8));
		return len;
	}
}

/* One input: parsed directly, framed whole and framed in random cuts;
 * the two framings must agree. Returns false if anything misbehaved. */
static bool
fuzz_one(const char *buf, size_t len, unsigned int *sets_ok)
{
	struct wg_uapi_set *s = NULL;
	size_t cuts[16];
	unsigned int n = fuzz_rand() % 16, i;
	char *whole, *cut;
	int bad = 0, rc;
	bool ok;

	rc = wg_uapi_set_parse(buf, len, &s, last_err, sizeof(last_err));
	if (rc == 0)
		bad += check_set(s) != 0;
	else if ((rc != -EINVAL && rc != -EPROTO) || s != NULL ||
		 strncmp(last_err, "line ", 5) != 0)
		bad++;
	wg_uapi_set_free(s);

	for (i = 0; i < n; i++)
		cuts[i] = len != 0 ? fuzz_rand() % (len + 1) : 0;
	/* In order, as a stream is read. */
	for (i = 1; i < n; i++)
		if (cuts[i] < cuts[i - 1])
			cuts[i] = cuts[i - 1];
	whole = run_cuts(buf, len, NULL, 0, true, &bad);
	cut = run_cuts(buf, len, cuts, n, true, &bad);
	ok = bad == 0 && strcmp(whole, cut) == 0;
	*sets_ok += strstr(whole, "]=0") != NULL;
	free(whole);
	free(cut);
	return ok;
}

static void
test_fuzz(void)
{
	const unsigned int iterations = 6000;
	const size_t cap = 8192;
	unsigned int i, m, bad = 0, sets_ok = 0;
	uint64_t seed = 0x0a91f00d;
	const char *env = getenv("WG_UAPI_FUZZ_SEED");
	char *buf = malloc(cap);
	size_t len, n;

	CHECK(buf != NULL);
	if (buf == NULL)
		return;
	if (env != NULL)
		seed = strtoull(env, NULL, 0);
	fuzz_state = seed | 1;
	for (i = 0; i < iterations; i++) {
		len = 0;
		if (i % 10 == 9) {
			/* Noise, sometimes after a valid op line. */
			if (fuzz_rand() % 2)
				len = (size_t)snprintf(buf, cap, "set=1\n");
			for (n = fuzz_rand() % 512; n > 0; n--)
				buf[len++] = (char)fuzz_rand();
		} else {
			for (m = 1 + fuzz_rand() % 3; m > 0; m--) {
				const char *seed_text = fuzz_seeds[fuzz_rand()
					% (sizeof(fuzz_seeds) /
					   sizeof(fuzz_seeds[0]))];

				n = strlen(seed_text);
				memcpy(buf + len, seed_text, n);
				len += n;
			}
			for (m = 1 + fuzz_rand() % 6; m > 0; m--)
				len = mutate(buf, len, cap);
		}
		if (!fuzz_one(buf, len, &sets_ok) && bad++ < 3)
			fprintf(stderr, "fuzz: iteration %u (seed %#llx)"
				" misbehaved on %zu bytes: %.*s\n", i,
				(unsigned long long)seed, len, (int)len, buf);
	}
	free(buf);
	/* How many inputs held a set that parsed: the mix, not a verdict. */
	printf("fuzz: %u iterations, %u with a good set, %u misbehaved\n",
	       iterations, sets_ok, bad);
	CHECK_EQ(bad, 0);
	CHECK(sets_ok > iterations / 20);
}

int
main(void)
{
	if (!wg_crypto_init()) {
		fprintf(stderr, "cannot initialise libsodium\n");
		return 1;
	}
	test_framing_basic();
	test_framing_splits();
	test_framing_bad();
	test_framing_nul();
	test_framing_limits();
	test_framing_linear();
	test_framing_compaction();
	test_set_all_keys();
	test_set_numbers();
	test_set_flags();
	test_set_keys();
	test_set_addresses();
	test_set_errors();
	test_set_semantics();
	test_get_format();
	test_round_trip();
	test_errno_line();
	test_fuzz();
	return wg_check_done("uapi");
}
