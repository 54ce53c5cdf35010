/* SPDX-License-Identifier: BSD-3-Clause */
/* Impairment model of one link direction; see impair_model.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impair_model.h"

/* Bounds that keep every tick count far from overflowing 64 bits at any
 * TSC frequency, and catch unit mistakes (seconds given as ms). */
#define MAX_MS 100000.0
#define MAX_RATE_MBIT 1000000.0
#define MAX_QUEUE_PKTS (1u << 24)
#define MAX_BURST_BYTES (1u << 30)
/* Default bucket: 1 ms at the rate, but never less than two full
 * Ethernet frames, or a slow link could not pass back-to-back frames. */
#define MIN_DEPTH_BITS (2 * 1518 * 8)

/* ------------------------------------------------------------- rng */

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void
impair_rng_seed(struct impair_rng *r, uint64_t seed)
{
	/* splitmix64 never yields an all-zero xoshiro state */
	for (unsigned int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t
impair_rng_next(struct impair_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double
impair_rng_unit(struct impair_rng *r)
{
	return (double)(impair_rng_next(r) >> 11) * 0x1.0p-53;
}

/* ------------------------------------------------------------ conf */

void
impair_conf_default(struct impair_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->loss_bad_pct = 100.0;
	c->queue_pkts = 10000;
}

static int
check_range(const char *what, double v, double max, char *err, size_t len)
{
	/* !(v >= 0) also refuses NaN */
	if (!(v >= 0) || v > max) {
		snprintf(err, len, "%s %g out of range 0..%g", what, v, max);
		return -1;
	}
	return 0;
}

int
impair_conf_check(const struct impair_conf *c, char *err, size_t len)
{
	if (check_range("delay-ms", c->delay_ms, MAX_MS, err, len) ||
	    check_range("jitter-ms", c->jitter_ms, MAX_MS, err, len) ||
	    check_range("reorder-delay-ms", c->reorder_delay_ms, MAX_MS,
			err, len) ||
	    check_range("loss", c->loss_pct, 100, err, len) ||
	    check_range("loss-burst P_GB", c->p_gb_pct, 100, err, len) ||
	    check_range("loss-burst P_BG", c->p_bg_pct, 100, err, len) ||
	    check_range("loss-burst LOSS_BAD", c->loss_bad_pct, 100,
			err, len) ||
	    check_range("reorder", c->reorder_pct, 100, err, len) ||
	    check_range("rate-mbit", c->rate_mbit, MAX_RATE_MBIT, err, len))
		return -1;
	/* A chain that never leaves the bad state is a dead link: say so
	 * rather than silently dropping everything after the first burst. */
	if (c->loss_burst && c->p_bg_pct == 0) {
		snprintf(err, len, "loss-burst P_BG must be > 0");
		return -1;
	}
	if (c->queue_pkts == 0 || c->queue_pkts > MAX_QUEUE_PKTS) {
		snprintf(err, len, "queue-pkts %u out of range 1..%u",
			 c->queue_pkts, MAX_QUEUE_PKTS);
		return -1;
	}
	if (c->rate_burst_bytes > MAX_BURST_BYTES) {
		snprintf(err, len, "rate-burst %u out of range 0..%u",
			 c->rate_burst_bytes, MAX_BURST_BYTES);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ loss */

void
impair_loss_init(struct impair_loss *l, const struct impair_conf *c)
{
	memset(l, 0, sizeof(*l));
	l->p_good = c->loss_pct / 100.0;
	if (!c->loss_burst)
		return;
	l->p_bad = c->loss_bad_pct / 100.0;
	l->p_gb = c->p_gb_pct / 100.0;
	l->p_bg = c->p_bg_pct / 100.0;
}

bool
impair_loss_drop(struct impair_loss *l, struct impair_rng *r)
{
	double p;

	/* The state moves first, so the packet that turns the chain bad
	 * is the first of the burst. */
	if (l->bad) {
		if (impair_rng_unit(r) < l->p_bg)
			l->bad = false;
	} else if (l->p_gb > 0 && impair_rng_unit(r) < l->p_gb) {
		l->bad = true;
	}
	p = l->bad ? l->p_bad : l->p_good;
	return p > 0 && impair_rng_unit(r) < p;
}

double
impair_loss_expected(const struct impair_loss *l)
{
	double pi_bad;

	if (l->p_gb == 0)
		return l->p_good;
	pi_bad = l->p_gb / (l->p_gb + l->p_bg);
	return (1 - pi_bad) * l->p_good + pi_bad * l->p_bad;
}

/* ---------------------------------------------------- token bucket */

void
impair_tb_init(struct impair_tb *tb, double rate_bps, double depth_bits,
	       uint64_t hz, uint64_t now)
{
	tb->bits_per_tick = rate_bps / (double)hz;
	tb->depth = depth_bits;
	tb->tokens = depth_bits;
	tb->last = now;
}

static double
tb_tokens_at(const struct impair_tb *tb, uint64_t now)
{
	double t;

	if (now <= tb->last)
		return tb->tokens;
	t = tb->tokens + (double)(now - tb->last) * tb->bits_per_tick;
	return t < tb->depth ? t : tb->depth;
}

static double
tb_need(const struct impair_tb *tb, uint32_t bits)
{
	return (double)bits < tb->depth ? (double)bits : tb->depth;
}

bool
impair_tb_take(struct impair_tb *tb, uint32_t bits, uint64_t now)
{
	if (tb->bits_per_tick == 0)
		return true;
	tb->tokens = tb_tokens_at(tb, now);
	if (now > tb->last)
		tb->last = now;
	if (tb->tokens < tb_need(tb, bits))
		return false;
	tb->tokens -= bits;
	return true;
}

uint64_t
impair_tb_ready_at(const struct impair_tb *tb, uint32_t bits, uint64_t now)
{
	double t, need;

	if (tb->bits_per_tick == 0)
		return now;
	t = tb_tokens_at(tb, now);
	need = tb_need(tb, bits);
	if (t >= need)
		return now;
	/* +1: the division rounds, and take() must succeed at that tick */
	return now + (uint64_t)ceil((need - t) / tb->bits_per_tick) + 1;
}

/* Since when the bucket has held enough for BITS (for lateness only). */
static uint64_t
tb_ready_since(const struct impair_tb *tb, uint32_t bits)
{
	double need;

	if (tb->bits_per_tick == 0)
		return 0;
	need = tb_need(tb, bits);
	if (tb->tokens >= need)
		return tb->last;
	return tb->last + (uint64_t)((need - tb->tokens) / tb->bits_per_tick);
}

/* ----------------------------------------------------------- lines */

static int
line_init(struct impair_line *l, uint32_t size)
{
	memset(l, 0, sizeof(*l));
	if (size == 0)
		return 0;
	l->e = calloc(size, sizeof(*l->e));
	if (l->e == NULL)
		return -1;
	l->size = size;
	return 0;
}

static void
line_push(struct impair_line *l, void *pkt, uint32_t bytes, uint64_t arrival,
	  uint64_t release)
{
	uint32_t tail = l->head + l->count;
	struct impair_entry *e;

	if (tail >= l->size)
		tail -= l->size;
	if (release < l->last_release)
		release = l->last_release;
	l->last_release = release;
	e = &l->e[tail];
	e->pkt = pkt;
	e->bytes = bytes;
	e->arrival = arrival;
	e->release = release;
	l->count++;
}

static inline const struct impair_entry *
line_peek(const struct impair_line *l)
{
	return l->count != 0 ? &l->e[l->head] : NULL;
}

static void *
line_pop(struct impair_line *l)
{
	void *pkt = l->e[l->head].pkt;

	if (++l->head == l->size)
		l->head = 0;
	l->count--;
	return pkt;
}

/* Whether the reorder line's head goes before the main line's: earlier
 * release, then earlier arrival (with no delay anywhere both lines
 * release at arrival). */
static bool
side_first(const struct impair_dir *d)
{
	const struct impair_entry *m = line_peek(&d->main);
	const struct impair_entry *s = line_peek(&d->side);

	if (s == NULL)
		return false;
	if (m == NULL)
		return true;
	return s->release < m->release ||
		(s->release == m->release && s->arrival < m->arrival);
}

/* ------------------------------------------------------- direction */

static uint64_t
ms_to_ticks(double ms, uint64_t hz)
{
	return (uint64_t)llround(ms * (double)hz / 1000.0);
}

int
impair_dir_init(struct impair_dir *d, const struct impair_conf *c,
		uint64_t hz, uint64_t seed, uint64_t now, char *err, size_t len)
{
	double rate_bps = c->rate_mbit * 1e6;
	double depth;

	memset(d, 0, sizeof(*d));
	if (impair_conf_check(c, err, len) != 0)
		return -1;
	d->hz = hz;
	d->delay = ms_to_ticks(c->delay_ms, hz);
	d->jitter = ms_to_ticks(c->jitter_ms, hz);
	d->reorder_delay = ms_to_ticks(c->reorder_delay_ms, hz);
	d->reorder_p = c->reorder_pct / 100.0;
	d->queue_pkts = c->queue_pkts;
	impair_rng_seed(&d->rng, seed);
	impair_loss_init(&d->loss, c);
	d->rate_limited = rate_bps > 0;
	depth = c->rate_burst_bytes != 0 ? c->rate_burst_bytes * 8.0 :
		fmax(rate_bps / 1000.0, MIN_DEPTH_BITS);
	impair_tb_init(&d->tb, rate_bps, depth, hz, now);
	if (line_init(&d->main, c->queue_pkts) != 0 ||
	    line_init(&d->side, d->reorder_p > 0 ? c->queue_pkts : 0) != 0) {
		impair_dir_free(d);
		snprintf(err, len, "out of memory for %u queue entries",
			 c->queue_pkts);
		return -1;
	}
	return 0;
}

void
impair_dir_free(struct impair_dir *d)
{
	free(d->main.e);
	free(d->side.e);
	d->main.e = NULL;
	d->side.e = NULL;
	d->main.size = d->side.size = 0;
	d->main.count = d->side.count = 0;
}

/* Arrival + delay + uniform(-jitter, +jitter), never before arrival. */
static uint64_t
main_release(struct impair_dir *d, uint64_t now)
{
	uint64_t off = d->delay, j;

	if (d->jitter != 0) {
		j = (uint64_t)(impair_rng_unit(&d->rng) *
			       (double)(2 * d->jitter + 1));
		off = off + j >= d->jitter ? off + j - d->jitter : 0;
	}
	return now + off;
}

enum impair_verdict
impair_enqueue(struct impair_dir *d, void *pkt, uint32_t bytes, uint64_t now)
{
	d->st.rx++;
	if (impair_loss_drop(&d->loss, &d->rng)) {
		d->st.dropped_loss++;
		return IMPAIR_DROP_LOSS;
	}
	if (impair_queued(d) >= d->queue_pkts) {
		d->st.dropped_queue++;
		return IMPAIR_DROP_QUEUE;
	}
	if (d->reorder_p > 0 && impair_rng_unit(&d->rng) < d->reorder_p) {
		line_push(&d->side, pkt, bytes, now, now + d->reorder_delay);
		d->st.reordered++;
	} else {
		line_push(&d->main, pkt, bytes, now, main_release(d, now));
	}
	return IMPAIR_QUEUED;
}

static void
account(struct impair_dir *d, const struct impair_entry *e, uint64_t eligible,
	uint64_t now)
{
	d->st.released++;
	d->st.delay_sum += now - e->arrival;
	if (now > eligible && now - eligible > d->st.late_max)
		d->st.late_max = now - eligible;
}

unsigned int
impair_dequeue(struct impair_dir *d, uint64_t now, void **pkts,
	       unsigned int max)
{
	unsigned int n = 0;

	while (n < max) {
		struct impair_line *l = side_first(d) ? &d->side : &d->main;
		const struct impair_entry *e = line_peek(l);
		uint64_t eligible;

		if (e == NULL || e->release > now)
			break;
		eligible = e->release;
		if (d->rate_limited) {
			uint64_t since = tb_ready_since(&d->tb, e->bytes * 8);

			if (!impair_tb_take(&d->tb, e->bytes * 8, now))
				break;
			if (since > eligible)
				eligible = since;
		}
		account(d, e, eligible, now);
		pkts[n++] = line_pop(l);
	}
	return n;
}

uint64_t
impair_next_event(const struct impair_dir *d, uint64_t now)
{
	const struct impair_entry *e =
		line_peek(side_first(d) ? &d->side : &d->main);
	uint64_t t;

	if (e == NULL)
		return UINT64_MAX;
	t = e->release;
	if (d->rate_limited) {
		uint64_t r = impair_tb_ready_at(&d->tb, e->bytes * 8,
						t > now ? t : now);
		if (r > t)
			t = r;
	}
	return t;
}

unsigned int
impair_drain(struct impair_dir *d, void **pkts, unsigned int max)
{
	unsigned int n = 0;

	while (n < max && d->main.count != 0)
		pkts[n++] = line_pop(&d->main);
	while (n < max && d->side.count != 0)
		pkts[n++] = line_pop(&d->side);
	return n;
}
