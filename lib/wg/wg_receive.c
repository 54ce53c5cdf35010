/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "wg_crypto.h"
#include "wg_device.h"

static const size_t msg_len[] = {
	[WG_MSG_HANDSHAKE_INITIATION] = WG_MSG_INITIATION_LEN,
	[WG_MSG_HANDSHAKE_RESPONSE] = WG_MSG_RESPONSE_LEN,
	[WG_MSG_HANDSHAKE_COOKIE] = WG_MSG_COOKIE_LEN,
};

enum wg_msg_type
wg_msg_classify(const void *pkt, size_t len, int *reason)
{
	uint32_t type;

	if (len < sizeof(struct wg_msg_header)) {
		*reason = WG_DROP_TRUNCATED;
		return WG_MSG_INVALID;
	}
	memcpy(&type, pkt, sizeof(type));
	type = wg_le32(type);
	/* Handshake messages have exact sizes; data is at least a header
	 * and a tag, and always a multiple of 16 bytes of payload per the
	 * padding rule, which we do not enforce (the kernel does not). */
	switch (type) {
	case WG_MSG_HANDSHAKE_INITIATION:
	case WG_MSG_HANDSHAKE_RESPONSE:
	case WG_MSG_HANDSHAKE_COOKIE:
		if (len != msg_len[type])
			break;
		*reason = WG_DROP_NONE;
		return type;
	case WG_MSG_DATA:
		if (len < WG_MSG_DATA_MIN_LEN)
			break;
		*reason = WG_DROP_NONE;
		return WG_MSG_DATA;
	default:
		*reason = WG_DROP_BAD_TYPE;
		return WG_MSG_INVALID;
	}
	*reason = WG_DROP_TRUNCATED;
	return WG_MSG_INVALID;
}

static void
send_reply(struct wg_device *dev, const struct wg_endpoint *to,
	   const void *msg, size_t len)
{
	if (dev->ops.send_reply != NULL)
		dev->ops.send_reply(dev->ops_arg, to, msg, len);
}

static void
send_cookie(struct wg_device *dev, const void *pkt, size_t len,
	    uint32_t sender_index, const struct wg_endpoint *src)
{
	struct wg_msg_cookie reply;

	wg_cookie_reply_create(&reply, pkt, len, sender_index,
			       &dev->cookie_checker, src, wg_device_now(dev));
	dev->cookies_sent++;
	send_reply(dev, src, &reply, sizeof(reply));
}

static enum wg_drop_reason
receive_cookie(struct wg_device *dev, const struct wg_msg_cookie *msg)
{
	struct wg_index_entry *entry;

	entry = wg_index_find(dev, msg->receiver_index, WG_INDEX_HANDSHAKE);
	if (entry == NULL)
		entry = wg_index_find(dev, msg->receiver_index,
				      WG_INDEX_KEYPAIR);
	if (entry == NULL)
		return WG_DROP_UNKNOWN_INDEX;
	if (!wg_cookie_reply_consume(&entry->peer->cookie, msg,
				     wg_device_now(dev)))
		return WG_DROP_COOKIE_AUTH;
	/* The retransmit timer resends the initiation, now with MAC2. */
	return WG_DROP_NONE;
}

static void
send_response(struct wg_device *dev, struct wg_peer *peer,
	      const struct wg_endpoint *to)
{
	struct wg_msg_response msg;

	peer->last_sent_handshake = wg_device_now(dev);
	if (!wg_noise_create_response(dev, peer, &msg))
		return;
	wg_cookie_add_macs(&peer->cookie, &msg, sizeof(msg),
			   wg_device_now(dev));
	if (wg_noise_begin_session(dev, peer)) {
		wg_timers_session_derived(peer);
		wg_timers_any_authenticated_packet_traversal(peer);
		wg_timers_any_authenticated_packet_sent(peer);
		send_reply(dev, to, &msg, sizeof(msg));
	}
	wg_memzero(&msg, sizeof(msg));
}

static void
session_confirmed(struct wg_device *dev, struct wg_peer *peer)
{
	/* Flush what waited for the key; with nothing waiting, a keepalive
	 * confirms the session to the responder at once. */
	if (dev->ops.keypair_ready == NULL ||
	    !dev->ops.keypair_ready(dev->ops_arg, peer))
		wg_peer_send_keepalive(peer);
}

static enum wg_drop_reason
receive_handshake(struct wg_device *dev, enum wg_msg_type type,
		  const void *pkt, size_t len, const struct wg_endpoint *src,
		  bool under_load)
{
	enum wg_cookie_mac_state mac;
	struct wg_peer *peer;
	int reason;

	if (type == WG_MSG_HANDSHAKE_COOKIE)
		return receive_cookie(dev, pkt);

	mac = wg_cookie_validate(&dev->cookie_checker, pkt, len, src,
				 under_load, wg_device_now(dev));
	if (mac == WG_COOKIE_INVALID_MAC)
		return WG_DROP_BAD_MAC1;
	if (under_load && mac != WG_COOKIE_VALID_MAC_WITH_COOKIE) {
		uint32_t sender;

		/* Both messages carry the sender index at offset 4. */
		memcpy(&sender, (const uint8_t *)pkt + 4, sizeof(sender));
		send_cookie(dev, pkt, len, sender, src);
		return WG_DROP_COOKIE_SENT;
	}

	if (type == WG_MSG_HANDSHAKE_INITIATION) {
		peer = wg_noise_consume_initiation(dev, pkt, &reason);
		if (peer == NULL)
			return reason;
		dev->handshakes_in++;
		wg_peer_set_endpoint(peer, src);
		send_response(dev, peer, src);
	} else {
		peer = wg_noise_consume_response(dev, pkt, &reason);
		if (peer == NULL)
			return reason;
		dev->handshakes_in++;
		wg_peer_set_endpoint(peer, src);
		if (wg_noise_begin_session(dev, peer)) {
			wg_timers_session_derived(peer);
			wg_timers_handshake_complete(peer);
			session_confirmed(dev, peer);
		}
	}
	wg_timers_any_authenticated_packet_received(peer);
	wg_timers_any_authenticated_packet_traversal(peer);
	return WG_DROP_NONE;
}

enum wg_drop_reason
wg_receive_handshake(struct wg_device *dev, const void *pkt, size_t len,
		     const struct wg_endpoint *src, bool under_load)
{
	enum wg_msg_type type;
	int reason;

	type = wg_msg_classify(pkt, len, &reason);
	if (type == WG_MSG_DATA) {
		reason = WG_DROP_BAD_TYPE;
	} else if (type != WG_MSG_INVALID) {
		reason = receive_handshake(dev, type, pkt, len, src,
					   under_load);
	}
	if (reason != WG_DROP_NONE)
		dev->drops[reason]++;
	return reason;
}

struct wg_keypair *
wg_data_lookup(const struct wg_device *dev, const void *pkt, size_t len,
	       enum wg_drop_reason *reason)
{
	const struct wg_msg_data *msg = pkt;
	struct wg_index_entry *entry;
	struct wg_keypair *kp;

	if (len < WG_MSG_DATA_MIN_LEN) {
		*reason = WG_DROP_TRUNCATED;
		return NULL;
	}
	if (wg_le32(msg->header.type) != WG_MSG_DATA) {
		*reason = WG_DROP_BAD_TYPE;
		return NULL;
	}
	entry = wg_index_find(dev, msg->receiver_index, WG_INDEX_KEYPAIR);
	if (entry == NULL) {
		*reason = WG_DROP_UNKNOWN_INDEX;
		return NULL;
	}
	kp = wg_keypair_of_entry(entry);
	if (!wg_keypair_can_receive(kp, wg_device_now(dev))) {
		*reason = WG_DROP_KEY_EXPIRED;
		return NULL;
	}
	*reason = WG_DROP_NONE;
	return kp;
}

/* As initiator, rekey before the keypair becomes unusable for receiving,
 * once, in the last minute (KEEPALIVE + REKEY_TIMEOUT before it expires). */
static void
keep_key_fresh_on_receive(struct wg_peer *peer, uint64_t now)
{
	struct wg_keypair *kp = atomic_load(&peer->keypairs.current);

	if (peer->timers.sent_lastminute_handshake || kp == NULL ||
	    !atomic_load(&kp->sending_valid) || !kp->i_am_initiator)
		return;
	if (now - kp->birthdate >= WG_REJECT_AFTER_TIME -
				   WG_KEEPALIVE_TIMEOUT - WG_REKEY_TIMEOUT) {
		peer->timers.sent_lastminute_handshake = true;
		wg_peer_send_initiation(peer, false);
	}
}

enum wg_drop_reason
wg_data_check_replay(struct wg_keypair *kp, uint64_t counter)
{
	switch (wg_replay_check(wg_keypair_replay(kp), counter)) {
	case WG_REPLAY_OK:
		return WG_DROP_NONE;
	case WG_REPLAY_DUPLICATE:
		return WG_DROP_REPLAY;
	case WG_REPLAY_TOO_OLD:
		return WG_DROP_TOO_OLD;
	case WG_REPLAY_LIMIT:
	default:
		return WG_DROP_KEY_EXPIRED;
	}
}

enum wg_drop_reason
wg_data_check_replay_peek(const struct wg_keypair *kp, uint64_t counter)
{
	switch (wg_replay_peek(wg_keypair_replay(kp), counter)) {
	case WG_REPLAY_OK:
		return WG_DROP_NONE;
	case WG_REPLAY_DUPLICATE:
		return WG_DROP_REPLAY;
	case WG_REPLAY_TOO_OLD:
		return WG_DROP_TOO_OLD;
	case WG_REPLAY_LIMIT:
	default:
		return WG_DROP_KEY_EXPIRED;
	}
}

bool
wg_peer_confirm_keypair(struct wg_peer *peer, struct wg_keypair *kp)
{
	struct wg_device *dev = peer->device;

	if (!wg_noise_received_with_keypair(dev, peer, kp))
		return false;
	wg_timers_handshake_complete(peer);
	if (dev->ops.keypair_ready != NULL)
		dev->ops.keypair_ready(dev->ops_arg, peer);
	return true;
}

void
wg_peer_rx_activity(struct wg_peer *peer, bool data)
{
	keep_key_fresh_on_receive(peer, wg_device_now(peer->device));
	wg_timers_any_authenticated_packet_received(peer);
	wg_timers_any_authenticated_packet_traversal(peer);
	if (data)
		wg_timers_data_received(peer);
}

enum wg_drop_reason
wg_data_accept(struct wg_device *dev, struct wg_keypair *kp, uint64_t counter,
	       size_t plain_len, const struct wg_endpoint *src)
{
	struct wg_peer *peer = kp->entry.peer;
	enum wg_drop_reason reason = wg_data_check_replay(kp, counter);

	(void)dev;
	if (reason != WG_DROP_NONE)
		return reason;
	wg_peer_confirm_keypair(peer, kp);
	if (src != NULL)
		wg_peer_set_endpoint(peer, src);
	wg_peer_rx_activity(peer, plain_len != 0);
	atomic_fetch_add(&peer->rx_bytes, plain_len + WG_MSG_DATA_MIN_LEN);
	return WG_DROP_NONE;
}
