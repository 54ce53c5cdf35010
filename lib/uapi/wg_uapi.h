/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef WG_UAPI_H
#define WG_UAPI_H

/**
 * @file
 * WireGuard's cross-platform userspace API (the protocol `wg` speaks to
 * wireguard-go over /var/run/wireguard/NAME.sock), without sockets or
 * DPDK: framing of a byte stream into requests, parsing and checking of
 * a whole `set=1` transaction before anything is applied, and formatting
 * of the `get=1` answer from a snapshot the application fills in.
 *
 * Error numbers follow wireguard-go: the answer line is "errno=N" with N
 * the negated value these functions return (-EINVAL gives "errno=-22"...
 * see wg_uapi_errno_line()).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wg_conf.h"
#include "wg_endpoint.h"

#define WG_UAPI_KEY_LEN 32
/** Longest line accepted; longer ones close the connection. */
#define WG_UAPI_MAX_LINE 4096
/** Largest request (a set transaction) accepted. */
#define WG_UAPI_MAX_REQUEST (4u << 20)

/* ---- framing ---- */

enum wg_uapi_op {
	WG_UAPI_MORE = 0,   /**< no complete request buffered yet */
	WG_UAPI_GET,        /**< "get=1\n\n" */
	WG_UAPI_SET,        /**< "set=1\n" ... "\n": body is the lines */
	WG_UAPI_CLOSE,      /**< protocol violation: close the connection */
};

/** One client connection's input buffer. */
struct wg_uapi_conn {
	char *buf;          /**< cap bytes, of which len are received */
	size_t len, cap;
	size_t consumed;    /**< of buf, by requests already returned */

	/* Framing state, not for callers: what feeding learnt of the
	 * buffered bytes. Offsets are into buf. */
	size_t line_start;  /**< of the line being received */
	size_t req_start;   /**< of the request being received */
	size_t nul_at;      /**< of the first NUL byte; SIZE_MAX: none */
	int error;          /**< of a failed feed: repeated, never cleared */
	bool closed;        /**< a request was refused: CLOSE from now on */
};

void wg_uapi_conn_init(struct wg_uapi_conn *c);
/** Wipe (set bodies carry keys) and free the buffer. */
void wg_uapi_conn_fini(struct wg_uapi_conn *c);

/**
 * Append received bytes.
 * @return 0, or -E2BIG when a line or request passes the limits above,
 *   -ENOMEM: close the connection either way.
 */
int wg_uapi_conn_feed(struct wg_uapi_conn *c, const void *data, size_t len);

/**
 * The next complete request. For WG_UAPI_SET, *body and *body_len give
 * the transaction's lines after "set=1\n", up to and excluding the empty
 * line that ends it; they stay valid until the next feed or next call.
 */
enum wg_uapi_op wg_uapi_conn_next(struct wg_uapi_conn *c, const char **body,
				  size_t *body_len);

/* ---- set=1 ---- */

struct wg_uapi_peer_set {
	uint8_t public_key[WG_UAPI_KEY_LEN];
	bool remove;                      /**< remove it; nothing else is set */
	/** Skip this entry if the peer does not exist by then. */
	bool update_only;
	bool has_psk;                     /**< all zero: clear it */
	uint8_t psk[WG_UAPI_KEY_LEN];
	bool has_endpoint;
	struct wg_endpoint endpoint;      /**< port in network byte order */
	bool has_keepalive;
	uint16_t keepalive;               /**< seconds, 0: off */
	bool replace_allowed_ips;
	/** allowed_ip lines, in order, host bits cleared; to add (or, after
	 * replace_allowed_ips, to set). */
	struct wg_conf_prefix *allowed_ips;
	unsigned int nallowed;
};

struct wg_uapi_set {
	bool has_private_key;             /**< all zero: remove it */
	uint8_t private_key[WG_UAPI_KEY_LEN];   /**< clamped, as wg-go does */
	bool has_listen_port;
	uint16_t listen_port;
	bool has_fwmark;
	uint32_t fwmark;
	bool replace_peers;
	/** One entry per public_key line, in the order given: a key may come
	 * twice. Apply them in order, each seeing what those before did, as
	 * wireguard-go applies the lines one by one. */
	struct wg_uapi_peer_set *peers;
	unsigned int npeers;
};

/**
 * Parse and check a whole set transaction (body as wg_uapi_conn_next()
 * gives it). Nothing is applied here: a transaction that fails leaves
 * the caller with nothing to undo.
 *
 * @param err  a message naming the line at fault (may be NULL)
 * @return 0 with *out to free with wg_uapi_set_free(); -EINVAL for a bad
 *   key or value (unknown key, a key not 64 hex digits, a bad endpoint,
 *   prefix, port or number, a peer key before any public_key=...,
 *   protocol_version other than 1), -EPROTO for a line that is not
 *   key=value (wireguard-go's IpcErrorProtocol), -ENOMEM.
 */
int wg_uapi_set_parse(const char *body, size_t len, struct wg_uapi_set **out,
		      char *err, size_t errlen);

/** Wipe the keys and free. NULL is fine. */
void wg_uapi_set_free(struct wg_uapi_set *set);

/* ---- get=1 ---- */

struct wg_uapi_peer_info {
	uint8_t public_key[WG_UAPI_KEY_LEN];
	bool has_psk;
	uint8_t psk[WG_UAPI_KEY_LEN];
	bool has_endpoint;
	struct wg_endpoint endpoint;
	uint16_t keepalive;
	const struct wg_conf_prefix *allowed_ips;
	unsigned int nallowed;
	uint64_t last_handshake_sec;      /**< realtime; 0 0: never */
	uint64_t last_handshake_nsec;
	uint64_t rx_bytes, tx_bytes;
};

struct wg_uapi_device_info {
	bool has_private_key;
	uint8_t private_key[WG_UAPI_KEY_LEN];
	uint16_t listen_port;
	uint32_t fwmark;                  /**< 0: not printed */
	const struct wg_uapi_peer_info *peers;
	unsigned int npeers;
};

/**
 * The answer to get=1, as wireguard-go writes it, ending with "errno=0\n\n".
 * @return a malloc'd NUL-terminated string (the caller wipes and frees
 *   it: it holds keys) and its length in *len, or NULL on ENOMEM.
 */
char *wg_uapi_format_get(const struct wg_uapi_device_info *info, size_t *len);

/** "errno=N\n\n" for a result of this API (0 or negative errno), in buf. */
const char *wg_uapi_errno_line(int result, char *buf, size_t len);

#endif /* WG_UAPI_H */
