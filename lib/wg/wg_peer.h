/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef WG_PEER_H
#define WG_PEER_H

/**
 * @file
 * A WireGuard peer: its static key, handshake, keypairs, cookie state,
 * timers and endpoint. Owned by the control thread; the data path reads
 * the keypair slots and endpoint.
 */

#include <stdatomic.h>
#include <stdint.h>
#include <sys/queue.h>

#include "wg_cookie.h"
#include "wg_endpoint.h"
#include "wg_noise.h"
#include "wg_timers.h"

struct wg_peer {
	/* What a data path reads for every packet, first and together:
	 * with many peers, one line to miss rather than two. */
	struct wg_keypairs keypairs;
	void *user;          /**< the embedding application's per-peer state */
	struct wg_device *device;
	TAILQ_ENTRY(wg_peer) link;
	uint8_t public_key[WG_KEY_LEN];
	struct wg_handshake handshake;
	struct wg_cookie cookie;
	struct wg_timers timers;
	struct wg_endpoint endpoint;
	uint16_t persistent_keepalive_interval;  /**< seconds, 0 = off */
	uint64_t last_sent_handshake;            /**< monotonic ns, 0 = never */
	uint64_t last_handshake_realtime;        /**< ns since the epoch, 0 = never */
	_Atomic uint64_t rx_bytes;
	_Atomic uint64_t tx_bytes;
};

/** Create a peer; NULL with errno EEXIST (same key as ours or another
 * peer's) or ENOMEM. */
struct wg_peer *wg_peer_create(struct wg_device *dev,
			       const uint8_t public_key[WG_KEY_LEN],
			       const uint8_t preshared_key[WG_KEY_LEN]);

/** Remove a peer: its keys are wiped and its indices vanish at once. */
void wg_peer_remove(struct wg_peer *peer);

void wg_peer_set_preshared_key(struct wg_peer *peer,
			       const uint8_t psk[WG_KEY_LEN]);
void wg_peer_set_endpoint(struct wg_peer *peer, const struct wg_endpoint *ep);
void wg_peer_set_persistent_keepalive(struct wg_peer *peer, uint16_t secs);

/** Start a handshake now (rate-limited to one per REKEY_TIMEOUT unless
 * it is a retry the retransmit timer asked for). */
void wg_peer_send_initiation(struct wg_peer *peer, bool is_retry);

/** Send an initiation now, past the one-per-REKEY_TIMEOUT limit: a probe
 * that a path is alive (the response comes back on it). */
void wg_peer_send_probe(struct wg_peer *peer);

/** Send a keepalive through the device's hook. */
void wg_peer_send_keepalive(struct wg_peer *peer);

#endif /* WG_PEER_H */
