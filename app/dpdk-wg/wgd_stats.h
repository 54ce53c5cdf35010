/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef WGD_STATS_H
#define WGD_STATS_H

/**
 * @file
 * Counters as the stats table, the prompt and telemetry read them.
 *
 * Every counter has one writer (a worker, or the control lcore), so
 * "clear stats" may not zero them: it takes a baseline instead, and a
 * reader asking for since_clear gets the baseline subtracted. Call from
 * the control lcore, or with wgd.ctl_lock held.
 */

#include <stdbool.h>
#include <stdint.h>

#include "wgd.h"

/** Counters of lcore slot l: workers 0..nb_workers-1, then the control
 * lcore (nb_workers). */
void wgd_lcore_stats_get(unsigned int l, struct wgd_lcore_stats *st,
			 bool since_clear);

/** Drops counted by the protocol core's device (handshakes, on the
 * control lcore); reason < WG_DROP_REASON_MAX. */
uint64_t wgd_dev_drops_get(unsigned int reason, bool since_clear);

/** A peer's authenticated bytes each way. */
void wgd_peer_bytes_get(const struct wgd_peer *p, uint64_t *rx, uint64_t *tx,
			bool since_clear);

/** A path slot's counters summed over the lcores (max_counter: the
 * highest, never cleared). */
void wgd_path_stats_get(const struct wgd_peer *p, unsigned int slot,
			struct wgd_path_stats *st, bool since_clear);

/** Forget the baseline of p's slot: a new peer took it (UAPI). */
void wgd_stats_peer_reset(const struct wgd_peer *p);

/** What a reader saw of a path at its last look (loss estimate). */
struct wgd_loss_mark {
	uint64_t rx;
	uint64_t max_counter;
};

/**
 * Loss of a path since the reader's mark, in parts per million: the share
 * of counters it did not carry (meaningful where every path carries every
 * counter: a duplicating sender). -1: not known (no new counters, a
 * rekey, a clear). Moves the mark.
 */
int32_t wgd_path_loss_ppm(struct wgd_loss_mark *mark,
			  const struct wgd_path_stats *st);

/** Mean lag of a path's duplicates behind the first copy, in ns. */
uint64_t wgd_path_lag_ns(const struct wgd_path_stats *st);

/**
 * State of path i of ps: "admin_down" (its uplink set down by hand),
 * "link_down", "active" (data goes out on it), "unresolved" (next hop
 * unknown), and for failover "live" (answering) or "down"; else "up".
 */
const char *wgd_path_state(const struct wgd_peer *p,
			   const struct wgd_pathset *ps, unsigned int i);

#endif /* WGD_STATS_H */
