/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef WG_TIMERS_H
#define WG_TIMERS_H

/**
 * @file
 * The per-peer timer state machine of whitepaper section 6, as the Linux
 * kernel implements it: events arm and disarm deadlines, and
 * wg_timers_run() fires what has expired. Time comes from the device's
 * injected clock, so tests drive the whole machine in virtual time.
 */

#include <stdbool.h>
#include <stdint.h>

struct wg_peer;

/** Deadlines in monotonic ns; 0 means not armed. */
struct wg_timers {
	uint64_t retransmit_handshake;
	uint64_t send_keepalive;
	uint64_t new_handshake;
	uint64_t zero_key_material;
	uint64_t persistent_keepalive;
	unsigned int handshake_attempts;
	bool need_another_keepalive;
	bool sent_lastminute_handshake;
};

/* Events, named as in the kernel's timers.c. */
void wg_timers_data_sent(struct wg_peer *peer);
void wg_timers_data_received(struct wg_peer *peer);
void wg_timers_any_authenticated_packet_sent(struct wg_peer *peer);
void wg_timers_any_authenticated_packet_received(struct wg_peer *peer);
void wg_timers_handshake_initiated(struct wg_peer *peer);
void wg_timers_handshake_complete(struct wg_peer *peer);
void wg_timers_session_derived(struct wg_peer *peer);
void wg_timers_any_authenticated_packet_traversal(struct wg_peer *peer);

/** Disarm everything (peer removed or interface down). */
void wg_timers_stop(struct wg_peer *peer);

/** Fire every expired timer of the peer. */
void wg_timers_run(struct wg_peer *peer);

/** Earliest armed deadline, or 0 if none. */
uint64_t wg_timers_next_deadline(const struct wg_peer *peer);

#endif /* WG_TIMERS_H */
