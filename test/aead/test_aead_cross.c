/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Randomised cross-checks between the wg_aead backends.
 *
 * libsodium is the reference (test_aead_kat proves it against RFC 8439).
 * Every other backend context - for ipsec_mb, each code path this CPU
 * runs - is paired with it, and for every pair:
 *
 * - every length 0..2048 is sealed twice (two shuffled passes), in
 *   batches whose size walks 1..64 - each size at least once in full -
 *   with keys and counters mixed inside each batch;
 * - both backends seal the same plaintext and must produce the same
 *   ciphertext and tag;
 * - what one sealed the other opens, both ways round;
 * - then again with about a third of each batch forged (tag bit, data
 *   bit, counter or key changed): forgeries must get status -1 and have
 *   their data wiped, while their untampered neighbours in the same batch
 *   still open to the original plaintext, and open() must count exactly
 *   the authentic ones.
 *
 * Data buffers are allocated at their exact length so that a sanitizer
 * build catches any access past them by our code.
 *
 * The run is reproducible: the seed is printed and can be set with
 * WG_AEAD_TEST_SEED.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "aead_test.h"

#define MAX_LEN 2048
#define NB_KEYS 8

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
	uint64_t r;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		r = rng();
		memcpy(p + i, &r, 8);
	}
	if (i < len) {
		r = rng();
		memcpy(p + i, &r, len - i);
	}
}

/* Counters a session really meets, plus any 64-bit value. */
static uint64_t
rng_counter(void)
{
	switch (rng_below(4)) {
	case 0:
		return rng_below(1024);
	case 1:
		return (uint64_t)UINT32_MAX - 2 + rng_below(4);
	case 2:
		return UINT64_MAX - rng_below(4);
	default:
		return rng();
	}
}

/* ---- one batch ------------------------------------------------------ */

enum tamper {
	TAMPER_NONE,
	TAMPER_TAG,     /* flip one bit of the tag */
	TAMPER_DATA,    /* flip one bit of the ciphertext */
	TAMPER_COUNTER, /* open with another counter */
	TAMPER_KEY,     /* open with another key */
	TAMPER_MAX,
};

static const char *const tamper_names[TAMPER_MAX] = {
	"none", "tag bit", "data bit", "counter", "key",
};

struct batch {
	unsigned int n;
	uint8_t keys[NB_KEYS][WG_AEAD_KEY_LEN];
	uint8_t *pt[WG_AEAD_BATCH_MAX];      /* original plaintext */
	uint8_t *a[WG_AEAD_BATCH_MAX];       /* sealed by backend a */
	uint8_t *b[WG_AEAD_BATCH_MAX];       /* sealed by backend b */
	uint8_t tag_a[WG_AEAD_BATCH_MAX][WG_AEAD_TAG_LEN];
	uint8_t tag_b[WG_AEAD_BATCH_MAX][WG_AEAD_TAG_LEN];
	unsigned int key[WG_AEAD_BATCH_MAX];
	uint64_t counter[WG_AEAD_BATCH_MAX];
	uint32_t len[WG_AEAD_BATCH_MAX];
	struct wg_aead_op ops_a[WG_AEAD_BATCH_MAX];
	struct wg_aead_op ops_b[WG_AEAD_BATCH_MAX];
};

static uint8_t *
xmalloc(size_t len)
{
	/* Exact size, so ASan sees any overrun; malloc(0) may be NULL. */
	uint8_t *p = malloc(len != 0 ? len : 1);

	if (p == NULL)
		abort();
	return p;
}

static void
batch_init(struct batch *bt, const uint32_t *lens, unsigned int n)
{
	unsigned int i;

	bt->n = n;
	for (i = 0; i < n; i++) {
		bt->len[i] = lens[i];
		bt->key[i] = rng_below(NB_KEYS);
		bt->counter[i] = rng_counter();
		bt->pt[i] = xmalloc(lens[i]);
		bt->a[i] = xmalloc(lens[i]);
		bt->b[i] = xmalloc(lens[i]);
		rng_fill(bt->pt[i], lens[i]);
	}
}

static void
batch_free(struct batch *bt)
{
	unsigned int i;

	for (i = 0; i < bt->n; i++) {
		free(bt->pt[i]);
		free(bt->a[i]);
		free(bt->b[i]);
	}
}

static void
ops_set(struct wg_aead_op *ops, struct batch *bt, uint8_t **data,
	uint8_t (*tag)[WG_AEAD_TAG_LEN])
{
	unsigned int i;

	for (i = 0; i < bt->n; i++)
		ops[i] = (struct wg_aead_op){
			.key = bt->keys[bt->key[i]],
			.counter = bt->counter[i],
			.data = data[i],
			.len = bt->len[i],
			.tag = tag[i],
			.status = 7, /* must be overwritten */
		};
}

/* Seal the plaintext with both backends; the results must be identical. */
static void
batch_seal_both(struct batch *bt, const struct backend *x,
		const struct backend *y)
{
	unsigned int i;

	for (i = 0; i < bt->n; i++) {
		memcpy(bt->a[i], bt->pt[i], bt->len[i]);
		memcpy(bt->b[i], bt->pt[i], bt->len[i]);
	}
	ops_set(bt->ops_a, bt, bt->a, bt->tag_a);
	ops_set(bt->ops_b, bt, bt->b, bt->tag_b);
	x->drv->seal(x->ctx, bt->ops_a, bt->n);
	y->drv->seal(y->ctx, bt->ops_b, bt->n);

	for (i = 0; i < bt->n; i++) {
		CHECK(bt->ops_a[i].status == 0 && bt->ops_b[i].status == 0,
		      "seal status %s %d %s %d", x->label, bt->ops_a[i].status,
		      y->label, bt->ops_b[i].status);
		CHECK(memcmp(bt->a[i], bt->b[i], bt->len[i]) == 0 &&
		      memcmp(bt->tag_a[i], bt->tag_b[i], WG_AEAD_TAG_LEN) == 0,
		      "%s and %s seal differently: len %u counter %#" PRIx64,
		      x->label, y->label, bt->len[i], bt->counter[i]);
		CHECK(bt->len[i] < 16 ||
		      memcmp(bt->a[i], bt->pt[i], bt->len[i]) != 0,
		      "%s left len %u unencrypted", x->label, bt->len[i]);
	}
}

/* Open what `sealer` produced with `opener`; all must be authentic. */
static void
batch_open_clean(struct batch *bt, struct wg_aead_op *ops,
		 const struct backend *sealer, const struct backend *opener)
{
	unsigned int i, good;

	good = opener->drv->open(opener->ctx, ops, bt->n);
	CHECK(good == bt->n, "%s opened %u of %u sealed by %s",
	      opener->label, good, bt->n, sealer->label);
	for (i = 0; i < bt->n; i++) {
		CHECK(ops[i].status == 0, "%s rejected len %u sealed by %s",
		      opener->label, ops[i].len, sealer->label);
		CHECK(memcmp(ops[i].data, bt->pt[i], bt->len[i]) == 0,
		      "%s wrong plaintext len %u sealed by %s", opener->label,
		      ops[i].len, sealer->label);
	}
}

static enum tamper
tamper_apply(struct batch *bt, struct wg_aead_op *op, unsigned int i)
{
	enum tamper t = (enum tamper)(1 + rng_below(TAMPER_MAX - 1));

	if (t == TAMPER_DATA && op->len == 0)
		t = TAMPER_TAG;
	switch (t) {
	case TAMPER_TAG:
		op->tag[rng_below(WG_AEAD_TAG_LEN)] ^= 1u << rng_below(8);
		break;
	case TAMPER_DATA:
		op->data[rng_below(op->len)] ^= 1u << rng_below(8);
		break;
	case TAMPER_COUNTER:
		op->counter ^= UINT64_C(1) << rng_below(64);
		break;
	case TAMPER_KEY:
		op->key = bt->keys[(bt->key[i] + 1 + rng_below(NB_KEYS - 1)) %
				   NB_KEYS];
		break;
	default:
		break;
	}
	return t;
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

/*
 * Forge about a third of what `sealer` sealed into ops, open with
 * `opener`: exactly the forgeries must fail.
 */
static void
batch_open_forged(struct batch *bt, struct wg_aead_op *ops,
		  const struct backend *sealer, const struct backend *opener,
		  unsigned int *forged)
{
	enum tamper t[WG_AEAD_BATCH_MAX];
	unsigned int i, good, expect = 0;

	for (i = 0; i < bt->n; i++) {
		t[i] = rng_below(3) == 0 ? tamper_apply(bt, &ops[i], i) :
			TAMPER_NONE;
		expect += t[i] == TAMPER_NONE;
	}
	good = opener->drv->open(opener->ctx, ops, bt->n);
	CHECK(good == expect, "%s counted %u authentic, expected %u",
	      opener->label, good, expect);
	for (i = 0; i < bt->n; i++) {
		if (t[i] == TAMPER_NONE) {
			CHECK(ops[i].status == 0 &&
			      memcmp(ops[i].data, bt->pt[i], bt->len[i]) == 0,
			      "%s lost untampered len %u next to forgeries "
			      "(sealed by %s)", opener->label, bt->len[i],
			      sealer->label);
			continue;
		}
		(*forged)++;
		CHECK(ops[i].status == -1,
		      "%s accepted a forgery (%s) len %u sealed by %s",
		      opener->label, tamper_names[t[i]], bt->len[i],
		      sealer->label);
		/* Not required by the API, but both backends promise it. */
		CHECK(all_zero(ops[i].data, bt->len[i]),
		      "%s left unauthenticated plaintext (%s) len %u",
		      opener->label, tamper_names[t[i]], bt->len[i]);
	}
}

/* ---- one pair ------------------------------------------------------- */

static void
shuffle(uint32_t *v, unsigned int n)
{
	unsigned int i, j;
	uint32_t t;

	for (i = n - 1; i > 0; i--) {
		j = rng_below(i + 1);
		t = v[i];
		v[i] = v[j];
		v[j] = t;
	}
}

/*
 * Two passes over the lengths: one pass (2049 ops) is a little short of
 * 1 + 2 + ... + 64 = 2080, so a single one would never run a full batch
 * of 64.
 */
#define NB_PASSES 2
#define NB_LENS (NB_PASSES * (MAX_LEN + 1))

static void
test_pair(const struct backend *x, const struct backend *y)
{
	static uint32_t lens[NB_LENS];
	static struct batch bt;
	unsigned int i, done = 0, size = 1, batches = 0, forged = 0;
	unsigned int full_64 = 0;

	for (i = 0; i < NB_LENS; i++)
		lens[i] = i % (MAX_LEN + 1);
	for (i = 0; i < NB_PASSES; i++)
		shuffle(&lens[i * (MAX_LEN + 1)], MAX_LEN + 1);

	while (done < NB_LENS) {
		unsigned int n = size;

		if (n > NB_LENS - done)
			n = NB_LENS - done;
		full_64 += n == WG_AEAD_BATCH_MAX;
		for (i = 0; i < NB_KEYS; i++)
			rng_fill(bt.keys[i], WG_AEAD_KEY_LEN);
		batch_init(&bt, &lens[done], n);

		/* clean, both ways round */
		batch_seal_both(&bt, x, y);
		batch_open_clean(&bt, bt.ops_a, x, y);
		batch_open_clean(&bt, bt.ops_b, y, x);

		/* forged, both ways round */
		batch_seal_both(&bt, x, y);
		batch_open_forged(&bt, bt.ops_a, x, y, &forged);
		batch_open_forged(&bt, bt.ops_b, y, x, &forged);

		batch_free(&bt);
		done += n;
		batches++;
		size = size % WG_AEAD_BATCH_MAX + 1;
	}
	CHECK(full_64 > 0, "no full batch of %u was run", WG_AEAD_BATCH_MAX);
	printf("checked %s <-> %s: lengths 0..%u x%u in %u batches of 1..%u, "
	       "%u forgeries\n", x->label, y->label, MAX_LEN, NB_PASSES,
	       batches, WG_AEAD_BATCH_MAX, forged);
}

/* An empty batch is legal and touches nothing. */
static void
test_empty(const struct backend *b)
{
	struct wg_aead_op op = { .status = 7 };

	b->drv->seal(b->ctx, &op, 0);
	CHECK(b->drv->open(b->ctx, &op, 0) == 0 && op.status == 7,
	      "%s empty batch", b->label);
}

static uint64_t
seed_get(void)
{
	const char *s = getenv("WG_AEAD_TEST_SEED");

	if (s != NULL && s[0] != '\0')
		return strtoull(s, NULL, 0);
	return UINT64_C(0x5eed0f77a11ed);
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
	/* Keep the log readable if something is badly broken. */
	aead_test_max_logged = 50;
	rng_state = seed;
	printf("seed %#" PRIx64 " (set WG_AEAD_TEST_SEED to change)\n", seed);

	backends_open("sodium"); /* the reference first */
	CHECK(nb_backends >= 1 && strcmp(backends[0].drv->name, "sodium") == 0,
	      "reference backend missing");
	if (nb_backends < 2)
		printf("NOTE: only one backend here, comparing it with "
		       "itself\n");

	for (i = 0; i < nb_backends; i++)
		test_empty(&backends[i]);
	for (i = 1; i < nb_backends; i++)
		test_pair(&backends[0], &backends[i]);
	if (nb_backends == 1)
		test_pair(&backends[0], &backends[0]);
	backends_close();

	snprintf(what, sizeof(what), "test_aead_cross, seed %#" PRIx64, seed);
	return aead_test_done(what);
}
