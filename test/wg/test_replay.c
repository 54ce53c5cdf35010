/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The replay window (wg_replay.h) against a reference model: a set of the
 * counters accepted so far and the documented semantics (a counter is
 * judged while next - counter <= r->window, next being one past the
 * highest accepted), for random streams with reordering, duplicates and
 * jumps, at windows of 64, 8192 (the default) and 1,048,576 counters.
 *
 * The property that matters most: a counter accepted once is never
 * accepted again, whatever the window. Concurrent checks of one window:
 * test_replay_mt.c.
 */
#include <time.h>

#include "wg_test.h"
#include "wg_replay.h"

#define BLOCK WG_REPLAY_BLOCK

/* ---- a deterministic PRNG (xorshift64*), seed printed ---- */
static uint64_t rng_state;

static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static uint64_t
rng_below(uint64_t n)
{
	return n == 0 ? 0 : rng() % n;
}

/* ---- the reference model: a hash set of accepted counters ---- */
struct model {
	uint64_t *slots;      /* counter + 1; 0 = empty */
	uint64_t mask;
	uint64_t count;
	uint64_t next;        /* one past the highest accepted */
	uint64_t window;
};

static void
model_init(struct model *m, uint64_t window, uint64_t capacity)
{
	uint64_t cap = 1024;

	while (cap < capacity * 2)
		cap <<= 1;
	m->slots = calloc(cap, sizeof(*m->slots));
	if (m->slots == NULL)
		abort();
	m->mask = cap - 1;
	m->count = 0;
	m->next = 0;
	m->window = window;
}

static void
model_free(struct model *m)
{
	free(m->slots);
}

static uint64_t
model_hash(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

/* Insert counter; returns false if it was already there. */
static bool
model_insert(struct model *m, uint64_t counter)
{
	uint64_t i = model_hash(counter) & m->mask;

	for (;; i = (i + 1) & m->mask) {
		if (m->slots[i] == counter + 1)
			return false;
		if (m->slots[i] == 0)
			break;
	}
	if ((m->count + 1) * 4 > (m->mask + 1) * 3)
		abort();   /* size the model for the test */
	m->slots[i] = counter + 1;
	m->count++;
	return true;
}

static bool
model_contains(const struct model *m, uint64_t counter)
{
	uint64_t i = model_hash(counter) & m->mask;

	for (;; i = (i + 1) & m->mask) {
		if (m->slots[i] == counter + 1)
			return true;
		if (m->slots[i] == 0)
			return false;
	}
}

/* What the window must say, and the model's update on acceptance. */
static enum wg_replay_verdict
model_check(struct model *m, uint64_t counter)
{
	if (counter >= WG_REJECT_AFTER_MESSAGES)
		return WG_REPLAY_LIMIT;
	if (counter >= m->next) {
		m->next = counter + 1;
		model_insert(m, counter);
		return WG_REPLAY_OK;
	}
	if (m->next - counter > m->window)
		return WG_REPLAY_TOO_OLD;
	if (model_contains(m, counter))
		return WG_REPLAY_DUPLICATE;
	model_insert(m, counter);
	return WG_REPLAY_OK;
}

static struct wg_replay *
replay_new(uint32_t window)
{
	size_t size = wg_replay_size(window);
	struct wg_replay *r;

	if (size == 0)
		return NULL;
	r = malloc(size);
	if (r == NULL)
		abort();
	/* Garbage, to show init clears what it must. */
	memset(r, 0xa5, size);
	wg_replay_init(r, window);
	return r;
}

static const char *
verdict_name(enum wg_replay_verdict v)
{
	switch (v) {
	case WG_REPLAY_OK: return "OK";
	case WG_REPLAY_DUPLICATE: return "DUPLICATE";
	case WG_REPLAY_TOO_OLD: return "TOO_OLD";
	case WG_REPLAY_LIMIT: return "LIMIT";
	}
	return "?";
}

/* Stats of one differential run, so failures report once, not per
 * counter. */
struct diff_stats {
	uint64_t checks;
	uint64_t false_accepts;    /* OK for a counter accepted before */
	uint64_t mismatches;       /* any verdict != model's */
	uint64_t ok, dup, too_old, limit;
};

static void
diff_one(struct wg_replay *r, struct model *m, struct diff_stats *st,
	 uint64_t counter)
{
	bool seen = model_contains(m, counter);
	enum wg_replay_verdict want = model_check(m, counter);
	enum wg_replay_verdict got = wg_replay_check(r, counter);

	st->checks++;
	if (got == WG_REPLAY_OK && seen) {
		if (st->false_accepts++ < 5)
			fprintf(stderr, "  FALSE ACCEPT of counter %llu "
				"(window %u, next %llu)\n",
				(unsigned long long)counter, r->window,
				(unsigned long long)m->next);
	}
	if (got != want) {
		if (st->mismatches++ < 5)
			fprintf(stderr, "  counter %llu: got %s, model %s "
				"(window %u, model next %llu)\n",
				(unsigned long long)counter,
				verdict_name(got), verdict_name(want),
				r->window, (unsigned long long)m->next);
		/* Keep the model in step with what the window did, so one
		 * disagreement is not reported a million times. */
		if (got == WG_REPLAY_OK && want != WG_REPLAY_OK) {
			model_insert(m, counter);
			if (counter >= m->next)
				m->next = counter + 1;
		}
	}
	switch (got) {
	case WG_REPLAY_OK: st->ok++; break;
	case WG_REPLAY_DUPLICATE: st->dup++; break;
	case WG_REPLAY_TOO_OLD: st->too_old++; break;
	case WG_REPLAY_LIMIT: st->limit++; break;
	}
}

/*
 * A stream of n counters from base, reordered by displacements of up to
 * `reorder`, with a fraction of duplicates delivered up to `dup_delay`
 * positions later, and now and then a jump of up to `jump`.
 */
static void
run_stream(uint32_t window, uint64_t n, uint64_t reorder, uint64_t dup_delay,
	   unsigned int dup_permille, uint64_t jump, const char *what)
{
	struct wg_replay *r = replay_new(window);
	struct model m;
	struct diff_stats st = {0};
	uint64_t *seq, *out, i, len = 0, base = 0;

	CHECK(r != NULL);
	if (r == NULL)
		return;
	CHECK(r->window >= window);
	/* Build the in-order stream with jumps. */
	seq = malloc(n * sizeof(*seq));
	out = malloc(2 * n * sizeof(*out));
	if (seq == NULL || out == NULL)
		abort();
	for (i = 0; i < n; i++) {
		if (jump != 0 && rng_below(10000) == 0)
			base += rng_below(jump);
		seq[i] = base + i;
	}
	/* Reorder: swap each with one up to `reorder` ahead. */
	if (reorder != 0) {
		for (i = 0; i < n; i++) {
			uint64_t j = i + rng_below(reorder + 1);

			if (j < n) {
				uint64_t t = seq[i];

				seq[i] = seq[j];
				seq[j] = t;
			}
		}
	}
	/* Duplicates: re-deliver a counter dup_delay-ish positions later
	 * (or at once). */
	for (i = 0; i < n; i++) {
		out[len++] = seq[i];
		if (rng_below(1000) < dup_permille) {
			uint64_t back = rng_below(dup_delay + 1);

			out[len++] = seq[i >= back ? i - back : 0];
		}
	}
	model_init(&m, r->window, n + 16);
	for (i = 0; i < len; i++)
		diff_one(r, &m, &st, out[i]);
	printf("  %-28s window %7u (%7u): %9llu checks, %8llu ok, "
	       "%7llu dup, %7llu too old\n", what, window, r->window,
	       (unsigned long long)st.checks, (unsigned long long)st.ok,
	       (unsigned long long)st.dup, (unsigned long long)st.too_old);
	CHECK_EQ(st.false_accepts, 0);
	CHECK_EQ(st.mismatches, 0);
	CHECK_EQ(st.limit, 0);
	/* The run exercised what it meant to. */
	CHECK(st.ok > 0);
	if (dup_permille != 0)
		CHECK(st.dup > 0);
	model_free(&m);
	free(seq);
	free(out);
	free(r);
}

/* Counters drawn at random around a moving top: old, recent, new and far
 * ahead, many repeated. */
static void
run_random(uint32_t window, uint64_t n)
{
	struct wg_replay *r = replay_new(window);
	struct model m;
	struct diff_stats st = {0};
	uint64_t i, top = 0;

	if (r == NULL) {
		CHECK(r != NULL);
		return;
	}
	model_init(&m, r->window, n + 16);
	for (i = 0; i < n; i++) {
		uint64_t c, k = rng_below(100), w = r->window;

		if (k < 40)        /* near the edge of the window */
			c = top >= w + 64 ? top - w - 64 + rng_below(192) :
			    rng_below(top + 64);
		else if (k < 70)   /* inside the window */
			c = top >= w ? top - rng_below(w) : rng_below(top + 1);
		else if (k < 95)   /* slightly ahead */
			c = top + rng_below(3 * 64);
		else if (k < 99)   /* far ahead, more than the ring */
			c = top + rng_below(4 * (uint64_t)w + 256);
		else               /* far behind */
			c = rng_below(top + 1);
		if (c > top)
			top = c;
		diff_one(r, &m, &st, c);
	}
	printf("  %-28s window %7u (%7u): %9llu checks, %8llu ok, "
	       "%7llu dup, %7llu too old\n", "random around the top", window,
	       r->window, (unsigned long long)st.checks,
	       (unsigned long long)st.ok, (unsigned long long)st.dup,
	       (unsigned long long)st.too_old);
	CHECK_EQ(st.false_accepts, 0);
	CHECK_EQ(st.mismatches, 0);
	CHECK(st.ok > 0 && st.dup > 0 && st.too_old > 0);
	model_free(&m);
	free(r);
}

/* Exact edges of the window, after any amount of sliding. */
static void
test_edges(uint32_t window)
{
	struct wg_replay *r = replay_new(window);
	uint64_t w, top;
	int shift;

	if (r == NULL) {
		CHECK(r != NULL);
		return;
	}
	w = r->window;
	/* The window asked for, never less than 64; the ring holds it and
	 * the block partly in the future. */
	CHECK_EQ(w, window < 64 ? 64 : window);
	CHECK((uint64_t)(r->nslots - 1) * BLOCK >= w);

	/* Counter 0 first; then again. */
	CHECK_EQ(wg_replay_check(r, 0), WG_REPLAY_OK);
	CHECK_EQ(wg_replay_check(r, 0), WG_REPLAY_DUPLICATE);
	CHECK_EQ(atomic_load(&r->head), 1);      /* block 0 */
	CHECK_EQ(wg_replay_check(r, 1), WG_REPLAY_OK);

	/* A top at every place in a block (the window's edge then falls
	 * everywhere in one too); a few at the largest window. */
	for (shift = 0; shift < (w <= 8192 ? 2 * BLOCK + 4 : 4); shift++) {
		static const uint64_t offs[] = { 0, 1, 31, 63 };

		wg_replay_init(r, window);
		top = 10 * w + (shift < 4 ? offs[shift] : (uint64_t)shift);
		CHECK_EQ(wg_replay_check(r, top), WG_REPLAY_OK);
		/* next - c == w: the oldest counter still judged. */
		CHECK_EQ(wg_replay_check(r, top + 1 - w), WG_REPLAY_OK);
		CHECK_EQ(wg_replay_check(r, top + 1 - w),
			 WG_REPLAY_DUPLICATE);
		/* One more is left of the window. */
		CHECK_EQ(wg_replay_check(r, top - w), WG_REPLAY_TOO_OLD);
		CHECK_EQ(wg_replay_check(r, top - w - 1), WG_REPLAY_TOO_OLD);
		CHECK_EQ(wg_replay_check(r, 0), WG_REPLAY_TOO_OLD);
		/* Every counter inside the window is new, and then not. */
		{
			uint64_t c, bad_new = 0, bad_dup = 0;

			for (c = top + 2 - w; c < top; c++)
				if (wg_replay_check(r, c) != WG_REPLAY_OK)
					bad_new++;
			for (c = top + 1 - w; c <= top; c++)
				if (wg_replay_check(r, c) !=
				    WG_REPLAY_DUPLICATE)
					bad_dup++;
			CHECK_EQ(bad_new, 0);
			CHECK_EQ(bad_dup, 0);
		}
		/* Advance by one word: the oldest word leaves the window. */
		CHECK_EQ(wg_replay_check(r, top + 64), WG_REPLAY_OK);
		CHECK_EQ(wg_replay_check(r, top + 1 - w), WG_REPLAY_TOO_OLD);
		/* The new oldest counter: seen before unless the window is
		 * a single word (then it is top + 1, never seen). */
		CHECK_EQ(wg_replay_check(r, top + 65 - w),
			 w > 64 ? WG_REPLAY_DUPLICATE : WG_REPLAY_OK);
		CHECK_EQ(wg_replay_check(r, top + 65 - w),
			 WG_REPLAY_DUPLICATE);
		CHECK_EQ(wg_replay_check(r, top + 63), WG_REPLAY_OK);
		CHECK_EQ(wg_replay_check(r, top + 1),
			 w > 64 ? WG_REPLAY_OK : WG_REPLAY_DUPLICATE);
		CHECK_EQ(wg_replay_check(r, top + 64), WG_REPLAY_DUPLICATE);
	}

	/* Huge jumps: 0, then 2^40, then 2^40 - 1 and the window below. */
	wg_replay_init(r, window);
	CHECK_EQ(wg_replay_check(r, 0), WG_REPLAY_OK);
	CHECK_EQ(wg_replay_check(r, 1ULL << 40), WG_REPLAY_OK);
	CHECK_EQ(wg_replay_check(r, (1ULL << 40) - 1), WG_REPLAY_OK);
	CHECK_EQ(wg_replay_check(r, (1ULL << 40) - 1), WG_REPLAY_DUPLICATE);
	CHECK_EQ(wg_replay_check(r, 1ULL << 40), WG_REPLAY_DUPLICATE);
	CHECK_EQ(wg_replay_check(r, (1ULL << 40) + 1 - w), WG_REPLAY_OK);
	CHECK_EQ(wg_replay_check(r, (1ULL << 40) - w), WG_REPLAY_TOO_OLD);
	CHECK_EQ(wg_replay_check(r, 0), WG_REPLAY_TOO_OLD);
	CHECK_EQ(wg_replay_check(r, 1), WG_REPLAY_TOO_OLD);
	{
		/* Nothing left over from before the jump: every counter in
		 * the window below the new top is new. Bits of the old
		 * counters that alias the same ring slots must be gone. */
		uint64_t c, bad = 0;

		for (c = (1ULL << 40) + 2 - w; c < (1ULL << 40) - 1; c++)
			if (wg_replay_check(r, c) != WG_REPLAY_OK)
				bad++;
		CHECK_EQ(bad, 0);
	}
	/* A jump of exactly the ring size, whose slots are the ones in
	 * use. */
	wg_replay_init(r, window);
	{
		uint64_t ring = (uint64_t)r->nslots * BLOCK, c, bad = 0;

		for (c = 0; c < 128; c++)
			wg_replay_check(r, c);
		CHECK_EQ(wg_replay_check(r, ring + 5), WG_REPLAY_OK);
		/* c = 5 is gone for good (left of the window) */
		CHECK_EQ(wg_replay_check(r, 5), WG_REPLAY_TOO_OLD);
		for (c = ring; c < ring + 128; c++)
			if (c != ring + 5 &&
			    wg_replay_check(r, c) != WG_REPLAY_OK)
				bad++;
		CHECK_EQ(bad, 0);
		CHECK_EQ(wg_replay_check(r, ring + 127), WG_REPLAY_DUPLICATE);
		/* A jump to the same ring slot one full turn later. */
		CHECK_EQ(wg_replay_check(r, 2 * ring + BLOCK + 5),
			 WG_REPLAY_OK);
		CHECK_EQ(wg_replay_check(r, ring + BLOCK + 5),
			 WG_REPLAY_TOO_OLD);
		bad = 0;
		for (c = 2 * ring + BLOCK; c < 2 * ring + 2 * BLOCK; c++)
			if (c != 2 * ring + BLOCK + 5 &&
			    wg_replay_check(r, c) != WG_REPLAY_OK)
				bad++;
		CHECK_EQ(bad, 0);
	}

	/* The message limit: the last usable counter, then LIMIT. */
	wg_replay_init(r, window);
	CHECK_EQ(wg_replay_check(r, WG_REJECT_AFTER_MESSAGES - 1),
		 WG_REPLAY_OK);
	CHECK_EQ(wg_replay_check(r, WG_REJECT_AFTER_MESSAGES - 1),
		 WG_REPLAY_DUPLICATE);
	CHECK_EQ(wg_replay_check(r, WG_REJECT_AFTER_MESSAGES),
		 WG_REPLAY_LIMIT);
	CHECK_EQ(wg_replay_check(r, WG_REJECT_AFTER_MESSAGES + 1),
		 WG_REPLAY_LIMIT);
	CHECK_EQ(wg_replay_check(r, UINT64_MAX), WG_REPLAY_LIMIT);
	CHECK_EQ(wg_replay_check(r, WG_REJECT_AFTER_MESSAGES - 2),
		 WG_REPLAY_OK);
	CHECK_EQ(wg_replay_check(r, WG_REJECT_AFTER_MESSAGES - w),
		 WG_REPLAY_OK);
	CHECK_EQ(wg_replay_check(r, WG_REJECT_AFTER_MESSAGES - w - 1),
		 WG_REPLAY_TOO_OLD);
	/* LIMIT before anything else, on a fresh window too. */
	wg_replay_init(r, window);
	CHECK_EQ(wg_replay_check(r, UINT64_MAX), WG_REPLAY_LIMIT);
	CHECK_EQ(atomic_load(&r->head), 0);
	CHECK_EQ(wg_replay_check(r, 0), WG_REPLAY_OK);
	CHECK_EQ(wg_replay_check(r, WG_REJECT_AFTER_MESSAGES), WG_REPLAY_LIMIT);
	CHECK_EQ(atomic_load(&r->head), 1);
	free(r);
}

/*
 * Tags keep 28 bits of a slot's lap (wg_replay.c): a slot untouched while
 * the counters went round exactly 2^28 laps looks current. Its stale bits
 * may then reject new counters (documented), but never accept one twice.
 */
static void
test_tag_wrap(uint32_t window)
{
	struct wg_replay *r = replay_new(window);
	uint64_t period, base, c, ok = 0, twice = 0, lost = 0;
	int pass;

	if (r == NULL) {
		CHECK(r != NULL);
		return;
	}
	period = (1ULL << (64 - BLOCK)) * r->nslots * BLOCK;
	for (base = 0; base < 4 * period; base += period) {
		/* A window's worth of counters, then a turn of the tag on:
		 * the highest first, the others in slots of the older turn,
		 * tagged alike. */
		for (pass = 0; pass < 2; pass++) {
			uint64_t top = base + r->window - 1;

			ok += wg_replay_check(r, top) == WG_REPLAY_OK;
			for (c = base; c < top; c++) {
				enum wg_replay_verdict v =
					wg_replay_check(r, c);

				if (v == WG_REPLAY_OK && pass == 1)
					twice++;
				if (v != WG_REPLAY_OK && pass == 0)
					lost++;
				ok += v == WG_REPLAY_OK;
			}
		}
	}
	printf("  tag wrap, window %u: %llu accepted, %llu refused after a "
	       "turn of the tag\n", window, (unsigned long long)ok,
	       (unsigned long long)lost);
	CHECK_EQ(twice, 0);
	CHECK(ok <= 4 * (uint64_t)r->window);
	CHECK(ok >= r->window);
	free(r);
}

static void
test_sizes(void)
{
	static const uint32_t windows[] = {
		0, 1, 63, 64, 65, 127, 128, 129, 1000, 8128, 8192, 8193,
		65536, 1048576, WG_REPLAY_MAX_WINDOW - 1, WG_REPLAY_MAX_WINDOW,
	};
	size_t i;

	for (i = 0; i < sizeof(windows) / sizeof(windows[0]); i++) {
		size_t size = wg_replay_size(windows[i]);
		struct wg_replay *r;

		CHECK(size > sizeof(struct wg_replay));
		r = replay_new(windows[i]);
		if (r == NULL)
			continue;
		CHECK(r->window >= windows[i]);
		CHECK((r->nslots & (r->nslots - 1)) == 0);
		CHECK_EQ(r->nslots, 1U << r->shift);
		/* The ring holds the window and the newest block, and no
		 * more than needed. */
		CHECK((uint64_t)(r->nslots - 1) * BLOCK >= r->window);
		CHECK((uint64_t)(r->nslots / 2 - 1) * BLOCK < r->window);
		CHECK_EQ(size, sizeof(struct wg_replay) +
			 (size_t)r->nslots * sizeof(uint64_t));
		CHECK(r->window < 2 * (uint64_t)windows[i] + 128);
		/* init cleared the garbage replay_new() left. */
		{
			uint32_t j, dirty = 0;

			for (j = 0; j < r->nslots; j++)
				dirty += atomic_load(&r->slot[j]) != 0;
			CHECK_EQ(dirty, 0);
			CHECK_EQ(atomic_load(&r->head), 0);
		}
		free(r);
	}
	/* The costs wg_replay.h documents: the former bitmap ring's at
	 * power-of-two windows. */
	CHECK_EQ(wg_replay_size(8192) - sizeof(struct wg_replay), 2048);
	CHECK_EQ(wg_replay_size(1048576) - sizeof(struct wg_replay), 262144);
	CHECK_EQ(wg_replay_size(WG_REPLAY_MAX_WINDOW) -
		 sizeof(struct wg_replay), 4U << 20);
	CHECK_EQ(wg_replay_size(WG_REPLAY_MAX_WINDOW + 1), 0);
	CHECK_EQ(wg_replay_size(UINT32_MAX), 0);
	CHECK_EQ(wg_replay_size(1U << 31), 0);

	/* The device refuses a window it cannot allocate. */
	{
		struct wg_device_config cfg = { .replay_window =
						WG_REPLAY_MAX_WINDOW + 1 };
		struct wg_device *dev = wg_device_create(&cfg);

		CHECK(dev == NULL);
		wg_device_destroy(dev);
		cfg.replay_window = 1048576;
		dev = wg_device_create(&cfg);
		CHECK(dev != NULL);
		if (dev != NULL) {
			struct wg_keypair *kp = wg_keypair_alloc(dev);

			CHECK(kp != NULL && wg_keypair_replay(kp)->window >= 1048576);
			if (kp != NULL)
				CHECK_EQ(wg_replay_check(wg_keypair_replay(kp), 7),
					 WG_REPLAY_OK);
			wg_keypair_free(kp);
		}
		wg_device_destroy(dev);
		cfg.replay_window = 0;
		dev = wg_device_create(&cfg);
		CHECK(dev != NULL && dev->replay_window ==
			 WG_REPLAY_DEFAULT_WINDOW);
		wg_device_destroy(dev);
	}
}

/*
 * Two copies of one stream over two paths, the second 20,000 packets
 * behind: a large window keeps every first copy and rejects every second
 * as a duplicate; the default one cannot tell and rejects them as too old.
 */
static void
test_skewed_copies(uint32_t window, enum wg_replay_verdict want_second)
{
	const uint64_t n = 200000, skew = 20000;
	struct wg_replay *r = replay_new(window);
	uint64_t i, first_ok = 0, second_want = 0, second_ok = 0, tail = 0;

	if (r == NULL) {
		CHECK(r != NULL);
		return;
	}
	for (i = 0; i < n + skew; i++) {
		if (i < n && wg_replay_check(r, i) == WG_REPLAY_OK)
			first_ok++;
		if (i >= skew) {
			enum wg_replay_verdict v =
				wg_replay_check(r, i - skew);

			/* While both copies flow; in the tail, after the
			 * first copy ended, the last window's worth of
			 * second copies is judged again (duplicates). */
			if (i < n && v == want_second)
				second_want++;
			if (i >= n && (v == WG_REPLAY_DUPLICATE ||
				       v == WG_REPLAY_TOO_OLD))
				tail++;
			if (v == WG_REPLAY_OK)
				second_ok++;
		}
	}
	printf("  two copies, skew %llu, window %u (%u): first %llu/%llu "
	       "accepted, second %llu/%llu %s\n", (unsigned long long)skew,
	       window, r->window, (unsigned long long)first_ok,
	       (unsigned long long)n, (unsigned long long)second_want,
	       (unsigned long long)(n - skew), verdict_name(want_second));
	CHECK_EQ(first_ok, n);
	CHECK_EQ(second_ok, 0);
	CHECK_EQ(second_want, n - skew);
	CHECK_EQ(tail, skew);
	free(r);
}

/* The same, but a lost first copy is recovered from the second. */
static void
test_skewed_copies_with_loss(void)
{
	const uint64_t n = 100000, skew = 20000;
	struct wg_replay *r = replay_new(1048576);
	uint64_t i, accepted = 0, dup = 0, bad = 0;

	if (r == NULL) {
		CHECK(r != NULL);
		return;
	}
	for (i = 0; i < n + skew; i++) {
		if (i < n && i % 7 != 3) {        /* path 1 loses 1 in 7 */
			if (wg_replay_check(r, i) == WG_REPLAY_OK)
				accepted++;
			else
				bad++;
		}
		if (i >= skew) {
			enum wg_replay_verdict v =
				wg_replay_check(r, i - skew);

			if (v == WG_REPLAY_OK) {
				accepted++;
				if ((i - skew) % 7 != 3)
					bad++;  /* a second acceptance */
			} else if (v == WG_REPLAY_DUPLICATE) {
				dup++;
			} else {
				bad++;
			}
		}
	}
	CHECK_EQ(accepted, n);
	CHECK_EQ(dup, n - (n + 6) / 7);
	CHECK_EQ(bad, 0);
	free(r);
}

/*
 * The same through two devices: the device's window reaches the keypairs
 * of its sessions, and the data path counts second copies as replays
 * (large window) or as too old (default window).
 */
static void
test_skew_through_devices(uint32_t window, enum wg_drop_reason want)
{
	const unsigned int n = 30000, skew = 20000;
	struct wg_test_pair p;
	uint8_t (*pkts)[64];
	size_t len = 0;
	unsigned int i, ok = 0, other = 0;

	pkts = malloc((size_t)n * sizeof(*pkts));
	if (pkts == NULL)
		abort();
	wg_test_pair_init(&p, NULL, window);
	wg_peer_send_initiation(p.a.peer, false);
	wg_test_pair_deliver(&p);
	CHECK(atomic_load(&p.b.peer->keypairs.current) != NULL);
	if (atomic_load(&p.b.peer->keypairs.current) == NULL)
		goto out;
	CHECK(wg_keypair_replay(atomic_load(&p.b.peer->keypairs.current))
	      ->window >=
	      (window != 0 ? window : WG_REPLAY_DEFAULT_WINDOW));
	for (i = 0; i < n; i++) {
		len = wg_test_seal(&p.a, pkts[i], 0);
		if (len == 0 || len > sizeof(pkts[i]))
			abort();
	}
	for (i = 0; i < n + skew; i++) {
		if (i < n && wg_test_receive(&p.b, pkts[i], len, &p.a.addr) ==
			     WG_DROP_NONE)
			ok++;
		if (i >= skew && i < n) {
			enum wg_drop_reason r = wg_test_receive(&p.b,
					pkts[i - skew], len, &p.a.addr);

			if (r != want)
				other++;
		}
	}
	CHECK_EQ(ok, n);
	CHECK_EQ(other, 0);
	CHECK_EQ(p.b.dev->drops[want], n - skew);
	CHECK_EQ(p.b.keepalives_received, n + 1);   /* + the confirming one */
out:
	wg_test_pair_free(&p);
	free(pkts);
}

static double
now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Cost per check of an in-order stream with 1% reordering, of two paths'
 * copies interleaved (every counter twice, the second a duplicate), and
 * of jumps: printed only, never asserted (timing in CI is noise). */
static void
timing(void)
{
	static const uint32_t windows[] = {
		64, 8192, 1048576, WG_REPLAY_MAX_WINDOW,
	};
	const uint64_t n = 2000000;
	size_t i;

	for (i = 0; i < sizeof(windows) / sizeof(windows[0]); i++) {
		struct wg_replay *r = replay_new(windows[i]);
		uint64_t c, ok = 0;
		double t0, t1;

		if (r == NULL)
			continue;
		t0 = now_sec();
		for (c = 0; c < n; c++) {
			uint64_t x = (c % 100 == 7) ? c + 3 :
				     (c % 100 == 10) ? c - 3 : c;

			ok += wg_replay_check(r, x) == WG_REPLAY_OK;
		}
		t1 = now_sec();
		printf("  timing: window %8u: %.1f ns/check in order",
		       windows[i], (t1 - t0) * 1e9 / (double)n);
		wg_replay_init(r, windows[i]);
		t0 = now_sec();
		for (c = 0; c < n / 2; c++) {
			ok += wg_replay_check(r, c) == WG_REPLAY_OK;
			ok += wg_replay_check(r, c) == WG_REPLAY_OK;
		}
		t1 = now_sec();
		printf(", %.1f two paths", (t1 - t0) * 1e9 / (double)n);
		/* Every counter jumps past the whole ring: the slot is
		 * recycled by its own CAS, no dearer than in order. */
		wg_replay_init(r, windows[i]);
		t0 = now_sec();
		for (c = 0; c < 2000; c++)
			ok += wg_replay_check(r, c * 2 * ((uint64_t)r->nslots *
						   BLOCK)) == WG_REPLAY_OK;
		t1 = now_sec();
		printf(", %.1f ns/check jumping past the ring (%llu ok)\n",
		       (t1 - t0) * 1e9 / 2000.0, (unsigned long long)ok);
		free(r);
	}
}

/* peek agrees with check and changes nothing. */
static void
test_peek(void)
{
	static uint64_t mem[1024];
	struct wg_replay *r = (struct wg_replay *)mem;
	uint64_t c;

	wg_replay_init(r, 1024);
	CHECK_EQ(wg_replay_peek(r, 5), WG_REPLAY_OK);
	CHECK_EQ(wg_replay_peek(r, 5), WG_REPLAY_OK);
	CHECK_EQ(wg_replay_check(r, 5), WG_REPLAY_OK);
	CHECK_EQ(wg_replay_peek(r, 5), WG_REPLAY_DUPLICATE);
	CHECK_EQ(wg_replay_check(r, 5), WG_REPLAY_DUPLICATE);
	CHECK_EQ(wg_replay_peek(r, 4), WG_REPLAY_OK);
	CHECK_EQ(wg_replay_check(r, 100000), WG_REPLAY_OK);
	CHECK_EQ(wg_replay_peek(r, 4), WG_REPLAY_TOO_OLD);
	CHECK_EQ(wg_replay_peek(r, WG_REJECT_AFTER_MESSAGES), WG_REPLAY_LIMIT);
	for (c = 99000; c < 100100; c++) {
		enum wg_replay_verdict v = wg_replay_peek(r, c);

		CHECK_EQ(wg_replay_check(r, c), v);
	}
}

int
main(int argc, char **argv)
{
	uint64_t seed = (uint64_t)time(NULL);
	static const uint32_t windows[] = { 64, 8192, 1048576 };
	size_t i;

	if (argc > 1)
		seed = strtoull(argv[1], NULL, 0);
	else if (getenv("WG_TEST_SEED") != NULL)
		seed = strtoull(getenv("WG_TEST_SEED"), NULL, 0);
	rng_state = seed | 1;
	printf("replay: seed %llu (rerun: test_replay %llu)\n",
	       (unsigned long long)seed, (unsigned long long)seed);

	test_sizes();
	for (i = 0; i < sizeof(windows) / sizeof(windows[0]); i++) {
		uint32_t w = windows[i];
		uint64_t rw;
		struct wg_replay *r = replay_new(w);

		rw = r->window;
		free(r);
		test_edges(w);
		if (w <= 8192)
			test_tag_wrap(w);
		run_stream(w, 300000, 0, 0, 50, 0, "in order, dups");
		run_stream(w, 300000, rw / 2, rw / 2, 100, 0,
			   "reorder < window");
		run_stream(w, 300000, rw + rw / 2, rw * 2, 100, 0,
			   "reorder > window");
		run_stream(w, 300000, 40, 2 * rw, 100, 1ULL << 40,
			   "jumps up to 2^40");
		run_stream(w, 300000, rw / 4, rw / 4, 100, 3 * rw,
			   "jumps around the ring");
		run_random(w, 400000);
	}
	/* The large window with a stream longer than it. */
	run_stream(1048576, 1600000, 1200000, 1000000, 30, 0,
		   "reorder ~1.2M, long");
	test_skewed_copies(1048576, WG_REPLAY_DUPLICATE);
	test_skewed_copies(8192, WG_REPLAY_TOO_OLD);
	test_skewed_copies_with_loss();
	test_skew_through_devices(1048576, WG_DROP_REPLAY);
	test_skew_through_devices(0, WG_DROP_TOO_OLD);
	timing();
	test_peek();
	return wg_test_done("replay");
}
