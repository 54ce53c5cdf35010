/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef WG_REPLAY_H
#define WG_REPLAY_H

/**
 * @file
 * Sliding-window replay protection for transport counters (RFC 6479),
 * lock-free: any number of threads may check and peek one window at once.
 *
 * Redundant multi-path delivery needs windows far larger than WireGuard's
 * 8,128 counters (copies arriving over a slower path are still judged
 * while their counter is inside the window), and its copies of one packet
 * reach different workers, which check the same keypair concurrently.
 *
 * A ring of 64-bit slots, each one atomic word: the bitmap of a block of
 * WG_REPLAY_BLOCK consecutive counters and a tag naming which block, so a
 * slot is recycled by the CAS that marks its first counter and the window
 * slides without clearing anything: every check costs O(1), at any window
 * size and whatever the jump. wg_replay.c argues why no counter is ever
 * accepted twice.
 *
 * Judged are the counters with next - counter <= window, next one past
 * the highest accepted, window the one asked for (at least 64): exactly,
 * where the former ring judged its rounded-up size.
 *
 * Costs: the ring is a power of two slots holding at least the window
 * and one block more; as the former 64-bit bitmap ring at power-of-two
 * windows, a window of 8192 counters takes 2 KiB, 1,048,576 take 256 KiB,
 * 2^24 take 4 MiB, per keypair.
 */

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define WG_REPLAY_DEFAULT_WINDOW 8192
#define WG_REPLAY_MAX_WINDOW (1U << 24)

/** Counters per slot; the other 64 - 36 bits of a slot are its tag. */
#define WG_REPLAY_BLOCK 36

enum wg_replay_verdict {
	WG_REPLAY_OK = 0,        /**< new counter, now marked as seen */
	WG_REPLAY_DUPLICATE,     /**< seen before, inside the window */
	WG_REPLAY_TOO_OLD,       /**< left of the window: cannot tell */
	WG_REPLAY_LIMIT,         /**< counter past REJECT_AFTER_MESSAGES */
};

struct wg_replay {
	_Atomic uint64_t head;   /**< one past the newest block admitted */
	uint32_t nslots;         /**< power of two */
	uint32_t shift;          /**< log2(nslots) */
	uint32_t window;         /**< judged: next - counter <= window,
				      next one past the highest accepted */
	_Atomic uint64_t slot[]; /**< tag << WG_REPLAY_BLOCK | bitmap */
};

/**
 * Bytes a window of at least `window` counters occupies, for allocation
 * before wg_replay_init(); 0 if window exceeds WG_REPLAY_MAX_WINDOW.
 */
size_t wg_replay_size(uint32_t window);

/**
 * Initialise storage of wg_replay_size(window) bytes, before the window
 * is shared with other threads.
 */
void wg_replay_init(struct wg_replay *r, uint32_t window);

/**
 * Would counter be accepted? Changes nothing, so it may be asked of any
 * packet before it is authenticated: a copy the window has already seen
 * (redundant paths) need not be decrypted. Under concurrent checks the
 * answer may be overtaken, never wrong about the past: DUPLICATE and
 * TOO_OLD stay true.
 */
enum wg_replay_verdict wg_replay_peek(const struct wg_replay *r,
				      uint64_t counter);

/**
 * Judge counter; only an authenticated packet's counter may be given.
 * Safe from any number of threads at once: of all the checks of one
 * counter, at most one returns WG_REPLAY_OK.
 */
enum wg_replay_verdict wg_replay_check(struct wg_replay *r, uint64_t counter);

/**
 * Ask for the lines a check of counter reads and writes, ahead of it: a
 * hint for a burst over many keypairs, whose windows are not in cache.
 */
static inline void
wg_replay_prefetch(const struct wg_replay *r, uint64_t counter)
{
	__builtin_prefetch(r, 1);
	__builtin_prefetch(&r->slot[(counter / WG_REPLAY_BLOCK) &
				    (r->nslots - 1)], 1);
}

#endif /* WG_REPLAY_H */
