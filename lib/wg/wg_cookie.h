/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef WG_COOKIE_H
#define WG_COOKIE_H

/**
 * @file
 * MAC1/MAC2 and cookie replies (whitepaper section 5.4.4 and 5.4.7).
 *
 * The checker is the interface's: it verifies MAC1 with our public key and,
 * under load, MAC2 against a cookie bound to the sender's address and a
 * secret that rotates every two minutes. The per-peer state signs what we
 * send and keeps the last cookie the peer gave us.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wg_endpoint.h"
#include "wg_messages.h"

enum wg_cookie_mac_state {
	WG_COOKIE_INVALID_MAC,
	WG_COOKIE_VALID_MAC_BUT_NO_COOKIE,
	WG_COOKIE_VALID_MAC_WITH_COOKIE,
};

struct wg_cookie_checker {
	uint8_t secret[WG_HASH_LEN];
	uint64_t secret_birthdate;     /**< monotonic ns; 0 = never made */
	uint8_t cookie_encryption_key[WG_KEY_LEN];
	uint8_t message_mac1_key[WG_KEY_LEN];
};

struct wg_cookie {
	uint64_t birthdate;            /**< when the peer's cookie arrived */
	bool is_valid;
	uint8_t cookie[WG_COOKIE_LEN];
	bool have_sent_mac1;
	uint8_t last_mac1_sent[WG_MAC_LEN];
	uint8_t cookie_decryption_key[WG_KEY_LEN];
	uint8_t message_mac1_key[WG_KEY_LEN];
};

/** Derive the checker's keys from our public key (all zero: none yet). */
void wg_cookie_checker_init(struct wg_cookie_checker *checker,
			    const uint8_t our_public[WG_KEY_LEN]);

/** Derive a peer's keys from its public key. */
void wg_cookie_init(struct wg_cookie *cookie,
		    const uint8_t peer_public[WG_KEY_LEN]);

/**
 * Check the MACs of a handshake message of len bytes (macs at its end).
 * MAC2 is checked only when check_cookie (we are under load).
 */
enum wg_cookie_mac_state
wg_cookie_validate(struct wg_cookie_checker *checker, const void *msg,
		   size_t len, const struct wg_endpoint *src,
		   bool check_cookie, uint64_t now);

/** Fill in MAC1, and MAC2 when we hold a fresh cookie from this peer. */
void wg_cookie_add_macs(struct wg_cookie *cookie, void *msg, size_t len,
			uint64_t now);

/** Build the cookie reply to a handshake message from src. */
void wg_cookie_reply_create(struct wg_msg_cookie *reply, const void *msg,
			    size_t len, uint32_t sender_index,
			    struct wg_cookie_checker *checker,
			    const struct wg_endpoint *src, uint64_t now);

/** Take the cookie out of a reply; false if it does not authenticate. */
bool wg_cookie_reply_consume(struct wg_cookie *cookie,
			     const struct wg_msg_cookie *reply, uint64_t now);

#endif /* WG_COOKIE_H */
