/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef WG_NOISE_H
#define WG_NOISE_H

/**
 * @file
 * Noise_IKpsk2 handshake and the keypairs it yields (whitepaper 5.4).
 *
 * Handshakes run on one thread (the control lcore). Keypairs are read by
 * data-path threads: the slots are atomic pointers and a retired keypair
 * is freed through the device's keypair_retire hook, which defers the free
 * until no reader can hold it.
 */

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wg_messages.h"
#include "wg_replay.h"

/** Lines that different lcores write are kept apart by this much. */
#define WG_CACHE_LINE 64

struct wg_device;
struct wg_peer;

enum wg_index_type {
	WG_INDEX_HANDSHAKE = 1,
	WG_INDEX_KEYPAIR = 2,
};

/** What a local index names; embedded in handshakes and keypairs. */
struct wg_index_entry {
	enum wg_index_type type;
	uint32_t index;        /**< 0 when not in the table */
	struct wg_peer *peer;
};

enum wg_handshake_state {
	WG_HANDSHAKE_ZEROED,
	WG_HANDSHAKE_CREATED_INITIATION,
	WG_HANDSHAKE_CONSUMED_INITIATION,
	WG_HANDSHAKE_CREATED_RESPONSE,
	WG_HANDSHAKE_CONSUMED_RESPONSE,
};

struct wg_handshake {
	struct wg_index_entry entry;
	enum wg_handshake_state state;
	uint64_t last_initiation_consumption;   /**< monotonic ns */
	uint32_t remote_index;
	uint8_t ephemeral_private[WG_KEY_LEN];
	uint8_t remote_static[WG_KEY_LEN];
	uint8_t remote_ephemeral[WG_KEY_LEN];
	uint8_t precomputed_static_static[WG_KEY_LEN];
	uint8_t preshared_key[WG_KEY_LEN];
	uint8_t hash[WG_HASH_LEN];
	uint8_t chaining_key[WG_HASH_LEN];
	uint8_t latest_timestamp[WG_TIMESTAMP_LEN];
};

struct wg_keypair {
	/* Receiving: written before the keypair is published, then read by
	 * every lcore that opens under it (receiving_valid changes once, on
	 * expiry). One line: the index lookup, the key, the age. */
	uint8_t recv_key[WG_KEY_LEN];
	struct wg_index_entry entry;    /**< entry.index: our receiver index */
	uint64_t birthdate;             /**< monotonic ns */
	_Atomic bool receiving_valid;
	/* Sending: read by every lcore that seals under it, and the counter
	 * written by each: one line of its own, so that senders neither
	 * evict receivers' key nor need more than this line. */
	alignas(WG_CACHE_LINE) uint8_t send_key[WG_KEY_LEN];
	_Atomic uint64_t send_counter;  /**< next counter to send */
	uint64_t send_birthdate;        /**< birthdate, in this line */
	uint32_t remote_index;
	bool i_am_initiator;
	_Atomic bool sending_valid;
	/* The replay window follows, in the same allocation, from the next
	 * line (wg_keypair_replay()). */
};

/** The keypair whose index entry this is (entry->type WG_INDEX_KEYPAIR). */
static inline struct wg_keypair *
wg_keypair_of_entry(struct wg_index_entry *entry)
{
	return (struct wg_keypair *)(void *)((char *)entry -
					     offsetof(struct wg_keypair, entry));
}

/** The keypair's replay window, which follows it in its allocation. */
static inline struct wg_replay *
wg_keypair_replay(const struct wg_keypair *kp)
{
	return (struct wg_replay *)(uintptr_t)(kp + 1);
}

/** When the keypair was made (both lines' copies). */
static inline void
wg_keypair_set_birthdate(struct wg_keypair *kp, uint64_t now)
{
	kp->birthdate = now;
	kp->send_birthdate = now;
}

/** May kp still seal (valid, young enough, counters left)? */
static inline bool
wg_keypair_can_send(const struct wg_keypair *kp, uint64_t now)
{
	return atomic_load(&kp->sending_valid) &&
	       now - kp->send_birthdate < WG_REJECT_AFTER_TIME &&
	       atomic_load(&kp->send_counter) < WG_REJECT_AFTER_MESSAGES;
}

/** May kp still open? */
static inline bool
wg_keypair_can_receive(const struct wg_keypair *kp, uint64_t now)
{
	return atomic_load(&kp->receiving_valid) &&
	       now - kp->birthdate < WG_REJECT_AFTER_TIME;
}



/** The three slots of whitepaper 6.1: a responder's new keypair waits in
 * next until the first data packet under it confirms the initiator has it. */
struct wg_keypairs {
	_Atomic(struct wg_keypair *) current;
	_Atomic(struct wg_keypair *) previous;
	_Atomic(struct wg_keypair *) next;
};

/** Prepare a peer's handshake: derive the precomputed static-static DH. */
void wg_noise_handshake_init(struct wg_handshake *hs, struct wg_peer *peer,
			     const uint8_t peer_public[WG_KEY_LEN],
			     const uint8_t psk[WG_KEY_LEN]);
/** Recompute static-static DH after our private key changed. */
void wg_noise_precompute_static_static(struct wg_device *dev,
				       struct wg_handshake *hs);
/** Forget the handshake in flight (keeps static keys and timestamps). */
void wg_noise_handshake_clear(struct wg_device *dev, struct wg_handshake *hs);

/** Build an initiation; MACs are added by the caller. */
bool wg_noise_create_initiation(struct wg_device *dev, struct wg_peer *peer,
				struct wg_msg_initiation *msg);
/**
 * Authenticate an initiation whose MACs were checked.
 * @return the peer, or NULL with *reason set (enum wg_drop_reason).
 */
struct wg_peer *wg_noise_consume_initiation(struct wg_device *dev,
					    const struct wg_msg_initiation *msg,
					    int *reason);
bool wg_noise_create_response(struct wg_device *dev, struct wg_peer *peer,
			      struct wg_msg_response *msg);
struct wg_peer *wg_noise_consume_response(struct wg_device *dev,
					  const struct wg_msg_response *msg,
					  int *reason);

/** Derive transport keys from a completed handshake into the slots. */
bool wg_noise_begin_session(struct wg_device *dev, struct wg_peer *peer);

/**
 * A data packet authenticated under kp: if kp waits in next, promote it.
 * @return true if it was promoted (queued packets may now go).
 */
bool wg_noise_received_with_keypair(struct wg_device *dev,
				    struct wg_peer *peer, struct wg_keypair *kp);

/** Drop every keypair of the peer (wiped when retired). */
void wg_noise_keypairs_clear(struct wg_device *dev, struct wg_peer *peer);

/** Stop using the current keypair for sending (e.g. we need a rekey). */
void wg_noise_expire_current_keypair(struct wg_peer *peer);

/** TAI64N of a realtime clock in ns, with the sub-second part coarsened. */
void wg_tai64n(uint8_t out[WG_TIMESTAMP_LEN], uint64_t realtime_ns);

#endif /* WG_NOISE_H */
