/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wg_crypto.h"
#include "wg_device.h"
#include "wg_peer.h"

struct wg_peer *
wg_peer_create(struct wg_device *dev, const uint8_t public_key[WG_KEY_LEN],
	       const uint8_t preshared_key[WG_KEY_LEN])
{
	struct wg_peer *peer;

	if ((dev->has_identity &&
	     wg_crypto_equal(public_key, dev->static_public, WG_KEY_LEN)) ||
	    wg_device_lookup_peer(dev, public_key) != NULL) {
		errno = EEXIST;
		return NULL;
	}
	/* Line-aligned: its first line (keypair slots, user) is read for
	 * every packet. */
	peer = aligned_alloc(WG_CACHE_LINE, (sizeof(*peer) + WG_CACHE_LINE - 1) &
			     ~(size_t)(WG_CACHE_LINE - 1));
	if (peer == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memset(peer, 0, sizeof(*peer));
	peer->device = dev;
	memcpy(peer->public_key, public_key, WG_KEY_LEN);
	wg_noise_handshake_init(&peer->handshake, peer, public_key,
				preshared_key);
	wg_cookie_init(&peer->cookie, public_key);
	if (wg_device_add_peer_key(dev, peer) != 0) {
		/* Two keys sharing their first 8 bytes: not by chance. */
		wg_memzero(peer, sizeof(*peer));
		free(peer);
		errno = EEXIST;
		return NULL;
	}
	TAILQ_INSERT_TAIL(&dev->peers, peer, link);
	dev->peer_count++;
	return peer;
}

void
wg_peer_remove(struct wg_peer *peer)
{
	struct wg_device *dev = peer->device;

	wg_timers_stop(peer);
	if (dev->ops.purge_queue != NULL)
		dev->ops.purge_queue(dev->ops_arg, peer);
	wg_noise_handshake_clear(dev, &peer->handshake);
	wg_noise_keypairs_clear(dev, peer);
	wg_device_del_peer_key(dev, peer);
	TAILQ_REMOVE(&dev->peers, peer, link);
	dev->peer_count--;
	wg_memzero(peer, sizeof(*peer));
	free(peer);
}

void
wg_peer_set_preshared_key(struct wg_peer *peer, const uint8_t psk[WG_KEY_LEN])
{
	if (psk != NULL)
		memcpy(peer->handshake.preshared_key, psk, WG_KEY_LEN);
	else
		wg_memzero(peer->handshake.preshared_key, WG_KEY_LEN);
}

void
wg_peer_set_endpoint(struct wg_peer *peer, const struct wg_endpoint *ep)
{
	struct wg_device *dev = peer->device;

	if (wg_endpoint_equal(&peer->endpoint, ep))
		return;
	peer->endpoint = *ep;
	if (dev->ops.endpoint_changed != NULL)
		dev->ops.endpoint_changed(dev->ops_arg, peer);
}

void
wg_peer_set_persistent_keepalive(struct wg_peer *peer, uint16_t secs)
{
	bool was_off = peer->persistent_keepalive_interval == 0;

	peer->persistent_keepalive_interval = secs;
	/* Turning it on sends one at once, as wg(8) users expect. */
	if (was_off && secs != 0 && peer->endpoint.family != WG_AF_NONE)
		wg_peer_send_keepalive(peer);
}

void
wg_peer_send_initiation(struct wg_peer *peer, bool is_retry)
{
	struct wg_device *dev = peer->device;
	struct wg_msg_initiation msg;
	uint64_t now = wg_device_now(dev);

	if (!is_retry)
		peer->timers.handshake_attempts = 0;

	/* One initiation per REKEY_TIMEOUT, whatever asks for it. */
	if (peer->last_sent_handshake != 0 &&
	    now - peer->last_sent_handshake < WG_REKEY_TIMEOUT)
		return;
	peer->last_sent_handshake = now;

	if (!wg_noise_create_initiation(dev, peer, &msg))
		return;
	wg_cookie_add_macs(&peer->cookie, &msg, sizeof(msg), now);
	wg_timers_any_authenticated_packet_traversal(peer);
	wg_timers_any_authenticated_packet_sent(peer);
	wg_timers_handshake_initiated(peer);
	dev->handshakes_out++;
	if (dev->ops.send_handshake != NULL)
		dev->ops.send_handshake(dev->ops_arg, peer, &msg, sizeof(msg));
	wg_memzero(&msg, sizeof(msg));
}

void
wg_peer_send_probe(struct wg_peer *peer)
{
	/* Multi-path probing proves a path with a handshake on it, more
	 * often than REKEY_TIMEOUT would let through. */
	peer->last_sent_handshake = 0;
	wg_peer_send_initiation(peer, true);
}

void
wg_peer_send_keepalive(struct wg_peer *peer)
{
	struct wg_device *dev = peer->device;

	if (dev->ops.send_keepalive != NULL)
		dev->ops.send_keepalive(dev->ops_arg, peer);
}
