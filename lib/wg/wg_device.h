/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef WG_DEVICE_H
#define WG_DEVICE_H

/**
 * @file
 * A WireGuard interface as the protocol core sees it: our static identity,
 * the peers, the table of local indices and the cookie checker. It moves
 * no packets itself: what it needs sent goes out through the ops hooks,
 * and time comes from the injected clock. No DPDK in here.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "wg_cookie.h"
#include "wg_endpoint.h"
#include "wg_messages.h"
#include "wg_noise.h"
#include "wg_peer.h"
#include "wg_table.h"

/** Why a packet was dropped; counters are indexed by this. */
enum wg_drop_reason {
	WG_DROP_NONE = 0,
	WG_DROP_TRUNCATED,          /**< length wrong for the type */
	WG_DROP_BAD_TYPE,           /**< type byte or reserved bytes */
	WG_DROP_BAD_MAC1,
	WG_DROP_COOKIE_SENT,        /**< under load without a valid MAC2 */
	WG_DROP_HANDSHAKE_AUTH,     /**< a handshake failed to decrypt */
	WG_DROP_UNKNOWN_PEER,       /**< initiation from an unknown key */
	WG_DROP_STALE_TIMESTAMP,    /**< replayed or older initiation */
	WG_DROP_FLOOD,              /**< initiations too frequent */
	WG_DROP_UNKNOWN_INDEX,      /**< receiver index names nothing */
	WG_DROP_BAD_STATE,          /**< message not expected now */
	WG_DROP_COOKIE_AUTH,        /**< cookie reply failed to decrypt */
	WG_DROP_KEY_EXPIRED,        /**< keypair past its limits */
	WG_DROP_DATA_AUTH,          /**< forged transport packet */
	WG_DROP_REPLAY,             /**< counter seen before */
	WG_DROP_TOO_OLD,            /**< counter left of the window */
	WG_DROP_NO_ENDPOINT,        /**< nowhere to send */
	WG_DROP_REASON_MAX,
};

/** Name of a drop reason, for stats output ("bad_mac1", ...). */
const char *wg_drop_reason_name(enum wg_drop_reason reason);

struct wg_clock {
	uint64_t (*monotonic_ns)(void *arg);
	uint64_t (*realtime_ns)(void *arg);
	void *arg;
};

/** The system clock (CLOCK_MONOTONIC and CLOCK_REALTIME). */
extern const struct wg_clock wg_clock_system;

/** What the core needs done; every hook is optional. */
struct wg_device_ops {
	/** Send a handshake message to the peer over its endpoint(s). */
	void (*send_handshake)(void *arg, struct wg_peer *peer,
			       const void *msg, size_t len);
	/** Answer the sender of a message (response or cookie reply). */
	void (*send_reply)(void *arg, const struct wg_endpoint *to,
			   const void *msg, size_t len);
	/** Send an empty data packet to the peer. */
	void (*send_keepalive)(void *arg, struct wg_peer *peer);
	/** The peer has a keypair to send with: flush its queued packets.
	 * Returns true if it sent any; otherwise a keepalive confirms the
	 * new session. */
	bool (*keypair_ready)(void *arg, struct wg_peer *peer);
	/** The peer gave up on handshaking: drop its queued packets. */
	void (*purge_queue)(void *arg, struct wg_peer *peer);
	/** A keypair now has its local index published (kp) or withdrawn
	 * (kp NULL): mirror it in the data path's lookup table. */
	void (*index_update)(void *arg, uint32_t index, struct wg_keypair *kp);
	/** The peer's endpoint changed (handshake or roaming). */
	void (*endpoint_changed)(void *arg, struct wg_peer *peer);
	/** Free kp (wg_keypair_free) once no data-path reader can hold it;
	 * unset, it is freed at once. */
	void (*keypair_retire)(void *arg, struct wg_keypair *kp);
};

struct wg_device_config {
	const struct wg_clock *clock;     /**< NULL: the system clock */
	const struct wg_device_ops *ops;
	void *ops_arg;
	uint32_t replay_window;           /**< counters; 0: the default */
};

struct wg_device {
	bool has_identity;
	uint8_t static_private[WG_KEY_LEN];
	uint8_t static_public[WG_KEY_LEN];
	struct wg_cookie_checker cookie_checker;
	struct wg_clock clock;
	struct wg_device_ops ops;
	void *ops_arg;
	uint32_t replay_window;
	TAILQ_HEAD(, wg_peer) peers;
	unsigned int peer_count;
	struct wg_table peers_by_key;     /**< first 8 key bytes -> peer */
	struct wg_table index_table;      /**< local index -> wg_index_entry */
	uint64_t drops[WG_DROP_REASON_MAX];
	uint64_t handshakes_in, handshakes_out, cookies_sent;
};

struct wg_device *wg_device_create(const struct wg_device_config *cfg);
/** Remove every peer, wipe every key, free. */
void wg_device_destroy(struct wg_device *dev);

/** Set (or, with NULL, clear) our private key. Peers keyed with our
 * new public key are removed, as the kernel does. */
int wg_device_set_private_key(struct wg_device *dev,
			      const uint8_t key[WG_KEY_LEN]);

struct wg_peer *wg_device_lookup_peer(const struct wg_device *dev,
				      const uint8_t public_key[WG_KEY_LEN]);

static inline uint64_t
wg_device_now(const struct wg_device *dev)
{
	return dev->clock.monotonic_ns(dev->clock.arg);
}

/* The table of peers by key (for wg_peer.c). */
int wg_device_add_peer_key(struct wg_device *dev, struct wg_peer *peer);
void wg_device_del_peer_key(struct wg_device *dev, struct wg_peer *peer);

/* Local indices (receiver indices that peers put in their packets).
 * wg_index_add returns the new index, or 0 when out of memory. */
uint32_t wg_index_add(struct wg_device *dev, struct wg_index_entry *entry);
void wg_index_replace(struct wg_device *dev, struct wg_index_entry *old,
		      struct wg_index_entry *repl);
void wg_index_del(struct wg_device *dev, struct wg_index_entry *entry);
struct wg_index_entry *wg_index_find(const struct wg_device *dev,
				     uint32_t index, enum wg_index_type type);

/** Allocate a keypair with the device's replay window size. */
struct wg_keypair *wg_keypair_alloc(const struct wg_device *dev);
/** Wipe and free a keypair. */
void wg_keypair_free(struct wg_keypair *kp);

/* ---- receive (wg_receive.c) ---- */

/**
 * Classify a UDP payload by its type and length.
 * @return the message type, or WG_MSG_INVALID with *reason set.
 */
enum wg_msg_type wg_msg_classify(const void *pkt, size_t len, int *reason);

/**
 * Handle a handshake-class message (initiation, response, cookie reply)
 * that came from src. Replies go out through the ops hooks. under_load
 * makes initiations and responses without a valid cookie MAC2 be answered
 * with a cookie reply instead.
 * @return WG_DROP_NONE, or why it was dropped (also counted).
 */
enum wg_drop_reason wg_receive_handshake(struct wg_device *dev,
					 const void *pkt, size_t len,
					 const struct wg_endpoint *src,
					 bool under_load);

/**
 * First step of receiving transport data: find the keypair that the
 * receiver index names and check it may still receive. Counts nothing:
 * the caller counts *reason in its own (per-thread) counters.
 */
struct wg_keypair *wg_data_lookup(const struct wg_device *dev,
				  const void *pkt, size_t len,
				  enum wg_drop_reason *reason);

/**
 * Last step, after the payload authenticated under kp: replay check,
 * keypair confirmation, timers, endpoint roaming. plain_len is the
 * plaintext length (0 for a keepalive).
 * @return WG_DROP_NONE, or WG_DROP_REPLAY / WG_DROP_TOO_OLD /
 * WG_DROP_KEY_EXPIRED for a packet that must be dropped.
 */
enum wg_drop_reason wg_data_accept(struct wg_device *dev,
				   struct wg_keypair *kp, uint64_t counter,
				   size_t plain_len,
				   const struct wg_endpoint *src);

/*
 * The same last step cut in pieces, for a data path whose workers run on
 * other threads than the control plane: workers check the replay window
 * (any number of workers at once: it is lock-free) and tell the control
 * thread what happened,
 * which then confirms a waiting keypair and runs the timer events.
 */
enum wg_drop_reason wg_data_check_replay(struct wg_keypair *kp,
					 uint64_t counter);
/** The same verdict without changing the window: for packets not yet
 * authenticated (a copy already taken need not be decrypted). */
enum wg_drop_reason wg_data_check_replay_peek(const struct wg_keypair *kp,
					      uint64_t counter);
/** kp authenticated a packet: promote it if it waits in next. */
bool wg_peer_confirm_keypair(struct wg_peer *peer, struct wg_keypair *kp);
/** Authenticated packets arrived (data: not only keepalives). */
void wg_peer_rx_activity(struct wg_peer *peer, bool data);

/* ---- send (wg_send.c) ---- */

/**
 * Reserve a counter to seal one packet to peer with. NULL when there is no
 * usable keypair: a handshake is started, and the caller queues or drops.
 */
struct wg_keypair *wg_send_prepare(struct wg_peer *peer, uint64_t *counter);

/** After sealing and sending plain_len bytes (0 = keepalive) under kp:
 * timers, byte counters and a rekey when the keypair grows old. */
void wg_send_done(struct wg_peer *peer, struct wg_keypair *kp,
		  size_t plain_len, size_t wire_len);

/** Authenticated packets went out under kp (may be NULL); data: not only
 * keepalives. Runs the timer events and the rekey checks. */
void wg_peer_tx_activity(struct wg_peer *peer, struct wg_keypair *kp,
			 bool data);

/** Run the timers of every peer. */
void wg_device_run_timers(struct wg_device *dev);

/** Fill a transport header for counter under kp. */
static inline void
wg_data_header(struct wg_msg_data *hdr, const struct wg_keypair *kp,
	       uint64_t counter)
{
	hdr->header.type = wg_le32(WG_MSG_DATA);
	hdr->receiver_index = kp->remote_index;
	hdr->counter = wg_le64(counter);
}

#endif /* WG_DEVICE_H */
