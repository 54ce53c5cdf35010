/* SPDX-License-Identifier: BSD-3-Clause */
#include "wg_device.h"

struct wg_keypair *
wg_send_prepare(struct wg_peer *peer, uint64_t *counter)
{
	struct wg_keypair *kp = atomic_load(&peer->keypairs.current);
	uint64_t now = wg_device_now(peer->device);

	if (kp != NULL && wg_keypair_can_send(kp, now)) {
		*counter = atomic_fetch_add(&kp->send_counter, 1);
		if (*counter < WG_REJECT_AFTER_MESSAGES)
			return kp;
		/* The nonce space is used up: never reuse a counter. */
		atomic_store(&kp->sending_valid, false);
	}
	wg_peer_send_initiation(peer, false);
	return NULL;
}

/* Rekey after REKEY_AFTER_MESSAGES, or, as initiator, after
 * REKEY_AFTER_TIME, so that a fresh keypair is ready before this one must
 * stop (the responder waits for us to avoid a thundering herd). */
static void
keep_key_fresh_on_send(struct wg_peer *peer, struct wg_keypair *kp,
		       uint64_t now)
{
	if (!atomic_load(&kp->sending_valid) ||
	    kp != atomic_load(&peer->keypairs.current))
		return;
	if (atomic_load(&kp->send_counter) > WG_REKEY_AFTER_MESSAGES ||
	    (kp->i_am_initiator &&
	     now - kp->send_birthdate >= WG_REKEY_AFTER_TIME))
		wg_peer_send_initiation(peer, false);
}

void
wg_peer_tx_activity(struct wg_peer *peer, struct wg_keypair *kp, bool data)
{
	wg_timers_any_authenticated_packet_traversal(peer);
	wg_timers_any_authenticated_packet_sent(peer);
	if (data)
		wg_timers_data_sent(peer);
	if (kp != NULL)
		keep_key_fresh_on_send(peer, kp, wg_device_now(peer->device));
}

void
wg_send_done(struct wg_peer *peer, struct wg_keypair *kp, size_t plain_len,
	     size_t wire_len)
{
	wg_peer_tx_activity(peer, kp, plain_len != 0);
	atomic_fetch_add(&peer->tx_bytes, wire_len);
}
