/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lock-free replay window: a ring of atomic 64-bit slots, each the bitmap
 * of one block of BLOCK consecutive counters under a tag saying which
 * block, and an atomic head, one past the newest block admitted.
 *
 *   block b = counter / BLOCK, slot b % nslots, lap b / nslots;
 *   slot = lap (low 28 bits) << BLOCK | bitmap.
 *
 * A check loads its slot, then head, decides, and commits with one CAS on
 * the slot; a CAS that fails reloads both and decides again.
 *
 * Which counters are judged is policy, as before: those with next -
 * counter <= window, next one past the highest counter accepted. A
 * TOO_OLD verdict is always safe, so the edge needs no atomicity of its
 * own: head - 1 is the newest block, and only a counter within a block of
 * the edge reads that block's slot for its highest bit, a lower bound of
 * the highest counter (bits are set by acceptances only). The ring holds
 * (nslots - 1) * BLOCK >= window counters behind the newest block, so a
 * counter not TOO_OLD is in one of the nslots newest blocks: b + nslots >=
 * head, all the argument below needs.
 *
 * Why no counter is accepted twice, however threads interleave:
 *
 * (R) A thread raises head above b (CAS-max) before its slot CAS writes
 *     b's tag, and that CAS is a release; slots are only ever changed by
 *     RMWs, so they continue its release sequence.
 * (1) Head is never behind a slot it is read after: a thread that loads
 *     (acquire) a slot holding block t, then loads head, reads head > t,
 *     because by (R) the raise happened before its load of head. However
 *     stale head is otherwise, that bound suffices: head is always loaded
 *     after the slot it judges, never before.
 * (2) The slot is never newer than b: b + nslots >= head (else TOO_OLD),
 *     t < head and t = b (mod nslots) give t <= b: the slot holds b, or a
 *     block at least a lap older (certainly if b >= head). Equal laps
 *     tell the two apart; there is no "newer" case to get wrong.
 * (3) So every successful CAS sets a bit of the block the slot holds, or
 *     moves the slot to a strictly newer block: once counter c is marked,
 *     its slot holds c's block with c's bit set, or a newer block, for
 *     ever.
 * (4) A later check of c reads one or the other: c's bit (DUPLICATE), or
 *     a block t >= b + nslots, so by (1) head > b + nslots: more than a
 *     window behind (TOO_OLD).
 *
 * Tags keep 28 bits of the lap, so a slot's value repeats only after the
 * sender advances 2^28 laps: 2^28 * nslots * 36 counters, 3.9e10 at the
 * smallest ring (4 slots, windows up to 108), 2.5e12 at the default
 * window, 3.2e14 at 1,048,576. It matters twice:
 *  - a slot no counter touched for 2^28 laps looks current: its stale bits
 *    may reject a few new counters as duplicates or, in the newest block,
 *    as too old; never accept one: (3) holds, the slot moves forward;
 *  - ABA: a CAS compares values, so a thread that stalls between its load
 *    and its CAS while its slot goes round 2^28 laps back to the very
 *    same bitmap could commit a stale judgment. A keypair lives at most
 *    REJECT_AFTER_TIME = 180 s: that takes 215 M counters/s sustained for
 *    the whole 180 s at the smallest ring, 13.7 G/s at the default window,
 *    more above; no peer sends that.
 * Full 64-bit tags would need a 128-bit CAS (libatomic, -mcx16). Reading
 * head before the slot, as a check naturally would, lets a stale head
 * pass a counter whose slot holds a much newer block: then tags must be
 * unambiguous over any staleness (a bound on counters per second), where
 * (R) and (1) only need them to be over one call.
 *
 * Why BLOCK 36, not 32: a 32-bit bitmap keeps 32 bits of tag but doubles
 * the ring at every power-of-two window (255 * 32 < 8192); 36 keeps the
 * ring of the former 64-bit bitmaps from 512 up, and 28 bits of lap are
 * plenty (above). The division by a constant compiles to a multiply.
 *
 * Cost: one load of the slot, one of head (relaxed) and, unless the
 * verdict is no, one CAS on the slot; head is written once per block of
 * in-order counters (a head per counter would cost a second CAS per
 * packet), never for reordered ones; the newest block's slot is read at
 * the edge of the window only. No clearing: a slot is recycled by the CAS
 * that marks its first counter, so a counter jumping past the whole ring
 * costs what any other does.
 */
#include <stdbool.h>

#include "wg_messages.h"
#include "wg_replay.h"

#define BLOCK WG_REPLAY_BLOCK
#define BITMAP ((1ULL << BLOCK) - 1)
#define MIN_WINDOW 64           /* as the former ring's smallest */

_Static_assert(MIN_WINDOW >= BLOCK, "the edge is never in the newest block");

/* Where a counter lives: its block, slot, tag and bit. */
struct wg_replay_pos {
	uint64_t block;
	uint64_t tag;                   /* lap << BLOCK, truncated */
	uint64_t bit;
	_Atomic uint64_t *slot;
};

static uint32_t
wg_replay_window(uint32_t window)
{
	return window < MIN_WINDOW ? MIN_WINDOW : window;
}

static uint32_t
wg_replay_shift(uint32_t window)
{
	uint32_t shift = 1;

	/* One slot more than the window: the newest block is partly in
	 * the future, so it does not count towards the window. */
	while (((1ULL << shift) - 1) * BLOCK < wg_replay_window(window))
		shift++;
	return shift;
}

size_t
wg_replay_size(uint32_t window)
{
	if (window > WG_REPLAY_MAX_WINDOW)
		return 0;
	return sizeof(struct wg_replay) +
	       (sizeof(uint64_t) << wg_replay_shift(window));
}

void
wg_replay_init(struct wg_replay *r, uint32_t window)
{
	uint32_t i;

	r->shift = wg_replay_shift(window);
	r->nslots = 1U << r->shift;
	r->window = wg_replay_window(window);
	/* Tag 0, empty: lap 0 is never newer than any block in its slot. */
	for (i = 0; i < r->nslots; i++)
		atomic_init(&r->slot[i], 0);
	atomic_init(&r->head, 0);
}

static inline void
wg_replay_locate(const struct wg_replay *r, uint64_t counter,
		 struct wg_replay_pos *p)
{
	p->block = counter / BLOCK;
	p->tag = (p->block >> r->shift) << BLOCK;
	p->bit = 1ULL << (counter % BLOCK);
	/* The slots are atomics the caller may only read (peek). */
	p->slot = (_Atomic uint64_t *)&r->slot[p->block & (r->nslots - 1)];
}

/* The highest counter admitted in block, at least: block is head - 1, so
 * a check of one of its counters is under way or done, and a bit is set
 * by acceptances only. A slot still holding an older lap tells no more. */
static uint64_t
wg_replay_top(const struct wg_replay *r, uint64_t block)
{
	uint64_t val = atomic_load_explicit(&r->slot[block & (r->nslots - 1)],
					    memory_order_relaxed);
	uint64_t top = block * BLOCK;

	if ((val & ~BITMAP) == (block >> r->shift) << BLOCK &&
	    (val & BITMAP) != 0)
		top += 63 - __builtin_clzll(val & BITMAP);
	return top;
}

/* Left of the window: next - counter > window, next one past the highest
 * counter accepted (head - 1 is its block). */
static inline bool
wg_replay_too_old(const struct wg_replay *r, const struct wg_replay_pos *p,
		  uint64_t counter, uint64_t head)
{
	uint64_t top;

	if (p->block >= head)
		return false;
	/* Inside the window of even the highest counter head allows (the
	 * common case: no more to read). */
	top = (head - 1) * BLOCK + BLOCK - 1;
	if (top - counter < r->window)
		return false;
	/* So counter is below the newest block (MIN_WINDOW): the edge needs
	 * the highest counter in that block. */
	top = wg_replay_top(r, head - 1);
	return top - counter >= r->window;
}

/* Raise head to at least want (CAS-max). Relaxed: the release CAS on the
 * slot that follows publishes it to whoever reads that slot, which is all
 * that (1) needs. */
static inline void
wg_replay_raise(struct wg_replay *r, uint64_t head, uint64_t want)
{
	while (head < want &&
	       !atomic_compare_exchange_weak_explicit(&r->head, &head, want,
						      memory_order_relaxed,
						      memory_order_relaxed))
		;
}

enum wg_replay_verdict
wg_replay_peek(const struct wg_replay *r, uint64_t counter)
{
	struct wg_replay_pos p;
	uint64_t val, head;

	if (counter >= WG_REJECT_AFTER_MESSAGES)
		return WG_REPLAY_LIMIT;
	wg_replay_locate(r, counter, &p);
	/* The same order as check: the slot first, then head. */
	val = atomic_load_explicit(p.slot, memory_order_acquire);
	head = atomic_load_explicit(&r->head, memory_order_relaxed);
	if (wg_replay_too_old(r, &p, counter, head))
		return WG_REPLAY_TOO_OLD;
	if (p.block < head && (val & ~BITMAP) == p.tag && (val & p.bit))
		return WG_REPLAY_DUPLICATE;
	return WG_REPLAY_OK;
}

enum wg_replay_verdict
wg_replay_check(struct wg_replay *r, uint64_t counter)
{
	struct wg_replay_pos p;
	uint64_t val, want, head;

	if (counter >= WG_REJECT_AFTER_MESSAGES)
		return WG_REPLAY_LIMIT;
	wg_replay_locate(r, counter, &p);
	val = atomic_load_explicit(p.slot, memory_order_acquire);
	for (;;) {
		/* After the slot, never before: (1). */
		head = atomic_load_explicit(&r->head, memory_order_relaxed);
		if (wg_replay_too_old(r, &p, counter, head))
			return WG_REPLAY_TOO_OLD;
		if (p.block >= head) {
			/* A new block: by (1) the slot holds an older one.
			 * Head first: (R). */
			wg_replay_raise(r, head, p.block + 1);
			want = p.tag | p.bit;
		} else if ((val & ~BITMAP) == p.tag) {
			if (val & p.bit)
				return WG_REPLAY_DUPLICATE;
			want = val | p.bit;
		} else {
			/* At least a lap older, by (2): recycle it. */
			want = p.tag | p.bit;
		}
		if (atomic_compare_exchange_weak_explicit(p.slot, &val, want,
							  memory_order_release,
							  memory_order_acquire))
			return WG_REPLAY_OK;
	}
}
