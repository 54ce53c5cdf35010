/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Timer rules (whitepaper 6.2 - 6.5, and the kernel's timers.c):
 *
 * - retransmit_handshake: REKEY_TIMEOUT + jitter after an initiation with
 *   no response; retries for REKEY_ATTEMPT_TIME, then gives up.
 * - send_keepalive: KEEPALIVE_TIMEOUT after receiving data with nothing
 *   sent back, so the other side knows we are alive.
 * - new_handshake: KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + jitter after
 *   sending data with nothing received: the session is presumed dead.
 * - zero_key_material: 3 * REJECT_AFTER_TIME after the last session was
 *   derived, all keys are wiped.
 * - persistent_keepalive: every N seconds of no authenticated traffic.
 */
#include "wg_crypto.h"
#include "wg_device.h"
#include "wg_timers.h"

static uint64_t
now_of(struct wg_peer *peer)
{
	return wg_device_now(peer->device);
}

static uint64_t
jitter(void)
{
	return wg_random_u32() % WG_REKEY_TIMEOUT_JITTER_MAX;
}

static void
arm(struct wg_peer *peer, uint64_t *timer, uint64_t delay)
{
	*timer = now_of(peer) + delay;
}

void
wg_timers_data_sent(struct wg_peer *peer)
{
	if (peer->timers.new_handshake == 0)
		arm(peer, &peer->timers.new_handshake,
		    WG_KEEPALIVE_TIMEOUT + WG_REKEY_TIMEOUT + jitter());
}

void
wg_timers_data_received(struct wg_peer *peer)
{
	if (peer->timers.send_keepalive == 0)
		arm(peer, &peer->timers.send_keepalive, WG_KEEPALIVE_TIMEOUT);
	else
		peer->timers.need_another_keepalive = true;
}

void
wg_timers_any_authenticated_packet_sent(struct wg_peer *peer)
{
	peer->timers.send_keepalive = 0;
}

void
wg_timers_any_authenticated_packet_received(struct wg_peer *peer)
{
	peer->timers.new_handshake = 0;
}

void
wg_timers_handshake_initiated(struct wg_peer *peer)
{
	arm(peer, &peer->timers.retransmit_handshake,
	    WG_REKEY_TIMEOUT + jitter());
}

void
wg_timers_handshake_complete(struct wg_peer *peer)
{
	peer->timers.retransmit_handshake = 0;
	peer->timers.handshake_attempts = 0;
	peer->timers.sent_lastminute_handshake = false;
	peer->last_handshake_realtime =
		peer->device->clock.realtime_ns(peer->device->clock.arg);
}

void
wg_timers_session_derived(struct wg_peer *peer)
{
	arm(peer, &peer->timers.zero_key_material, 3 * WG_REJECT_AFTER_TIME);
}

void
wg_timers_any_authenticated_packet_traversal(struct wg_peer *peer)
{
	if (peer->persistent_keepalive_interval != 0)
		arm(peer, &peer->timers.persistent_keepalive,
		    (uint64_t)peer->persistent_keepalive_interval *
			    WG_NS_PER_SEC);
}

void
wg_timers_stop(struct wg_peer *peer)
{
	peer->timers.retransmit_handshake = 0;
	peer->timers.send_keepalive = 0;
	peer->timers.new_handshake = 0;
	peer->timers.zero_key_material = 0;
	peer->timers.persistent_keepalive = 0;
}

static void
expired_retransmit_handshake(struct wg_peer *peer)
{
	struct wg_device *dev = peer->device;

	if (peer->timers.handshake_attempts > WG_MAX_TIMER_HANDSHAKES) {
		/* Give up: drop what waits for a key, and let the keys go
		 * in 3 * REJECT_AFTER_TIME unless a handshake comes. */
		peer->timers.send_keepalive = 0;
		if (dev->ops.purge_queue != NULL)
			dev->ops.purge_queue(dev->ops_arg, peer);
		if (peer->timers.zero_key_material == 0)
			arm(peer, &peer->timers.zero_key_material,
			    3 * WG_REJECT_AFTER_TIME);
		return;
	}
	peer->timers.handshake_attempts++;
	wg_peer_send_initiation(peer, true);
}

static void
expired_send_keepalive(struct wg_peer *peer)
{
	wg_peer_send_keepalive(peer);
	if (peer->timers.need_another_keepalive) {
		peer->timers.need_another_keepalive = false;
		arm(peer, &peer->timers.send_keepalive, WG_KEEPALIVE_TIMEOUT);
	}
}

static void
expired_new_handshake(struct wg_peer *peer)
{
	/* We sent data and heard nothing back: start over. */
	wg_peer_send_initiation(peer, false);
}

static void
expired_zero_key_material(struct wg_peer *peer)
{
	struct wg_device *dev = peer->device;

	wg_noise_handshake_clear(dev, &peer->handshake);
	wg_noise_keypairs_clear(dev, peer);
}

static void
expired_persistent_keepalive(struct wg_peer *peer)
{
	if (peer->persistent_keepalive_interval != 0)
		wg_peer_send_keepalive(peer);
}

/* Take a deadline if it has passed: it fires once. */
static bool
take(uint64_t *timer, uint64_t now)
{
	if (*timer == 0 || *timer > now)
		return false;
	*timer = 0;
	return true;
}

void
wg_timers_run(struct wg_peer *peer)
{
	uint64_t now = now_of(peer);

	if (take(&peer->timers.zero_key_material, now))
		expired_zero_key_material(peer);
	if (take(&peer->timers.retransmit_handshake, now))
		expired_retransmit_handshake(peer);
	if (take(&peer->timers.new_handshake, now))
		expired_new_handshake(peer);
	if (take(&peer->timers.send_keepalive, now))
		expired_send_keepalive(peer);
	if (take(&peer->timers.persistent_keepalive, now))
		expired_persistent_keepalive(peer);
}

static uint64_t
earliest(uint64_t a, uint64_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

uint64_t
wg_timers_next_deadline(const struct wg_peer *peer)
{
	const struct wg_timers *t = &peer->timers;
	uint64_t d = earliest(t->retransmit_handshake, t->send_keepalive);

	d = earliest(d, t->new_handshake);
	d = earliest(d, t->zero_key_material);
	return earliest(d, t->persistent_keepalive);
}
