/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef WG_MESSAGES_H
#define WG_MESSAGES_H

/**
 * @file
 * WireGuard wire formats and protocol constants (whitepaper section 5.4 and
 * 6). All multi-byte integers on the wire are little-endian.
 */

#include <stdint.h>

#define WG_KEY_LEN 32
#define WG_HASH_LEN 32
#define WG_AEAD_TAG_SIZE 16
#define WG_TIMESTAMP_LEN 12
#define WG_COOKIE_LEN 16
#define WG_COOKIE_NONCE_LEN 24
#define WG_MAC_LEN 16

#define WG_NS_PER_SEC 1000000000ULL
#define WG_NS_PER_MS 1000000ULL

/* Timer and counter limits, whitepaper section 6.1. */
#define WG_REKEY_AFTER_MESSAGES (1ULL << 60)
#define WG_REJECT_AFTER_MESSAGES (UINT64_MAX - (1ULL << 13) - 1)
#define WG_REKEY_TIMEOUT (5 * WG_NS_PER_SEC)
#define WG_REKEY_TIMEOUT_JITTER_MAX (333 * WG_NS_PER_MS)
#define WG_REKEY_AFTER_TIME (120 * WG_NS_PER_SEC)
#define WG_REJECT_AFTER_TIME (180 * WG_NS_PER_SEC)
#define WG_REKEY_ATTEMPT_TIME (90 * WG_NS_PER_SEC)
#define WG_KEEPALIVE_TIMEOUT (10 * WG_NS_PER_SEC)
#define WG_MAX_TIMER_HANDSHAKES (WG_REKEY_ATTEMPT_TIME / WG_REKEY_TIMEOUT)
#define WG_COOKIE_SECRET_MAX_AGE (120 * WG_NS_PER_SEC)
#define WG_COOKIE_SECRET_LATENCY (5 * WG_NS_PER_SEC)
#define WG_INITIATIONS_PER_SECOND 50
#define WG_MESSAGE_PADDING_MULTIPLE 16

enum wg_msg_type {
	WG_MSG_INVALID = 0,
	WG_MSG_HANDSHAKE_INITIATION = 1,
	WG_MSG_HANDSHAKE_RESPONSE = 2,
	WG_MSG_HANDSHAKE_COOKIE = 3,
	WG_MSG_DATA = 4,
};

/* The type is one byte followed by three reserved zero bytes: read as a
 * little-endian 32-bit word, anything but 1..4 is invalid. */
struct wg_msg_header {
	uint32_t type;
} __attribute__((packed));

struct wg_msg_macs {
	uint8_t mac1[WG_MAC_LEN];
	uint8_t mac2[WG_MAC_LEN];
} __attribute__((packed));

struct wg_msg_initiation {
	struct wg_msg_header header;
	uint32_t sender_index;
	uint8_t unencrypted_ephemeral[WG_KEY_LEN];
	uint8_t encrypted_static[WG_KEY_LEN + WG_AEAD_TAG_SIZE];
	uint8_t encrypted_timestamp[WG_TIMESTAMP_LEN + WG_AEAD_TAG_SIZE];
	struct wg_msg_macs macs;
} __attribute__((packed));

struct wg_msg_response {
	struct wg_msg_header header;
	uint32_t sender_index;
	uint32_t receiver_index;
	uint8_t unencrypted_ephemeral[WG_KEY_LEN];
	uint8_t encrypted_nothing[WG_AEAD_TAG_SIZE];
	struct wg_msg_macs macs;
} __attribute__((packed));

struct wg_msg_cookie {
	struct wg_msg_header header;
	uint32_t receiver_index;
	uint8_t nonce[WG_COOKIE_NONCE_LEN];
	uint8_t encrypted_cookie[WG_COOKIE_LEN + WG_AEAD_TAG_SIZE];
} __attribute__((packed));

struct wg_msg_data {
	struct wg_msg_header header;
	uint32_t receiver_index;
	uint64_t counter;
	uint8_t encrypted_data[];
} __attribute__((packed));

#define WG_MSG_INITIATION_LEN 148
#define WG_MSG_RESPONSE_LEN 92
#define WG_MSG_COOKIE_LEN 64
#define WG_MSG_DATA_HEADER_LEN 16
/** Smallest data message: header plus the tag of an empty keepalive. */
#define WG_MSG_DATA_MIN_LEN (WG_MSG_DATA_HEADER_LEN + WG_AEAD_TAG_SIZE)

_Static_assert(sizeof(struct wg_msg_initiation) == WG_MSG_INITIATION_LEN, "initiation size");
_Static_assert(sizeof(struct wg_msg_response) == WG_MSG_RESPONSE_LEN, "response size");
_Static_assert(sizeof(struct wg_msg_cookie) == WG_MSG_COOKIE_LEN, "cookie size");
_Static_assert(sizeof(struct wg_msg_data) == WG_MSG_DATA_HEADER_LEN, "data header size");

static inline uint32_t
wg_le32(uint32_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap32(v);
#else
	return v;
#endif
}

static inline uint64_t
wg_le64(uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap64(v);
#else
	return v;
#endif
}

/** Length of a data message whose plaintext is len bytes, after padding. */
static inline uint32_t
wg_data_padded_len(uint32_t len, uint32_t mtu)
{
	uint32_t padded = (len + WG_MESSAGE_PADDING_MULTIPLE - 1) &
			  ~(uint32_t)(WG_MESSAGE_PADDING_MULTIPLE - 1);

	/* Padding never takes a packet past the MTU (whitepaper 5.4.6). */
	if (mtu != 0 && padded > mtu)
		padded = len > mtu ? len : mtu;
	return padded;
}

#endif /* WG_MESSAGES_H */
