/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The replay window under concurrent checks (wg_replay.h): several
 * threads, as workers that RSS gave the copies of one keypair's packets,
 * feed the same counter stream, each in its own order: duplicates of every
 * counter across threads, reordering, losses, re-deliveries, and jumps
 * between segments of the stream. Every verdict is recorded per counter:
 *
 *  - no counter is ever accepted twice (OK counted with atomics);
 *  - TOO_OLD only for a counter at least a window behind the highest one
 *    any thread had begun to check: never inside the window;
 *  - while the threads are held within the window of one another, every
 *    counter is accepted exactly once and none is too old;
 *  - DUPLICATE only for a counter accepted (no false duplicates);
 *  - peek never contradicts what a check then says about the past.
 *
 * Whole turns of the tag (wrap) leave stale bits that look current, which
 * may refuse counters (documented in wg_replay.c): then only the first
 * property is checked, and peek's.
 *
 * Threads are held within `lag` positions of one another; their orders
 * displace a counter by less than `reorder` and re-deliver up to
 * `redeliver` positions back, so at any time the counters being checked
 * span less than lag + 2 * reorder + redeliver: kept under the window, no
 * counter may be too old. Segments end at a barrier, where the counts are
 * verified and the stream jumps.
 *
 * WG_TEST_STRESS=N runs N times as many segments (default 1); a seed as
 * argv[1] or WG_TEST_SEED replays a run's orders (not its interleaving).
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wg_check.h"
#include "wg_messages.h"
#include "wg_replay.h"

#define MAX_THREADS 4
#define BLOCK WG_REPLAY_BLOCK

static uint64_t
rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static uint64_t
rng_below(uint64_t *s, uint64_t n)
{
	return n == 0 ? 0 : rng_next(s) % n;
}

struct mt_conf {
	const char *name;
	uint32_t window;
	unsigned int nthreads;
	uint32_t seg_len;          /* counters per segment */
	uint32_t nsegs;
	uint32_t reorder;          /* displacement < reorder; 0: in order */
	uint32_t lag;              /* positions; 0: threads run free */
	uint32_t redeliver;        /* re-delivered up to this far back */
	unsigned int loss_permille;
	unsigned int dup_permille;
	bool wrap;                 /* jumps by whole turns of the tag */
};

struct mt_stats {
	_Atomic uint64_t checks, ok, dup, too_old, limit;
	_Atomic uint64_t twice;          /* a counter accepted again */
	_Atomic uint64_t early;          /* TOO_OLD inside the window */
	_Atomic uint64_t peek_wrong;     /* peek contradicted by check */
};

struct mt {
	const struct mt_conf *conf;
	struct wg_replay *r;
	uint64_t window;                 /* r->window */
	uint64_t period;                 /* counters per turn of the tag */
	uint64_t base;                   /* first counter of the segment */
	uint64_t seed;
	_Atomic uint64_t max_started;    /* highest counter a check began */
	_Atomic uint64_t progress[MAX_THREADS];
	_Atomic uint32_t *ok, *dup, *old;   /* per counter of the segment */
	pthread_barrier_t barrier;
	struct mt_stats st;
	/* Segment verdicts, by thread 0 at the barrier. */
	uint64_t lost, false_dup, too_old_held, wrong_counts;
};

struct mt_thread {
	struct mt *mt;
	unsigned int id;
	uint64_t rng;
	uint32_t *order;
};

static void
atomic_max(_Atomic uint64_t *v, uint64_t want)
{
	uint64_t cur = atomic_load_explicit(v, memory_order_relaxed);

	while (cur < want &&
	       !atomic_compare_exchange_weak(v, &cur, want))
		;
}

/* This thread's order of the segment: chunks of `reorder` positions at a
 * random phase, each shuffled, so a counter moves less than `reorder`. */
static void
make_order(struct mt_thread *t)
{
	const struct mt_conf *cf = t->mt->conf;
	uint32_t n = cf->seg_len, i, start, end;

	for (i = 0; i < n; i++)
		t->order[i] = i;
	if (cf->reorder < 2)
		return;
	start = 0;
	end = (uint32_t)rng_below(&t->rng, cf->reorder) + 1;
	while (start < n) {
		if (end > n)
			end = n;
		for (i = end - 1; i > start; i--) {
			uint32_t j = start + (uint32_t)rng_below(&t->rng,
							i - start + 1);
			uint32_t x = t->order[i];

			t->order[i] = t->order[j];
			t->order[j] = x;
		}
		start = end;
		end = start + cf->reorder;
	}
}

/* Hold this thread within `lag` positions of every other. */
static void
wait_lag(struct mt_thread *t, uint64_t pos)
{
	struct mt *mt = t->mt;
	unsigned int u;

	for (u = 0; u < mt->conf->nthreads; u++) {
		if (u == t->id)
			continue;
		while (atomic_load_explicit(&mt->progress[u],
					    memory_order_acquire) +
		       mt->conf->lag < pos)
			sched_yield();
	}
}

static void
deliver(struct mt_thread *t, uint32_t idx)
{
	struct mt *mt = t->mt;
	uint64_t c = mt->base + idx;
	enum wg_replay_verdict v, pv = WG_REPLAY_OK;
	bool peeked = rng_below(&t->rng, 4) == 0;

	atomic_max(&mt->max_started, c);
	if (peeked)
		pv = wg_replay_peek(mt->r, c);
	v = wg_replay_check(mt->r, c);
	atomic_fetch_add_explicit(&mt->st.checks, 1, memory_order_relaxed);
	switch (v) {
	case WG_REPLAY_OK:
		atomic_fetch_add_explicit(&mt->st.ok, 1, memory_order_relaxed);
		if (atomic_fetch_add(&mt->ok[idx], 1) != 0 &&
		    atomic_fetch_add(&mt->st.twice, 1) < 5)
			fprintf(stderr, "  counter %llu ACCEPTED TWICE\n",
				(unsigned long long)c);
		break;
	case WG_REPLAY_DUPLICATE:
		atomic_fetch_add_explicit(&mt->st.dup, 1, memory_order_relaxed);
		atomic_fetch_add(&mt->dup[idx], 1);
		break;
	case WG_REPLAY_TOO_OLD:
		atomic_fetch_add_explicit(&mt->st.too_old, 1,
					  memory_order_relaxed);
		atomic_fetch_add(&mt->old[idx], 1);
		/* Some check had begun a window or more ahead (but the
		 * stale bits of a turn of the tag may tell a higher top). */
		if (!mt->conf->wrap &&
		    atomic_load(&mt->max_started) - c < mt->window &&
		    atomic_fetch_add(&mt->st.early, 1) < 5)
			fprintf(stderr, "  counter %llu TOO_OLD inside the "
				"window (highest begun %llu)\n",
				(unsigned long long)c, (unsigned long long)
				atomic_load(&mt->max_started));
		break;
	case WG_REPLAY_LIMIT:
		atomic_fetch_add(&mt->st.limit, 1);
		break;
	}
	/* What peek saw stays true: a duplicate is never new again, and
	 * what left the window never comes back. */
	if (peeked && ((pv == WG_REPLAY_DUPLICATE && v == WG_REPLAY_OK) ||
		       (pv == WG_REPLAY_TOO_OLD && v != WG_REPLAY_TOO_OLD)))
		atomic_fetch_add(&mt->st.peek_wrong, 1);
}

static void
run_segment(struct mt_thread *t, uint64_t seg)
{
	const struct mt_conf *cf = t->mt->conf;
	uint64_t first = seg * cf->seg_len;
	uint32_t p;

	make_order(t);
	for (p = 0; p < cf->seg_len; p++) {
		uint32_t idx = t->order[p];

		if (cf->lag != 0)
			wait_lag(t, first + p);
		/* Every counter reaches its owner; others may lose it. */
		if (idx % cf->nthreads == t->id ||
		    rng_below(&t->rng, 1000) >= cf->loss_permille)
			deliver(t, idx);
		if (rng_below(&t->rng, 1000) < cf->dup_permille) {
			uint32_t back = (uint32_t)rng_below(&t->rng,
							cf->redeliver + 1);

			deliver(t, t->order[p >= back ? p - back : 0]);
		}
		atomic_store_explicit(&t->mt->progress[t->id], first + p + 1,
				      memory_order_release);
	}
}

/* At the barrier: every counter of the segment judged as it must be. */
static void
verify_segment(struct mt *mt)
{
	const struct mt_conf *cf = mt->conf;
	uint32_t i;

	for (i = 0; i < cf->seg_len; i++) {
		uint32_t ok = atomic_load(&mt->ok[i]);
		uint32_t dup = atomic_load(&mt->dup[i]);
		uint32_t old = atomic_load(&mt->old[i]);

		/* Accepted twice is counted as it happens. */
		if (!cf->wrap) {
			/* Never accepted: every copy was too old. */
			if (ok == 0 && (dup != 0 || old == 0))
				mt->false_dup++;
			if (cf->lag != 0 && ok != 1)
				mt->lost++;
			if (cf->lag != 0 && old != 0)
				mt->too_old_held++;
		}
		if (ok > 1)
			mt->wrong_counts++;
		atomic_store(&mt->ok[i], 0);
		atomic_store(&mt->dup[i], 0);
		atomic_store(&mt->old[i], 0);
	}
}

/* Where the next segment starts: right after, inside the window, a ring
 * or several further, far ahead, or (wrap) a whole turn of the tag on, on
 * the very same slots and tags. */
static uint64_t
next_base(struct mt *mt, uint64_t *rng)
{
	const struct mt_conf *cf = mt->conf;
	uint64_t end = mt->base + cf->seg_len;
	uint64_t ring = (uint64_t)mt->r->nslots * BLOCK;

	if (cf->wrap)
		return mt->base + mt->period * (1 + rng_below(rng, 3));
	switch (rng_below(rng, 6)) {
	case 0:
		return end;
	case 1:
		return end + rng_below(rng, mt->window);
	case 2:
		return end + ring * (1 + rng_below(rng, 3)) -
		       rng_below(rng, 2 * BLOCK);
	case 3:
		return end + rng_below(rng, 4 * ring);
	case 4:
		return end + rng_below(rng, 1ULL << 40);
	default:
		return end + BLOCK - end % BLOCK;     /* a block boundary */
	}
}

static void *
thread_main(void *arg)
{
	struct mt_thread *t = arg;
	struct mt *mt = t->mt;
	uint64_t seg, rng = mt->seed ^ 0x5eed;

	for (seg = 0; seg < mt->conf->nsegs; seg++) {
		pthread_barrier_wait(&mt->barrier);
		run_segment(t, seg);
		pthread_barrier_wait(&mt->barrier);
		if (t->id == 0) {
			verify_segment(mt);
			mt->base = next_base(mt, &rng);
			atomic_store(&mt->max_started, mt->base);
		}
	}
	return NULL;
}

static void
run(const struct mt_conf *cf, uint64_t seed, unsigned int scale)
{
	struct mt_conf c = *cf;
	struct mt mt;
	struct mt_thread th[MAX_THREADS];
	pthread_t tid[MAX_THREADS];
	struct timespec t0, t1;
	unsigned int i;
	double secs;

	c.nsegs *= scale;
	memset(&mt, 0, sizeof(mt));
	mt.conf = &c;
	mt.seed = seed;
	mt.r = malloc(wg_replay_size(c.window));
	mt.ok = calloc(c.seg_len, sizeof(*mt.ok));
	mt.dup = calloc(c.seg_len, sizeof(*mt.dup));
	mt.old = calloc(c.seg_len, sizeof(*mt.old));
	if (mt.r == NULL || mt.ok == NULL || mt.dup == NULL || mt.old == NULL)
		abort();
	wg_replay_init(mt.r, c.window);
	mt.window = mt.r->window;
	mt.period = (1ULL << (64 - BLOCK)) * mt.r->nslots * BLOCK;
	mt.base = seed % 1000;
	atomic_store(&mt.max_started, mt.base);
	/* The stream must stay judged while threads are held together. */
	if (c.lag != 0)
		CHECK(c.lag + 2 * c.reorder + c.redeliver < mt.window);
	pthread_barrier_init(&mt.barrier, NULL, c.nthreads);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < c.nthreads; i++) {
		th[i].mt = &mt;
		th[i].id = i;
		th[i].rng = (seed + 0x9e3779b97f4a7c15ULL * (i + 1)) | 1;
		th[i].order = malloc(c.seg_len * sizeof(*th[i].order));
		if (th[i].order == NULL)
			abort();
		if (pthread_create(&tid[i], NULL, thread_main, &th[i]) != 0)
			abort();
	}
	for (i = 0; i < c.nthreads; i++) {
		pthread_join(tid[i], NULL);
		free(th[i].order);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("  %-26s %u threads, window %7u (%7u): %8llu checks, "
	       "%7llu ok, %7llu dup, %6llu too old, %.0f ns/check "
	       "(harness too)\n",
	       c.name, c.nthreads, c.window, mt.r->window,
	       (unsigned long long)mt.st.checks, (unsigned long long)mt.st.ok,
	       (unsigned long long)mt.st.dup,
	       (unsigned long long)mt.st.too_old,
	       secs * 1e9 / (double)mt.st.checks);
	CHECK_EQ(mt.st.twice, 0);
	CHECK_EQ(mt.wrong_counts, 0);
	CHECK_EQ(mt.st.early, 0);
	CHECK_EQ(mt.st.peek_wrong, 0);
	CHECK_EQ(mt.st.limit, 0);
	CHECK_EQ(mt.lost, 0);
	CHECK_EQ(mt.false_dup, 0);
	CHECK_EQ(mt.too_old_held, 0);
	/* The run exercised what it meant to. */
	CHECK(mt.st.ok > 0);
	if (c.nthreads > 1 || c.dup_permille != 0)
		CHECK(mt.st.dup > 0);
	pthread_barrier_destroy(&mt.barrier);
	free(mt.ok);
	free(mt.dup);
	free(mt.old);
	free(mt.r);
}

static const struct mt_conf confs[] = {
	/* Two paths' copies on two workers, in step: the duplicate mode. */
	{ "two paths in step", 8192, 2, 20000, 20, 0, 64, 0, 0, 0, false },
	/* A tiny ring: slots recycled all the time, under contention. */
	{ "tiny ring, held", 64, 2, 4000, 40, 16, 16, 8, 100, 50, false },
	{ "tiny ring, held", 64, 4, 4000, 20, 16, 16, 8, 100, 50, false },
	{ "default, held", 8192, 3, 20000, 12, 1024, 1024, 512, 50, 20,
	  false },
	{ "default, held", 8192, 4, 20000, 10, 2048, 2048, 1024, 200, 20,
	  false },
	{ "large, held", 1048576, 2, 200000, 2, 100000, 100000, 50000, 50,
	  10, false },
	/* Free-running: too old allowed, only when a window behind. */
	{ "tiny ring, free", 64, 4, 4000, 20, 32, 0, 64, 100, 50, false },
	{ "default, free", 8192, 2, 40000, 6, 4096, 0, 8192, 100, 50, false },
	/* Whole turns of the tag: stale bits may reject, never accept. */
	{ "tiny ring, tag turns", 64, 3, 500, 60, 16, 16, 8, 100, 50, true },
	{ "default, tag turns", 8192, 2, 10000, 10, 1024, 1024, 512, 100, 50,
	  true },
};

int
main(int argc, char **argv)
{
	uint64_t seed = (uint64_t)time(NULL);
	unsigned int scale = 1;
	size_t i;

	if (argc > 1)
		seed = strtoull(argv[1], NULL, 0);
	else if (getenv("WG_TEST_SEED") != NULL)
		seed = strtoull(getenv("WG_TEST_SEED"), NULL, 0);
	if (getenv("WG_TEST_STRESS") != NULL)
		scale = (unsigned int)strtoul(getenv("WG_TEST_STRESS"), NULL,
					      0);
	if (scale == 0)
		scale = 1;
	printf("replay_mt: seed %llu (rerun: test_replay_mt %llu), "
	       "stress x%u\n", (unsigned long long)seed,
	       (unsigned long long)seed, scale);
	for (i = 0; i < sizeof(confs) / sizeof(confs[0]); i++)
		run(&confs[i], seed + i, scale);
	return wg_check_done("replay_mt");
}
