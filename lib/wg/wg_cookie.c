/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "wg_cookie.h"
#include "wg_crypto.h"

static const char mac1_label[8] = "mac1----";
static const char cookie_label[8] = "cookie--";

static void
wg_cookie_derive_key(uint8_t key[WG_KEY_LEN], const char label[8],
		     const uint8_t pubkey[WG_KEY_LEN])
{
	wg_hash2(key, label, 8, pubkey, WG_KEY_LEN);
}

void
wg_cookie_checker_init(struct wg_cookie_checker *checker,
		       const uint8_t our_public[WG_KEY_LEN])
{
	memset(checker, 0, sizeof(*checker));
	wg_cookie_derive_key(checker->cookie_encryption_key, cookie_label,
			     our_public);
	wg_cookie_derive_key(checker->message_mac1_key, mac1_label,
			     our_public);
}

void
wg_cookie_init(struct wg_cookie *cookie, const uint8_t peer_public[WG_KEY_LEN])
{
	memset(cookie, 0, sizeof(*cookie));
	wg_cookie_derive_key(cookie->cookie_decryption_key, cookie_label,
			     peer_public);
	wg_cookie_derive_key(cookie->message_mac1_key, mac1_label,
			     peer_public);
}

/* MAC1 covers the message up to mac1; MAC2 everything up to mac2. */
static size_t
mac1_offset(size_t len)
{
	return len - sizeof(struct wg_msg_macs);
}

static size_t
mac2_offset(size_t len)
{
	return len - WG_MAC_LEN;
}

static void
wg_cookie_make(uint8_t cookie[WG_COOKIE_LEN],
	       struct wg_cookie_checker *checker,
	       const struct wg_endpoint *src, uint64_t now)
{
	uint8_t src_bytes[18];
	size_t src_len;

	if (checker->secret_birthdate == 0 ||
	    now - checker->secret_birthdate > WG_COOKIE_SECRET_MAX_AGE) {
		wg_random(checker->secret, sizeof(checker->secret));
		checker->secret_birthdate = now ? now : 1;
	}
	src_len = wg_endpoint_cookie_bytes(src, src_bytes);
	wg_mac(cookie, checker->secret, WG_HASH_LEN, src_bytes, src_len);
}

enum wg_cookie_mac_state
wg_cookie_validate(struct wg_cookie_checker *checker, const void *msg,
		   size_t len, const struct wg_endpoint *src,
		   bool check_cookie, uint64_t now)
{
	const struct wg_msg_macs *macs =
		(const void *)((const uint8_t *)msg + mac1_offset(len));
	uint8_t computed[WG_MAC_LEN];
	uint8_t cookie[WG_COOKIE_LEN];
	enum wg_cookie_mac_state ret;

	wg_mac(computed, checker->message_mac1_key, WG_KEY_LEN, msg,
	       mac1_offset(len));
	if (!wg_crypto_equal(computed, macs->mac1, WG_MAC_LEN))
		return WG_COOKIE_INVALID_MAC;

	ret = WG_COOKIE_VALID_MAC_BUT_NO_COOKIE;
	if (!check_cookie)
		return ret;

	wg_cookie_make(cookie, checker, src, now);
	wg_mac(computed, cookie, WG_COOKIE_LEN, msg, mac2_offset(len));
	if (wg_crypto_equal(computed, macs->mac2, WG_MAC_LEN))
		ret = WG_COOKIE_VALID_MAC_WITH_COOKIE;
	wg_memzero(cookie, sizeof(cookie));
	return ret;
}

void
wg_cookie_add_macs(struct wg_cookie *cookie, void *msg, size_t len,
		   uint64_t now)
{
	struct wg_msg_macs *macs =
		(void *)((uint8_t *)msg + mac1_offset(len));

	wg_mac(macs->mac1, cookie->message_mac1_key, WG_KEY_LEN, msg,
	       mac1_offset(len));
	memcpy(cookie->last_mac1_sent, macs->mac1, WG_MAC_LEN);
	cookie->have_sent_mac1 = true;

	/* A cookie is good for two minutes less the time it may have spent
	 * in flight, as the other side rotates its secret. */
	if (cookie->is_valid && now - cookie->birthdate <
	    WG_COOKIE_SECRET_MAX_AGE - WG_COOKIE_SECRET_LATENCY)
		wg_mac(macs->mac2, cookie->cookie, WG_COOKIE_LEN, msg,
		       mac2_offset(len));
	else
		memset(macs->mac2, 0, WG_MAC_LEN);
}

void
wg_cookie_reply_create(struct wg_msg_cookie *reply, const void *msg,
		       size_t len, uint32_t sender_index,
		       struct wg_cookie_checker *checker,
		       const struct wg_endpoint *src, uint64_t now)
{
	const struct wg_msg_macs *macs =
		(const void *)((const uint8_t *)msg + mac1_offset(len));
	uint8_t cookie[WG_COOKIE_LEN];

	reply->header.type = wg_le32(WG_MSG_HANDSHAKE_COOKIE);
	reply->receiver_index = sender_index;
	wg_random(reply->nonce, WG_COOKIE_NONCE_LEN);
	wg_cookie_make(cookie, checker, src, now);
	wg_xaead_encrypt(reply->encrypted_cookie, cookie, WG_COOKIE_LEN,
			 macs->mac1, WG_MAC_LEN, reply->nonce,
			 checker->cookie_encryption_key);
	wg_memzero(cookie, sizeof(cookie));
}

bool
wg_cookie_reply_consume(struct wg_cookie *cookie,
			const struct wg_msg_cookie *reply, uint64_t now)
{
	uint8_t value[WG_COOKIE_LEN];

	if (!cookie->have_sent_mac1)
		return false;
	if (!wg_xaead_decrypt(value, reply->encrypted_cookie,
			      sizeof(reply->encrypted_cookie),
			      cookie->last_mac1_sent, WG_MAC_LEN, reply->nonce,
			      cookie->cookie_decryption_key))
		return false;
	memcpy(cookie->cookie, value, WG_COOKIE_LEN);
	cookie->birthdate = now;
	cookie->is_valid = true;
	cookie->have_sent_mac1 = false;
	wg_memzero(value, sizeof(value));
	return true;
}
