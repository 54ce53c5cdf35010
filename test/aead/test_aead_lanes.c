/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Tests aimed at multi-lane backends (avx512_mb, avx2_mb), run on every
 * backend context (aead_test.c: for those each code path with the
 * automatic policy and with every op forced into lanes). libsodium is the
 * reference; test_aead_kat proves it against RFC 8439.
 *
 * - lanes: batches of every size 1..64 (so most are not a multiple of the
 *   16 lanes, nor of 8) whose ops all have different lengths around the
 *   64-byte block and 16-byte Poly1305 block boundaries, each with its
 *   own key and a counter at a 2^32 or 2^64 edge, in several orders
 *   (the backend sorts them by length into 16 or 8 lanes);
 * - lane masks: one forgery at every position of batches of awkward
 *   sizes, then every other op forged, then all: exactly the forgeries
 *   fail, with data zeroed, and their neighbours in the same lanes open;
 * - every bit: each bit of the tag and of the data flipped on its own,
 *   for short lengths;
 * - Poly1305 edges: ciphertexts of all-ones bytes (the largest limbs),
 *   and ciphertexts solved for, with an independent mod-p model, so that
 *   the Poly1305 value before adding s is 0..5, p - 1..p - 6, 2^128 - 1,
 *   2^128 or 2^129: the final reduction's rare branch (h >= p), which
 *   random data reaches with probability about 2^-128. The expected tag
 *   comes from the model, and libsodium must agree;
 * - long ops (up to 65535 bytes) in one batch with tiny ones, and 64
 *   identical ops (same key, counter and data): identical output.
 *
 * Data buffers are allocated at their exact length so that a sanitizer
 * build catches any access past them. The seed is printed and can be set
 * with WG_AEAD_TEST_SEED.
 */

#include <endian.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "aead_test.h"

#define NB_BATCH WG_AEAD_BATCH_MAX

/* ---- helpers -------------------------------------------------------- */

/* splitmix64: reproducible test choices, not key material. */
static uint64_t rng_state;

static uint64_t
rng(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint32_t
rng_below(uint32_t n)
{
	return (uint32_t)(rng() % n);
}

static void
rng_fill(uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)rng();
}

static uint8_t *
xmalloc(size_t len)
{
	/* Exact size, so ASan sees any overrun; malloc(0) may be NULL. */
	uint8_t *p = malloc(len != 0 ? len : 1);

	if (p == NULL)
		abort();
	return p;
}

static int
all_zero(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

static void
nonce_of(uint8_t nonce[12], uint64_t counter)
{
	uint64_t le = htole64(counter);

	memset(nonce, 0, 4);
	memcpy(nonce + 4, &le, 8);
}

static void
ref_seal(const uint8_t *key, uint64_t counter, uint8_t *buf, uint32_t len,
	 uint8_t *tag)
{
	uint8_t nonce[12];

	nonce_of(nonce, counter);
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(buf, tag, NULL, buf,
		len, NULL, 0, NULL, nonce, key);
}

/* Lengths around 64-byte and 16-byte boundaries. */
static const uint32_t edge_lens[] = {
	0, 1, 2, 15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64, 65, 79, 80, 95,
	96, 111, 112, 127, 128, 129, 191, 192, 193, 255, 256, 257, 319, 383,
	447, 511, 512, 513, 575, 639, 703, 767, 831, 895, 959, 1023, 1024,
	1025, 1087, 1151, 1279, 1280, 1281, 1407, 1419, 1420, 1421, 1439, 1440,
	1441, 1535, 1536, 1537, 2047, 2048, 2049,
};

#define NB_EDGE_LENS (sizeof(edge_lens) / sizeof(edge_lens[0]))

static const uint64_t edge_counters[] = {
	0, 1, UINT32_MAX - 1, UINT32_MAX, (uint64_t)UINT32_MAX + 1,
	UINT64_MAX - 1, UINT64_MAX, UINT64_C(0x0123456789abcdef),
};

#define NB_EDGE_COUNTERS (sizeof(edge_counters) / sizeof(edge_counters[0]))

/* ---- a batch with a sodium-sealed reference ------------------------- */

struct batch {
	unsigned int n;
	uint8_t key[NB_BATCH][WG_AEAD_KEY_LEN];
	uint8_t *pt[NB_BATCH];
	uint8_t *ref[NB_BATCH];            /* sealed by libsodium */
	uint8_t *buf[NB_BATCH];            /* what the backend works on */
	uint8_t ref_tag[NB_BATCH][WG_AEAD_TAG_LEN];
	uint8_t tag[NB_BATCH][WG_AEAD_TAG_LEN];
	struct wg_aead_op ops[NB_BATCH];
};

static void
batch_init(struct batch *bt, const uint32_t *lens, unsigned int n)
{
	unsigned int i;

	bt->n = n;
	for (i = 0; i < n; i++) {
		uint64_t ctr = edge_counters[rng_below(NB_EDGE_COUNTERS)];

		rng_fill(bt->key[i], WG_AEAD_KEY_LEN);
		bt->pt[i] = xmalloc(lens[i]);
		bt->ref[i] = xmalloc(lens[i]);
		bt->buf[i] = xmalloc(lens[i]);
		rng_fill(bt->pt[i], lens[i]);
		memcpy(bt->ref[i], bt->pt[i], lens[i]);
		ref_seal(bt->key[i], ctr, bt->ref[i], lens[i], bt->ref_tag[i]);
		bt->ops[i] = (struct wg_aead_op){ .key = bt->key[i],
			.counter = ctr, .len = lens[i] };
	}
}

static void
batch_free(struct batch *bt)
{
	unsigned int i;

	for (i = 0; i < bt->n; i++) {
		free(bt->pt[i]);
		free(bt->ref[i]);
		free(bt->buf[i]);
	}
}

/* Reset the ops to seal the plaintext (or open the reference). */
static void
batch_reset(struct batch *bt, int sealed)
{
	unsigned int i;

	for (i = 0; i < bt->n; i++) {
		memcpy(bt->buf[i], sealed ? bt->ref[i] : bt->pt[i],
		       bt->ops[i].len);
		memcpy(bt->tag[i], bt->ref_tag[i], WG_AEAD_TAG_LEN);
		bt->ops[i].data = bt->buf[i];
		bt->ops[i].tag = bt->tag[i];
		bt->ops[i].status = 7;
	}
}

/* Seal must give libsodium's bytes; open must give the plaintext back. */
static void
batch_check(const struct backend *b, struct batch *bt, const char *what)
{
	unsigned int i, good;

	batch_reset(bt, 0);
	memset(bt->tag, 0, sizeof(bt->tag));
	b->drv->seal(b->ctx, bt->ops, bt->n);
	for (i = 0; i < bt->n; i++)
		CHECK(bt->ops[i].status == 0 &&
		      memcmp(bt->buf[i], bt->ref[i], bt->ops[i].len) == 0 &&
		      memcmp(bt->tag[i], bt->ref_tag[i], WG_AEAD_TAG_LEN) == 0,
		      "%s %s: seal of op %u/%u (len %u, counter %#" PRIx64
		      ") differs from libsodium", b->label, what, i, bt->n,
		      bt->ops[i].len, bt->ops[i].counter);
	good = b->drv->open(b->ctx, bt->ops, bt->n);
	CHECK(good == bt->n, "%s %s: opened %u of %u", b->label, what, good,
	      bt->n);
	for (i = 0; i < bt->n; i++)
		CHECK(bt->ops[i].status == 0 &&
		      memcmp(bt->buf[i], bt->pt[i], bt->ops[i].len) == 0,
		      "%s %s: open of op %u/%u (len %u)", b->label, what, i,
		      bt->n, bt->ops[i].len);
}

/* ---- 1. all-different lengths, every batch size --------------------- */

enum order { ORDER_GIVEN, ORDER_UP, ORDER_DOWN, ORDER_ZIGZAG, ORDER_MAX };

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static void
test_lanes(const struct backend *b)
{
	static struct batch bt;
	uint32_t lens[NB_BATCH], tmp[NB_BATCH];
	unsigned int n, i, o, start;
	char what[64];

	for (n = 1; n <= NB_BATCH; n++) {
		for (o = 0; o < ORDER_MAX; o++) {
			/* n consecutive edge lengths (distinct while n <=
			 * NB_EDGE_LENS), from a moving start */
			start = rng_below(NB_EDGE_LENS);
			for (i = 0; i < n; i++)
				lens[i] = edge_lens[(start + i) % NB_EDGE_LENS];
			if (o != ORDER_GIVEN)
				qsort(lens, n, sizeof(lens[0]), cmp_u32);
			if (o == ORDER_DOWN || o == ORDER_ZIGZAG) {
				memcpy(tmp, lens, n * sizeof(lens[0]));
				for (i = 0; i < n; i++)
					lens[i] = o == ORDER_DOWN ?
						tmp[n - 1 - i] :
						tmp[i % 2 ? n - 1 - i / 2 : i / 2];
			}
			batch_init(&bt, lens, n);
			snprintf(what, sizeof(what), "batch of %u, order %u",
				 n, o);
			batch_check(b, &bt, what);
			batch_free(&bt);
		}
	}
}

/* ---- 2. lane masks ---------------------------------------------------- */

static const unsigned int mask_sizes[] = {
	1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 47, 48, 49, 63, 64,
};

/*
 * Open bt with the ops whose bit is set in forge[] tampered (tag or data
 * bit, by turns): exactly those must fail, with their data zeroed.
 */
static void
open_forged(const struct backend *b, struct batch *bt, const uint8_t *forge,
	    const char *what)
{
	unsigned int i, good, expect = 0;

	batch_reset(bt, 1);
	for (i = 0; i < bt->n; i++) {
		struct wg_aead_op *op = &bt->ops[i];

		if (!forge[i]) {
			expect++;
			continue;
		}
		if (op->len != 0 && rng_below(2))
			op->data[rng_below(op->len)] ^= 1u << rng_below(8);
		else
			op->tag[rng_below(WG_AEAD_TAG_LEN)] ^= 1u << rng_below(8);
	}
	good = b->drv->open(b->ctx, bt->ops, bt->n);
	CHECK(good == expect, "%s %s: %u authentic, expected %u", b->label,
	      what, good, expect);
	for (i = 0; i < bt->n; i++) {
		const struct wg_aead_op *op = &bt->ops[i];

		if (forge[i])
			CHECK(op->status == -1 && all_zero(op->data, op->len),
			      "%s %s: forged op %u (len %u) status %d or "
			      "data left", b->label, what, i, op->len,
			      op->status);
		else
			CHECK(op->status == 0 &&
			      memcmp(op->data, bt->pt[i], op->len) == 0,
			      "%s %s: op %u (len %u) next to forgeries",
			      b->label, what, i, op->len);
	}
}

static void
test_lane_masks(const struct backend *b)
{
	static struct batch bt;
	uint32_t lens[NB_BATCH];
	uint8_t forge[NB_BATCH];
	unsigned int s, n, i, j, same;
	char what[64];

	for (s = 0; s < sizeof(mask_sizes) / sizeof(mask_sizes[0]); s++) {
		n = mask_sizes[s];
		/* equal lengths (lanes in lockstep), then mixed */
		for (same = 0; same < 2; same++) {
			for (i = 0; i < n; i++)
				lens[i] = same ? 200 :
					edge_lens[rng_below(NB_EDGE_LENS)];
			batch_init(&bt, lens, n);
			for (j = 0; j < n; j++) {
				memset(forge, 0, sizeof(forge));
				forge[j] = 1;
				snprintf(what, sizeof(what),
					 "batch of %u, op %u forged", n, j);
				open_forged(b, &bt, forge, what);
			}
			for (j = 0; j < 3; j++) {
				for (i = 0; i < n; i++)
					forge[i] = j == 2 ? 1 : (i % 2) == j;
				snprintf(what, sizeof(what),
					 "batch of %u, pattern %u", n, j);
				open_forged(b, &bt, forge, what);
			}
			batch_free(&bt);
		}
	}
}

/* ---- 3. every bit of tag and data ----------------------------------- */

static const uint32_t bit_lens[] = { 0, 1, 15, 16, 17, 63, 64, 65, 129 };

static void
test_every_bit(const struct backend *b)
{
	static uint8_t data[NB_BATCH][129], tag[NB_BATCH][WG_AEAD_TAG_LEN];
	uint8_t key[WG_AEAD_KEY_LEN], pt[129], ct[129], ref_tag[16];
	struct wg_aead_op ops[NB_BATCH];
	unsigned int l, bit, nbits, i, n, good, bad = 0, total = 0;

	for (l = 0; l < sizeof(bit_lens) / sizeof(bit_lens[0]); l++) {
		uint32_t len = bit_lens[l];
		uint64_t ctr = rng();

		rng_fill(key, sizeof(key));
		rng_fill(pt, len);
		memcpy(ct, pt, len);
		ref_seal(key, ctr, ct, len, ref_tag);
		nbits = 8 * (WG_AEAD_TAG_LEN + len);
		for (bit = 0; bit < nbits; bit += n) {
			n = nbits - bit < NB_BATCH ? nbits - bit : NB_BATCH;
			for (i = 0; i < n; i++) {
				unsigned int k = bit + i;

				memcpy(data[i], ct, len);
				memcpy(tag[i], ref_tag, WG_AEAD_TAG_LEN);
				if (k < 8 * WG_AEAD_TAG_LEN)
					tag[i][k / 8] ^= 1u << (k % 8);
				else
					data[i][k / 8 - WG_AEAD_TAG_LEN] ^=
						1u << (k % 8);
				ops[i] = (struct wg_aead_op){ .key = key,
					.counter = ctr, .data = data[i],
					.len = len, .tag = tag[i], .status = 7 };
			}
			good = b->drv->open(b->ctx, ops, n);
			bad += good != 0;
			for (i = 0; i < n; i++)
				bad += ops[i].status != -1 ||
					!all_zero(data[i], len);
			total += n;
		}
	}
	CHECK(bad == 0, "%s: %u of %u single-bit forgeries not rejected "
	      "and wiped", b->label, bad, total);
}

/* ---- 4. Poly1305 edges ------------------------------------------------ */

/*
 * An independent model of arithmetic mod p = 2^130 - 5: little-endian
 * 32-bit limbs, schoolbook products, reduction by folding at bit 130
 * (2^130 = 5 mod p). Slow and simple.
 */
#define NL 10 /* 320 bits: room for a product of two numbers < 2^160 */

struct big {
	uint32_t l[NL];
};

static void
big_set_bytes(struct big *x, const uint8_t *b, size_t len)
{
	size_t i;

	memset(x, 0, sizeof(*x));
	for (i = 0; i < len; i++)
		x->l[i / 4] |= (uint32_t)b[i] << (8 * (i % 4));
}

static void
big_get_bytes16(const struct big *x, uint8_t b[16])
{
	unsigned int i;

	for (i = 0; i < 16; i++)
		b[i] = (uint8_t)(x->l[i / 4] >> (8 * (i % 4)));
}

static void
big_set_pow2(struct big *x, unsigned int k)
{
	memset(x, 0, sizeof(*x));
	x->l[k / 32] = 1u << (k % 32);
}

static int
big_cmp(const struct big *a, const struct big *b)
{
	int i;

	for (i = NL - 1; i >= 0; i--)
		if (a->l[i] != b->l[i])
			return a->l[i] < b->l[i] ? -1 : 1;
	return 0;
}

static void
big_add(struct big *r, const struct big *a, const struct big *b)
{
	uint64_t c = 0;
	int i;

	for (i = 0; i < NL; i++) {
		c += (uint64_t)a->l[i] + b->l[i];
		r->l[i] = (uint32_t)c;
		c >>= 32;
	}
}

/* r = a - b, a >= b */
static void
big_sub(struct big *r, const struct big *a, const struct big *b)
{
	int64_t c = 0;
	int i;

	for (i = 0; i < NL; i++) {
		c += (int64_t)a->l[i] - b->l[i];
		r->l[i] = (uint32_t)c;
		c = c < 0 ? -1 : 0;
	}
}

static void
big_p(struct big *p)
{
	struct big five = { { 5 } };

	big_set_pow2(p, 130);
	big_sub(p, p, &five);
}

/* x mod p */
static void
big_modp(struct big *x)
{
	struct big lo, hi, p;
	int i;

	for (;;) {
		/* hi = x >> 130, lo = x mod 2^130 */
		memset(&hi, 0, sizeof(hi));
		for (i = 0; i + 4 < NL; i++)
			hi.l[i] = (x->l[i + 4] >> 2) |
				(i + 5 < NL ? x->l[i + 5] << 30 : 0);
		lo = *x;
		lo.l[4] &= 3;
		for (i = 5; i < NL; i++)
			lo.l[i] = 0;
		if (hi.l[0] == 0 && big_cmp(&hi, &(struct big){ { 0 } }) == 0)
			break;
		/* x = lo + 5 hi */
		*x = lo;
		for (i = 0; i < 5; i++)
			big_add(x, x, &hi);
	}
	big_p(&p);
	if (big_cmp(x, &p) >= 0)
		big_sub(x, x, &p);
}

/* r = a b mod p, a and b < 2^160 */
static void
big_mulmod(struct big *r, const struct big *a, const struct big *b)
{
	uint64_t acc[NL + 1] = { 0 };
	struct big t;
	int i, j;

	for (i = 0; i < NL / 2; i++)
		for (j = 0; j < NL / 2; j++) {
			uint64_t m = (uint64_t)a->l[i] * b->l[j];

			acc[i + j] += (uint32_t)m;
			acc[i + j + 1] += m >> 32;
		}
	for (i = 0; i < NL; i++) {
		acc[i + 1] += acc[i] >> 32;
		t.l[i] = (uint32_t)acc[i];
	}
	big_modp(&t);
	*r = t;
}

/* r = a^(p - 2) = 1/a mod p */
static void
big_inv(struct big *r, const struct big *a)
{
	struct big e, x = *a, y = { { 1 } };
	struct big two = { { 2 } };
	int i;

	big_p(&e);
	big_sub(&e, &e, &two);
	for (i = 0; i < 130; i++) {
		if (e.l[i / 32] >> (i % 32) & 1)
			big_mulmod(&y, &y, &x);
		big_mulmod(&x, &x, &x);
	}
	*r = y;
}

/* A 16-byte Poly1305 block as a number, with its 2^128 bit. */
static void
big_block(struct big *x, const uint8_t b[16])
{
	struct big hib;

	big_set_bytes(x, b, 16);
	big_set_pow2(&hib, 128);
	big_add(x, x, &hib);
}

/* r and s of a key and counter: ChaCha20 block 0, r clamped. */
static void
poly_key(const uint8_t *key, uint64_t counter, struct big *r, uint8_t s[16])
{
	uint8_t nonce[12], block0[32];

	nonce_of(nonce, counter);
	crypto_stream_chacha20_ietf(block0, sizeof(block0), nonce, key);
	block0[3] &= 15;
	block0[7] &= 15;
	block0[11] &= 15;
	block0[15] &= 15;
	block0[4] &= 252;
	block0[8] &= 252;
	block0[12] &= 252;
	big_set_bytes(r, block0, 16);
	memcpy(s, block0 + 16, 16);
}

/*
 * A ciphertext of k full blocks whose Poly1305 value (before s) is t:
 * with the length block L, h = sum_i c_i r^(k + 2 - i) + L r, so the last
 * block is solved for as c_k = (t - rest) / r^2 - 2^128, and must fit in
 * 128 bits (a 1 in 4 chance): try keys until it does.
 */
static int
craft(const struct big *t, unsigned int k, uint8_t *key, uint64_t *counter,
      uint8_t *ct, uint8_t tag[16])
{
	struct big r, rp, h, x, hib, tt, p, sb;
	uint8_t s[16], lenb[16] = { 0 };
	uint64_t le = htole64((uint64_t)16 * k);
	unsigned int try, i;

	big_p(&p);
	memcpy(lenb + 8, &le, 8);
	for (try = 0; try < 200; try++) {
		rng_fill(key, WG_AEAD_KEY_LEN);
		*counter = rng();
		poly_key(key, *counter, &r, s);
		rng_fill(ct, 16 * k);
		/* rest = sum_{i < k} c_i r^(k + 2 - i) + L r, by Horner */
		memset(&h, 0, sizeof(h));
		for (i = 0; i + 1 < k; i++) {
			big_block(&x, ct + 16 * i);
			big_add(&h, &h, &x);
			big_mulmod(&h, &h, &r);
		}
		big_mulmod(&h, &h, &r); /* the slot of c_k: times r ... */
		big_mulmod(&h, &h, &r); /* ... and of L */
		big_block(&x, lenb);
		big_mulmod(&x, &x, &r);
		big_add(&h, &h, &x);
		big_modp(&h);
		/* c_k + 2^128 = (t - rest) / r^2 */
		tt = *t;
		big_modp(&tt);
		big_add(&tt, &tt, &p);
		big_sub(&tt, &tt, &h);
		big_modp(&tt);
		big_mulmod(&rp, &r, &r);
		big_inv(&rp, &rp);
		big_mulmod(&x, &tt, &rp);
		big_set_pow2(&hib, 128);
		big_add(&x, &x, &p);
		big_sub(&x, &x, &hib);
		big_modp(&x);
		if (big_cmp(&x, &hib) >= 0)
			continue;
		big_get_bytes16(&x, ct + 16 * (k - 1));
		/* tag = (t mod p) + s mod 2^128 */
		tt = *t;
		big_modp(&tt);
		big_set_bytes(&sb, s, 16);
		big_add(&tt, &tt, &sb);
		big_get_bytes16(&tt, tag);
		return 0;
	}
	return -1;
}

/*
 * Open ct with tag through the backend, and seal the plaintext libsodium
 * recovers: both must agree with the model.
 */
static void
poly_case(const struct backend *b, const uint8_t *key, uint64_t counter,
	  const uint8_t *ct, uint32_t len, const uint8_t tag[16],
	  const char *what)
{
	uint8_t nonce[12], *pt = xmalloc(len), *buf = xmalloc(len);
	uint8_t t[16], ref_tag[16];
	struct wg_aead_op op;
	unsigned int good;

	nonce_of(nonce, counter);
	/* libsodium, through the AEAD: its tag must be the model's */
	memcpy(pt, ct, len);
	crypto_stream_chacha20_ietf_xor_ic(pt, pt, len, nonce, 1, key);
	memcpy(buf, pt, len);
	ref_seal(key, counter, buf, len, ref_tag);
	CHECK(memcmp(buf, ct, len) == 0 && memcmp(ref_tag, tag, 16) == 0,
	      "libsodium disagrees with the Poly1305 model (%s)", what);

	memcpy(buf, ct, len);
	memcpy(t, tag, 16);
	op = (struct wg_aead_op){ .key = key, .counter = counter, .data = buf,
		.len = len, .tag = t, .status = 7 };
	good = b->drv->open(b->ctx, &op, 1);
	CHECK(good == 1 && op.status == 0 && memcmp(buf, pt, len) == 0,
	      "%s: open (%s, len %u)", b->label, what, len);
	memset(t, 0, 16);
	op.status = 7;
	b->drv->seal(b->ctx, &op, 1);
	CHECK(op.status == 0 && memcmp(buf, ct, len) == 0 &&
	      memcmp(t, tag, 16) == 0, "%s: seal (%s, len %u)", b->label,
	      what, len);
	free(pt);
	free(buf);
}

static void
test_poly_edges(const struct backend *b)
{
	struct big targets[24], p, one = { { 1 } };
	unsigned int nt = 0, i, k;
	uint8_t key[WG_AEAD_KEY_LEN], tag[16], *ct;
	uint64_t counter;
	char what[64];

	/* all-ones ciphertexts: the largest limbs, tag from libsodium */
	for (k = 1; k <= 100; k++) {
		uint32_t len = k <= 64 ? 16 * k : rng_below(2049);
		uint8_t nonce[12], pt[2048];

		ct = xmalloc(len);
		memset(ct, 0xff, len);
		rng_fill(key, sizeof(key));
		counter = rng();
		nonce_of(nonce, counter);
		/* the plaintext that seals to all ones, and its tag */
		memcpy(pt, ct, len);
		crypto_stream_chacha20_ietf_xor_ic(pt, pt, len, nonce, 1, key);
		ref_seal(key, counter, pt, len, tag);
		poly_case(b, key, counter, ct, len, tag, "all-ones");
		free(ct);
	}

	/* values where the final reduction and the + s carry are decided */
	big_p(&p);
	for (i = 0; i <= 5; i++)
		targets[nt++] = (struct big){ { i } };
	for (i = 1; i <= 6; i++) {
		struct big d = { { i } };

		big_sub(&targets[nt++], &p, &d);
	}
	big_set_pow2(&targets[nt], 128);
	big_sub(&targets[nt], &targets[nt], &one);
	nt++;
	big_set_pow2(&targets[nt++], 128);
	big_set_pow2(&targets[nt++], 129);
	big_set_pow2(&targets[nt], 129);
	big_sub(&targets[nt], &targets[nt], &one);
	nt++;

	for (i = 0; i < nt; i++) {
		for (k = 1; k <= 6; k++) {
			ct = xmalloc(16 * k);
			snprintf(what, sizeof(what), "Poly1305 value #%u, %u "
				 "blocks", i, k);
			CHECK(craft(&targets[i], k, key, &counter, ct, tag) == 0,
			      "could not craft %s", what);
			poly_case(b, key, counter, ct, 16 * k, tag, what);
			free(ct);
		}
	}
}

/* ---- 5. long and identical ------------------------------------------ */

static void
test_long_and_same(const struct backend *b)
{
	static const uint32_t mix[] = { 65535, 9000, 0, 1, 64, 4096, 65534,
		16, 1420, 2, 65472, 63 };
	static struct batch bt;
	uint32_t lens[NB_BATCH];
	unsigned int i;

	/* long ones among many short ones */
	for (i = 0; i < 40; i++)
		lens[i] = i < sizeof(mix) / sizeof(mix[0]) ? mix[i] :
			rng_below(200);
	batch_init(&bt, lens, 40);
	batch_check(b, &bt, "long and short");
	batch_free(&bt);

	/* 64 identical ops: every lane must produce the same bytes */
	for (i = 0; i < NB_BATCH; i++)
		lens[i] = 333;
	batch_init(&bt, lens, NB_BATCH);
	for (i = 1; i < NB_BATCH; i++) {
		memcpy(bt.key[i], bt.key[0], WG_AEAD_KEY_LEN);
		memcpy(bt.pt[i], bt.pt[0], 333);
		memcpy(bt.ref[i], bt.ref[0], 333);
		memcpy(bt.ref_tag[i], bt.ref_tag[0], WG_AEAD_TAG_LEN);
		bt.ops[i].counter = bt.ops[0].counter;
	}
	batch_check(b, &bt, "64 identical ops");
	batch_free(&bt);
}

static uint64_t
seed_get(void)
{
	const char *s = getenv("WG_AEAD_TEST_SEED");

	if (s != NULL && s[0] != '\0')
		return strtoull(s, NULL, 0);
	return UINT64_C(0x1a9e5eed);
}

int
main(void)
{
	uint64_t seed = seed_get();
	char what[64];
	unsigned int i;

	if (sodium_init() < 0) {
		printf("FAIL: sodium_init\n");
		return 1;
	}
	aead_test_max_logged = 50;
	rng_state = seed;
	printf("seed %#" PRIx64 " (set WG_AEAD_TEST_SEED to change)\n", seed);

	backends_open("sodium");
	CHECK(nb_backends >= 1, "no backend can run");
	for (i = 0; i < nb_backends; i++) {
		test_lanes(&backends[i]);
		test_lane_masks(&backends[i]);
		test_every_bit(&backends[i]);
		test_poly_edges(&backends[i]);
		test_long_and_same(&backends[i]);
		printf("checked %s\n", backends[i].label);
	}
	backends_close();

	snprintf(what, sizeof(what), "test_aead_lanes, seed %#" PRIx64, seed);
	return aead_test_done(what);
}
