/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include <string.h>

#include "wg_crypto.h"
#include "wg_device.h"
#include "wg_noise.h"
#include "wg_peer.h"

static const char handshake_name[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
static const char identifier_name[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";

/* Initial chaining key and hash, the same for every handshake. */
static void
wg_noise_initial(uint8_t ck[WG_HASH_LEN], uint8_t h[WG_HASH_LEN],
		 const uint8_t responder_static[WG_KEY_LEN])
{
	wg_hash2(ck, handshake_name, sizeof(handshake_name) - 1, NULL, 0);
	wg_hash2(h, ck, WG_HASH_LEN, identifier_name,
		 sizeof(identifier_name) - 1);
	wg_hash2(h, h, WG_HASH_LEN, responder_static, WG_KEY_LEN);
}

static void
mix_hash(uint8_t h[WG_HASH_LEN], const void *in, size_t len)
{
	wg_hash2(h, h, WG_HASH_LEN, in, len);
}

/* h = HASH(h || e); ck = KDF1(ck, e) */
static void
mix_ephemeral(uint8_t ck[WG_HASH_LEN], uint8_t h[WG_HASH_LEN],
	      const uint8_t ephemeral[WG_KEY_LEN])
{
	mix_hash(h, ephemeral, WG_KEY_LEN);
	wg_kdf(ck, NULL, NULL, ck, ephemeral, WG_KEY_LEN);
}

/* (ck, key) = KDF2(ck, DH(priv, pub)); key may be NULL. */
static bool
mix_dh(uint8_t ck[WG_HASH_LEN], uint8_t *key, const uint8_t priv[WG_KEY_LEN],
       const uint8_t pub[WG_KEY_LEN])
{
	uint8_t dh[WG_KEY_LEN];

	if (!wg_dh(dh, priv, pub))
		return false;
	wg_kdf(ck, key, NULL, ck, dh, WG_KEY_LEN);
	wg_memzero(dh, sizeof(dh));
	return true;
}

static bool
mix_precomputed_dh(uint8_t ck[WG_HASH_LEN], uint8_t key[WG_KEY_LEN],
		   const uint8_t precomputed[WG_KEY_LEN])
{
	if (wg_crypto_is_zero(precomputed, WG_KEY_LEN))
		return false;
	wg_kdf(ck, key, NULL, ck, precomputed, WG_KEY_LEN);
	return true;
}

/* (ck, tau, key) = KDF3(ck, psk); h = HASH(h || tau) */
static void
mix_psk(uint8_t ck[WG_HASH_LEN], uint8_t h[WG_HASH_LEN],
	uint8_t key[WG_KEY_LEN], const uint8_t psk[WG_KEY_LEN])
{
	uint8_t tau[WG_HASH_LEN];

	wg_kdf(ck, tau, key, ck, psk, WG_KEY_LEN);
	mix_hash(h, tau, WG_HASH_LEN);
	wg_memzero(tau, sizeof(tau));
}

static void
encrypt_and_hash(uint8_t *dst, const uint8_t *src, size_t len,
		 const uint8_t key[WG_KEY_LEN], uint8_t h[WG_HASH_LEN])
{
	wg_aead_encrypt(dst, src, len, h, WG_HASH_LEN, 0, key);
	mix_hash(h, dst, len + WG_AEAD_TAG_SIZE);
}

static bool
decrypt_and_hash(uint8_t *dst, const uint8_t *src, size_t len,
		 const uint8_t key[WG_KEY_LEN], uint8_t h[WG_HASH_LEN])
{
	if (!wg_aead_decrypt(dst, src, len, h, WG_HASH_LEN, 0, key))
		return false;
	mix_hash(h, src, len);
	return true;
}

void
wg_tai64n(uint8_t out[WG_TIMESTAMP_LEN], uint64_t realtime_ns)
{
	/* TAI64 label of the epoch plus 10 leap seconds, as WireGuard does.
	 * Nanoseconds are rounded down to about 16 ms, under the 20 ms
	 * between initiations, so the timestamp leaks no fine timing. */
	uint64_t secs = 0x400000000000000aULL + realtime_ns / WG_NS_PER_SEC;
	uint32_t nsec = (uint32_t)(realtime_ns % WG_NS_PER_SEC) & ~0xffffffU;
	int i;

	for (i = 0; i < 8; i++)
		out[i] = (uint8_t)(secs >> (56 - 8 * i));
	for (i = 0; i < 4; i++)
		out[8 + i] = (uint8_t)(nsec >> (24 - 8 * i));
}

void
wg_noise_precompute_static_static(struct wg_device *dev,
				  struct wg_handshake *hs)
{
	if (!dev->has_identity ||
	    !wg_dh(hs->precomputed_static_static, dev->static_private,
		   hs->remote_static))
		memset(hs->precomputed_static_static, 0, WG_KEY_LEN);
}

void
wg_noise_handshake_init(struct wg_handshake *hs, struct wg_peer *peer,
			const uint8_t peer_public[WG_KEY_LEN],
			const uint8_t psk[WG_KEY_LEN])
{
	memset(hs, 0, sizeof(*hs));
	hs->entry.type = WG_INDEX_HANDSHAKE;
	hs->entry.peer = peer;
	memcpy(hs->remote_static, peer_public, WG_KEY_LEN);
	if (psk != NULL)
		memcpy(hs->preshared_key, psk, WG_KEY_LEN);
	wg_noise_precompute_static_static(peer->device, hs);
}

static void
handshake_zero(struct wg_handshake *hs)
{
	wg_memzero(hs->ephemeral_private, WG_KEY_LEN);
	wg_memzero(hs->remote_ephemeral, WG_KEY_LEN);
	wg_memzero(hs->hash, WG_HASH_LEN);
	wg_memzero(hs->chaining_key, WG_HASH_LEN);
	hs->remote_index = 0;
	hs->state = WG_HANDSHAKE_ZEROED;
}

void
wg_noise_handshake_clear(struct wg_device *dev, struct wg_handshake *hs)
{
	wg_index_del(dev, &hs->entry);
	handshake_zero(hs);
}

bool
wg_noise_create_initiation(struct wg_device *dev, struct wg_peer *peer,
			   struct wg_msg_initiation *msg)
{
	struct wg_handshake *hs = &peer->handshake;
	uint8_t timestamp[WG_TIMESTAMP_LEN];
	uint8_t key[WG_KEY_LEN];
	bool ok = false;

	if (!dev->has_identity)
		return false;

	memset(msg, 0, sizeof(*msg));
	msg->header.type = wg_le32(WG_MSG_HANDSHAKE_INITIATION);
	wg_noise_initial(hs->chaining_key, hs->hash, hs->remote_static);

	/* e */
	wg_dh_generate(hs->ephemeral_private, msg->unencrypted_ephemeral);
	mix_ephemeral(hs->chaining_key, hs->hash, msg->unencrypted_ephemeral);

	/* es */
	if (!mix_dh(hs->chaining_key, key, hs->ephemeral_private,
		    hs->remote_static))
		goto out;

	/* s */
	encrypt_and_hash(msg->encrypted_static, dev->static_public,
			 WG_KEY_LEN, key, hs->hash);

	/* ss */
	if (!mix_precomputed_dh(hs->chaining_key, key,
				hs->precomputed_static_static))
		goto out;

	/* {t} */
	wg_tai64n(timestamp, dev->clock.realtime_ns(dev->clock.arg));
	encrypt_and_hash(msg->encrypted_timestamp, timestamp,
			 WG_TIMESTAMP_LEN, key, hs->hash);

	wg_index_del(dev, &hs->entry);
	msg->sender_index = wg_index_add(dev, &hs->entry);
	if (msg->sender_index == 0)
		goto out;
	hs->state = WG_HANDSHAKE_CREATED_INITIATION;
	ok = true;
out:
	wg_memzero(key, sizeof(key));
	if (!ok)
		handshake_zero(hs);
	return ok;
}

struct wg_peer *
wg_noise_consume_initiation(struct wg_device *dev,
			    const struct wg_msg_initiation *msg, int *reason)
{
	uint8_t s[WG_KEY_LEN], e[WG_KEY_LEN], t[WG_TIMESTAMP_LEN];
	uint8_t ck[WG_HASH_LEN], h[WG_HASH_LEN], key[WG_KEY_LEN];
	struct wg_handshake *hs;
	struct wg_peer *peer = NULL;
	uint64_t now = wg_device_now(dev);
	bool replay, flood;

	*reason = WG_DROP_HANDSHAKE_AUTH;
	if (!dev->has_identity)
		return NULL;

	wg_noise_initial(ck, h, dev->static_public);

	/* e */
	memcpy(e, msg->unencrypted_ephemeral, WG_KEY_LEN);
	mix_ephemeral(ck, h, e);

	/* es */
	if (!mix_dh(ck, key, dev->static_private, e))
		goto out;

	/* s */
	if (!decrypt_and_hash(s, msg->encrypted_static,
			      sizeof(msg->encrypted_static), key, h))
		goto out;

	peer = wg_device_lookup_peer(dev, s);
	if (peer == NULL) {
		*reason = WG_DROP_UNKNOWN_PEER;
		goto out;
	}
	hs = &peer->handshake;

	/* ss */
	if (!mix_precomputed_dh(ck, key, hs->precomputed_static_static))
		goto fail;

	/* {t} */
	if (!decrypt_and_hash(t, msg->encrypted_timestamp,
			      sizeof(msg->encrypted_timestamp), key, h))
		goto fail;

	/* Big-endian TAI64N compares as bytes. A replayed initiation must
	 * not reset a session; a flood must not cost us a DH each time. */
	replay = memcmp(t, hs->latest_timestamp, WG_TIMESTAMP_LEN) <= 0;
	flood = hs->last_initiation_consumption != 0 &&
		now - hs->last_initiation_consumption <
			WG_NS_PER_SEC / WG_INITIATIONS_PER_SECOND;
	if (replay || flood) {
		*reason = replay ? WG_DROP_STALE_TIMESTAMP : WG_DROP_FLOOD;
		goto fail;
	}

	memcpy(hs->remote_ephemeral, e, WG_KEY_LEN);
	memcpy(hs->latest_timestamp, t, WG_TIMESTAMP_LEN);
	memcpy(hs->hash, h, WG_HASH_LEN);
	memcpy(hs->chaining_key, ck, WG_HASH_LEN);
	hs->remote_index = msg->sender_index;
	hs->last_initiation_consumption = now;
	hs->state = WG_HANDSHAKE_CONSUMED_INITIATION;
	*reason = WG_DROP_NONE;
	goto out;

fail:
	peer = NULL;
out:
	wg_memzero(key, sizeof(key));
	wg_memzero(h, sizeof(h));
	wg_memzero(ck, sizeof(ck));
	wg_memzero(e, sizeof(e));
	return peer;
}

bool
wg_noise_create_response(struct wg_device *dev, struct wg_peer *peer,
			 struct wg_msg_response *msg)
{
	struct wg_handshake *hs = &peer->handshake;
	uint8_t key[WG_KEY_LEN];
	bool ok = false;

	if (hs->state != WG_HANDSHAKE_CONSUMED_INITIATION)
		return false;

	memset(msg, 0, sizeof(*msg));
	msg->header.type = wg_le32(WG_MSG_HANDSHAKE_RESPONSE);
	msg->receiver_index = hs->remote_index;

	/* e */
	wg_dh_generate(hs->ephemeral_private, msg->unencrypted_ephemeral);
	mix_ephemeral(hs->chaining_key, hs->hash, msg->unencrypted_ephemeral);

	/* ee, se */
	if (!mix_dh(hs->chaining_key, NULL, hs->ephemeral_private,
		    hs->remote_ephemeral) ||
	    !mix_dh(hs->chaining_key, NULL, hs->ephemeral_private,
		    hs->remote_static))
		goto out;

	/* psk */
	mix_psk(hs->chaining_key, hs->hash, key, hs->preshared_key);

	/* {} */
	encrypt_and_hash(msg->encrypted_nothing, NULL, 0, key, hs->hash);

	wg_index_del(dev, &hs->entry);
	msg->sender_index = wg_index_add(dev, &hs->entry);
	if (msg->sender_index == 0)
		goto out;
	hs->state = WG_HANDSHAKE_CREATED_RESPONSE;
	ok = true;
out:
	wg_memzero(key, sizeof(key));
	if (!ok)
		handshake_zero(hs);
	return ok;
}

struct wg_peer *
wg_noise_consume_response(struct wg_device *dev,
			  const struct wg_msg_response *msg, int *reason)
{
	uint8_t e[WG_KEY_LEN], ck[WG_HASH_LEN], h[WG_HASH_LEN];
	uint8_t key[WG_KEY_LEN];
	struct wg_index_entry *entry;
	struct wg_handshake *hs;
	struct wg_peer *peer = NULL;

	*reason = WG_DROP_UNKNOWN_INDEX;
	entry = wg_index_find(dev, msg->receiver_index, WG_INDEX_HANDSHAKE);
	if (entry == NULL || !dev->has_identity)
		return NULL;
	hs = &entry->peer->handshake;

	*reason = WG_DROP_BAD_STATE;
	if (hs->state != WG_HANDSHAKE_CREATED_INITIATION)
		return NULL;

	*reason = WG_DROP_HANDSHAKE_AUTH;
	memcpy(ck, hs->chaining_key, WG_HASH_LEN);
	memcpy(h, hs->hash, WG_HASH_LEN);

	/* e */
	memcpy(e, msg->unencrypted_ephemeral, WG_KEY_LEN);
	mix_ephemeral(ck, h, e);

	/* ee, se */
	if (!mix_dh(ck, NULL, hs->ephemeral_private, e) ||
	    !mix_dh(ck, NULL, dev->static_private, e))
		goto out;

	/* psk */
	mix_psk(ck, h, key, hs->preshared_key);

	/* {} */
	if (!decrypt_and_hash(NULL, msg->encrypted_nothing,
			      sizeof(msg->encrypted_nothing), key, h))
		goto out;

	memcpy(hs->remote_ephemeral, e, WG_KEY_LEN);
	memcpy(hs->hash, h, WG_HASH_LEN);
	memcpy(hs->chaining_key, ck, WG_HASH_LEN);
	hs->remote_index = msg->sender_index;
	hs->state = WG_HANDSHAKE_CONSUMED_RESPONSE;
	peer = entry->peer;
	*reason = WG_DROP_NONE;
out:
	wg_memzero(key, sizeof(key));
	wg_memzero(h, sizeof(h));
	wg_memzero(ck, sizeof(ck));
	wg_memzero(e, sizeof(e));
	return peer;
}

static void
keypair_put(struct wg_device *dev, struct wg_keypair *kp)
{
	if (kp == NULL)
		return;
	atomic_store(&kp->sending_valid, false);
	atomic_store(&kp->receiving_valid, false);
	wg_index_del(dev, &kp->entry);
	if (dev->ops.keypair_retire != NULL)
		dev->ops.keypair_retire(dev->ops_arg, kp);
	else
		wg_keypair_free(kp);
}

/* Slot rotation of the kernel's add_new_keypair(). */
static void
add_new_keypair(struct wg_device *dev, struct wg_keypairs *kps,
		struct wg_keypair *kp)
{
	struct wg_keypair *next = atomic_load(&kps->next);
	struct wg_keypair *current = atomic_load(&kps->current);
	struct wg_keypair *previous = atomic_load(&kps->previous);

	if (kp->i_am_initiator) {
		if (next != NULL) {
			/* An unconfirmed next keypair is newer than current:
			 * keep it as previous, drop current. */
			atomic_store(&kps->next, NULL);
			atomic_store(&kps->previous, next);
			keypair_put(dev, current);
		} else {
			atomic_store(&kps->previous, current);
		}
		keypair_put(dev, previous);
		atomic_store(&kps->current, kp);
	} else {
		atomic_store(&kps->next, kp);
		keypair_put(dev, next);
		atomic_store(&kps->previous, NULL);
		keypair_put(dev, previous);
	}
}

bool
wg_noise_begin_session(struct wg_device *dev, struct wg_peer *peer)
{
	struct wg_handshake *hs = &peer->handshake;
	struct wg_keypair *kp;

	if (hs->state != WG_HANDSHAKE_CREATED_RESPONSE &&
	    hs->state != WG_HANDSHAKE_CONSUMED_RESPONSE)
		return false;

	kp = wg_keypair_alloc(dev);
	if (kp == NULL)
		return false;
	kp->entry.peer = peer;
	kp->i_am_initiator = hs->state == WG_HANDSHAKE_CONSUMED_RESPONSE;
	if (kp->i_am_initiator)
		wg_kdf(kp->send_key, kp->recv_key, NULL, hs->chaining_key,
		       NULL, 0);
	else
		wg_kdf(kp->recv_key, kp->send_key, NULL, hs->chaining_key,
		       NULL, 0);
	kp->remote_index = hs->remote_index;
	wg_keypair_set_birthdate(kp, wg_device_now(dev));
	atomic_store(&kp->sending_valid, true);
	atomic_store(&kp->receiving_valid, true);

	/* The keypair takes over the handshake's local index. */
	wg_index_replace(dev, &hs->entry, &kp->entry);
	handshake_zero(hs);
	add_new_keypair(dev, &peer->keypairs, kp);
	if (dev->ops.index_update != NULL)
		dev->ops.index_update(dev->ops_arg, kp->entry.index, kp);
	return true;
}

bool
wg_noise_received_with_keypair(struct wg_device *dev, struct wg_peer *peer,
			       struct wg_keypair *kp)
{
	struct wg_keypairs *kps = &peer->keypairs;
	struct wg_keypair *previous;

	if (atomic_load(&kps->next) != kp)
		return false;
	previous = atomic_load(&kps->previous);
	atomic_store(&kps->previous, atomic_load(&kps->current));
	atomic_store(&kps->current, kp);
	atomic_store(&kps->next, NULL);
	keypair_put(dev, previous);
	return true;
}

void
wg_noise_keypairs_clear(struct wg_device *dev, struct wg_peer *peer)
{
	struct wg_keypairs *kps = &peer->keypairs;

	keypair_put(dev, atomic_exchange(&kps->next, NULL));
	keypair_put(dev, atomic_exchange(&kps->previous, NULL));
	keypair_put(dev, atomic_exchange(&kps->current, NULL));
}

void
wg_noise_expire_current_keypair(struct wg_peer *peer)
{
	struct wg_keypair *kp;

	kp = atomic_load(&peer->keypairs.next);
	if (kp != NULL)
		atomic_store(&kp->sending_valid, false);
	kp = atomic_load(&peer->keypairs.current);
	if (kp != NULL)
		atomic_store(&kp->sending_valid, false);
}

