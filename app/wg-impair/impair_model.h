/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IMPAIR_MODEL_H
#define IMPAIR_MODEL_H

/*
 * The impairments of one direction of a link, without DPDK: loss
 * (independent or Gilbert-Elliott), delay with jitter, reordering, a
 * token-bucket rate limit and a bounded queue. Packets are opaque
 * pointers and time is in ticks of a caller-given frequency (TSC cycles
 * in wg-impair, nanoseconds in the unit test), so the test can drive
 * simulated time and wg-impair never converts a timestamp.
 *
 * A packet goes: loss -> tail drop (queue full) -> one of two delay
 * lines -> token bucket -> out. Both lines are FIFOs whose release times
 * never decrease, so no heap is needed:
 *  - the main line: release = max(previous release, arrival + delay +
 *    uniform(-jitter, +jitter)), clamped to >= arrival; jitter thus
 *    never reorders;
 *  - the reorder line (only with reorder > 0): a packet picked with
 *    probability reorder% is released reorder_delay after its arrival
 *    (0: at once, as netem does), overtaking the main line's packets
 *    (reorder_delay < delay) or falling behind later ones (>).
 * Dequeue merges the two heads by release time. The token bucket is
 * applied at release, so packets held by the rate limit wait in the same
 * queue, and queue_pkts bounds delay-line and rate backlog together.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* xoshiro256**: fast, good enough for impairments, reproducible. */
struct impair_rng {
	uint64_t s[4];
};

void impair_rng_seed(struct impair_rng *r, uint64_t seed);
uint64_t impair_rng_next(struct impair_rng *r);
/* Uniform in [0, 1). */
double impair_rng_unit(struct impair_rng *r);

/* What the user asks for one direction (percentages and milliseconds). */
struct impair_conf {
	double delay_ms;
	double jitter_ms;
	double loss_pct;	/* independent; the good state's with a burst */
	bool loss_burst;	/* Gilbert-Elliott */
	double p_gb_pct;	/* per packet, good -> bad */
	double p_bg_pct;	/* per packet, bad -> good */
	double loss_bad_pct;	/* loss in the bad state (default 100) */
	double reorder_pct;
	double reorder_delay_ms;
	double rate_mbit;	/* 0: unlimited */
	uint32_t rate_burst_bytes; /* 0: 1 ms at rate, at least 2 frames */
	uint32_t queue_pkts;
};

void impair_conf_default(struct impair_conf *c);
/* 0, or -1 with a message in err. */
int impair_conf_check(const struct impair_conf *c, char *err, size_t len);

/* Loss, either model. */
struct impair_loss {
	double p_good;		/* loss probability in the good state */
	double p_bad;
	double p_gb;		/* transitions; 0 and 0: independent loss */
	double p_bg;
	bool bad;
};

void impair_loss_init(struct impair_loss *l, const struct impair_conf *c);
bool impair_loss_drop(struct impair_loss *l, struct impair_rng *r);
/* The long-run loss fraction the model converges to. */
double impair_loss_expected(const struct impair_loss *l);

/* Token bucket in bits; rate 0 lets everything through. */
struct impair_tb {
	double bits_per_tick;
	double depth;		/* bits */
	double tokens;		/* may go below 0 after an oversized frame */
	uint64_t last;
};

void impair_tb_init(struct impair_tb *tb, double rate_bps, double depth_bits,
		    uint64_t hz, uint64_t now);
/* Take the bits of one frame if the bucket allows it now. A frame larger
 * than the bucket passes when the bucket is full, leaving a debt. */
bool impair_tb_take(struct impair_tb *tb, uint32_t bits, uint64_t now);
/* The earliest tick at which impair_tb_take(bits) succeeds. */
uint64_t impair_tb_ready_at(const struct impair_tb *tb, uint32_t bits,
			    uint64_t now);

struct impair_entry {
	void *pkt;
	uint64_t arrival;
	uint64_t release;
	uint32_t bytes;
};

/* A FIFO of entries with non-decreasing release times. */
struct impair_line {
	struct impair_entry *e;
	uint32_t size;
	uint32_t head;
	uint32_t count;
	uint64_t last_release;
};

struct impair_stats {
	uint64_t rx;		/* offered to impair_enqueue() */
	uint64_t released;	/* handed out by impair_dequeue() */
	uint64_t dropped_loss;
	uint64_t dropped_queue;
	uint64_t reordered;	/* put on the reorder line */
	uint64_t delay_sum;	/* ticks, arrival -> dequeue */
	uint64_t late_max;	/* ticks, release -> dequeue, worst */
};

struct impair_dir {
	uint64_t hz;
	uint64_t delay;		/* ticks */
	uint64_t jitter;
	uint64_t reorder_delay;
	double reorder_p;
	uint32_t queue_pkts;
	bool rate_limited;
	struct impair_rng rng;
	struct impair_loss loss;
	struct impair_tb tb;
	struct impair_line main;
	struct impair_line side;
	struct impair_stats st;
};

enum impair_verdict {
	IMPAIR_QUEUED,
	IMPAIR_DROP_LOSS,
	IMPAIR_DROP_QUEUE,
};

/* 0, or -1 (bad configuration, with a message; or no memory). */
int impair_dir_init(struct impair_dir *d, const struct impair_conf *c,
		    uint64_t hz, uint64_t seed, uint64_t now,
		    char *err, size_t len);
/* Frees the queues only: drain the packets first. */
void impair_dir_free(struct impair_dir *d);

/* A packet of BYTES bytes arrived at NOW (non-decreasing between calls).
 * On IMPAIR_QUEUED the direction owns pkt until it is dequeued. */
enum impair_verdict impair_enqueue(struct impair_dir *d, void *pkt,
				   uint32_t bytes, uint64_t now);
/* Up to MAX packets due at NOW, in release order, that the rate allows. */
unsigned int impair_dequeue(struct impair_dir *d, uint64_t now,
			    void **pkts, unsigned int max);
/* When impair_dequeue() will next have something: UINT64_MAX when
 * empty, a time <= now when something is due. */
uint64_t impair_next_event(const struct impair_dir *d, uint64_t now);
/* Everything still queued, due or not (shutdown). */
unsigned int impair_drain(struct impair_dir *d, void **pkts, unsigned int max);

static inline uint32_t
impair_queued(const struct impair_dir *d)
{
	return d->main.count + d->side.count;
}

#endif /* IMPAIR_MODEL_H */
