/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef WG_REPLAY_H
#define WG_REPLAY_H

/**
 * @file
 * Sliding-window replay protection for transport counters (RFC 6479).
 *
 * A ring of 64-bit words: the window slides by clearing whole words, so a
 * check costs O(1) amortised at any window size. Redundant multi-path
 * delivery needs windows far larger than WireGuard's 8,128 counters: copies
 * arriving over a slower path are still accepted while their counter is
 * inside the window.
 *
 * One writer per window: the caller serialises updates of one keypair.
 *
 * Costs: the ring is rounded up to a power of two words, so a window of
 * 8192 counters takes 2 KiB and judges 16,320; 1,048,576 takes 256 KiB per
 * keypair. A counter that jumps past the whole ring clears every word
 * once (microseconds at 1M): O(1) amortised over how far counters
 * advance, and only an authenticated sender can make them advance.
 */

#include <stdint.h>
#include <stddef.h>

#define WG_REPLAY_DEFAULT_WINDOW 8192
#define WG_REPLAY_MAX_WINDOW (1U << 24)

enum wg_replay_verdict {
	WG_REPLAY_OK = 0,        /**< new counter, now marked as seen */
	WG_REPLAY_DUPLICATE,     /**< seen before, inside the window */
	WG_REPLAY_TOO_OLD,       /**< left of the window: cannot tell */
	WG_REPLAY_LIMIT,         /**< counter past REJECT_AFTER_MESSAGES */
};

struct wg_replay {
	uint64_t next;      /**< one past the highest counter accepted */
	uint32_t nwords;    /**< power of two */
	uint32_t window;    /**< counters guaranteed to be judged: (nwords-1)*64 */
	uint64_t bitmap[];
};

/**
 * Bytes a window of at least `window` counters occupies, for allocation
 * before wg_replay_init(); 0 if window exceeds WG_REPLAY_MAX_WINDOW.
 */
size_t wg_replay_size(uint32_t window);

/** Initialise storage of wg_replay_size(window) bytes. */
void wg_replay_init(struct wg_replay *r, uint32_t window);

/**
 * Would counter be accepted? Changes nothing, so it may be asked of any
 * packet before it is authenticated: a copy the window has already seen
 * (redundant paths) need not be decrypted.
 */
enum wg_replay_verdict wg_replay_peek(const struct wg_replay *r,
				      uint64_t counter);

/** Judge counter; only an authenticated packet's counter may be given. */
enum wg_replay_verdict wg_replay_check(struct wg_replay *r, uint64_t counter);

#endif /* WG_REPLAY_H */
