/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef WG_CONF_H
#define WG_CONF_H

/**
 * @file
 * The configuration file: wg-quick's format ([Interface], [Peer]) plus the
 * [Uplink] sections naming the DPDK ports that carry sealed traffic. The
 * file is parsed into one struct wg_conf, checked as a whole, and handed
 * to the application; nothing here touches DPDK, sockets or DNS, so the
 * parser is unit-testable alone. doc/configuration.md describes the keys.
 *
 * Every error is reported as "NAME:LINE: message" and stops parsing; keys
 * that are accepted but have no effect leave a warning in the same form.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wg_endpoint.h"

#define WG_CONF_KEY_LEN 32
#define WG_CONF_IFNAME_LEN 16            /**< IFNAMSIZ, with the NUL */
#define WG_CONF_UPLINK_NAME_LEN 32       /**< 31 characters and the NUL */
#define WG_CONF_PORT_LEN 128             /**< 127 characters and the NUL */
#define WG_CONF_LINE_MAX 8192            /**< longest line, with its newline */

#define WG_CONF_DEFAULT_LISTEN_PORT 51820
#define WG_CONF_DEFAULT_MTU 1420
#define WG_CONF_MIN_MTU 576
#define WG_CONF_MIN_MTU_IPV6 1280
#define WG_CONF_MAX_MTU 9000
#define WG_CONF_DEFAULT_REPLAY_WINDOW 8192
#define WG_CONF_MIN_REPLAY_WINDOW 64
#define WG_CONF_MAX_REPLAY_WINDOW (1U << 24)
#define WG_CONF_DEFAULT_FAILBACK_HOLD_MS 5000
#define WG_CONF_DEFAULT_PROBE_INTERVAL_MS 1000

/** Buffer sizes for wg_conf_format_prefix() and wg_conf_format_endpoint(). */
#define WG_CONF_PREFIX_STRLEN 50         /**< IPv6 text, "/128", NUL */
#define WG_CONF_ENDPOINT_STRLEN 54       /**< "[" IPv6 "]:65535", NUL */

/** An address and prefix length; addr holds 4 bytes for IPv4. */
struct wg_conf_prefix {
	uint8_t family;          /**< WG_AF_INET or WG_AF_INET6 */
	uint8_t len;             /**< prefix length in bits */
	uint8_t addr[16];        /**< network byte order, zero-padded */
};

/** A static neighbour of an uplink: no ARP or ND for this address. */
struct wg_conf_neighbor {
	uint8_t family;          /**< WG_AF_INET or WG_AF_INET6 */
	uint8_t addr[16];
	uint8_t mac[6];
};

/** One [Uplink]: a DPDK port carrying sealed (outer) traffic. */
struct wg_conf_uplink {
	char name[WG_CONF_UPLINK_NAME_LEN];
	/** The DPDK device as written: name, PCI address or port id. */
	char port[WG_CONF_PORT_LEN];
	struct wg_conf_prefix *addrs;    /**< at least one */
	unsigned int naddrs;
	bool has_gateway4, has_gateway6;
	uint8_t gateway4[4];
	uint8_t gateway6[16];
	struct wg_conf_neighbor *neighbors;
	unsigned int nneighbors;
	uint32_t priority;       /**< lower is preferred; default 0 */
	uint16_t vlan;           /**< 802.1Q tag 1..4094, 0: untagged */
	unsigned int line;       /**< of the [Uplink] header */
};

enum wg_conf_redundancy {
	WG_CONF_SINGLE = 0,      /**< one uplink at a time (the default) */
	WG_CONF_DUPLICATE,       /**< every packet over every uplink */
	WG_CONF_FAILOVER,        /**< one uplink, probing the others */
};

struct wg_conf_peer {
	uint8_t public_key[WG_CONF_KEY_LEN];
	bool has_psk;
	uint8_t psk[WG_CONF_KEY_LEN];    /**< wiped by wg_conf_free() */
	/** Host bits beyond the prefix length are cleared, as wg does. */
	struct wg_conf_prefix *allowed_ips;
	unsigned int nallowed;
	struct wg_endpoint *endpoints;   /**< port in network byte order */
	unsigned int nendpoints;
	uint16_t keepalive;              /**< seconds, 0: off */
	/** Indices into wg_conf.uplinks, in the order given; every uplink
	 * (in file order) when the file has no Uplinks key for the peer. */
	unsigned int *uplinks;
	unsigned int nuplinks;
	bool uplinks_all;                /**< no Uplinks key: the default */
	enum wg_conf_redundancy redundancy;
	uint32_t failback_hold_ms;
	uint32_t probe_interval_ms;
	unsigned int line;               /**< of the [Peer] header */
};

struct wg_conf {
	/** Interface name from the file name ("wg0.conf" gives "wg0"); empty
	 * when that is not a valid wg-quick interface name. */
	char name[WG_CONF_IFNAME_LEN];
	uint8_t private_key[WG_CONF_KEY_LEN];   /**< wiped by wg_conf_free() */
	uint8_t public_key[WG_CONF_KEY_LEN];    /**< derived from it */
	uint16_t listen_port;                   /**< host byte order */
	struct wg_conf_prefix *addrs;           /**< of the TUN interface */
	unsigned int naddrs;
	uint16_t mtu;
	uint32_t replay_window;
	uint32_t fwmark;                        /**< stored, not applied */
	struct wg_conf_uplink *uplinks;
	unsigned int nuplinks;
	struct wg_conf_peer *peers;
	unsigned int npeers;
	/** "NAME:LINE: message" for each accepted-but-ignored key and each
	 * dubious but legal setting: those of the lines in file order, then
	 * those of the whole-file checks. */
	char **warnings;
	unsigned int nwarnings;
};

/**
 * Parse and check a configuration file.
 *
 * @param path  the file; also the NAME of error messages
 * @param out   on success, a configuration to release with wg_conf_free()
 * @param err   on failure, "NAME:LINE: message" (may be NULL)
 * @return 0, -EINVAL for an invalid file, -ENOMEM, or -errno of open/read.
 */
int wg_conf_parse_file(const char *path, struct wg_conf **out,
		       char *err, size_t errlen);

/** As wg_conf_parse_file(), from a NUL-terminated string. */
int wg_conf_parse_string(const char *name, const char *text,
			 struct wg_conf **out, char *err, size_t errlen);

/** Release a configuration, wiping the private and preshared keys. */
void wg_conf_free(struct wg_conf *conf);

/**
 * Parse "ADDR/LEN" or a bare "ADDR" (a host: /32 or /128). Host bits are
 * kept; see wg_conf_prefix_mask().
 *
 * @return 0; -EINVAL for a malformed address or length; -ERANGE for a
 *   length beyond the family's bits.
 */
int wg_conf_parse_prefix(const char *s, struct wg_conf_prefix *out);

/** Clear the host bits of p; true if any were set. */
bool wg_conf_prefix_mask(struct wg_conf_prefix *p);

/**
 * Parse a literal "IPv4:PORT" or "[IPv6]:PORT" with a port of 1..65535.
 * Host names are refused: nothing here resolves names.
 *
 * @return 0 or -EINVAL.
 */
int wg_conf_parse_endpoint(const char *s, struct wg_endpoint *out);

/** "ADDR/LEN" into buf; buf, or NULL if it is too small or p invalid. */
const char *wg_conf_format_prefix(const struct wg_conf_prefix *p,
				  char *buf, size_t len);

/** "A.B.C.D:PORT" or "[IPv6]:PORT" into buf; buf, or NULL as above. */
const char *wg_conf_format_endpoint(const struct wg_endpoint *ep,
				    char *buf, size_t len);

/**
 * A peer with the defaults of a [Peer] section that gives only its key:
 * every one of conf's uplinks, Redundancy = single (for peers the UAPI
 * adds). Release with wg_conf_peer_clear().
 * @return 0 or -ENOMEM.
 */
int wg_conf_peer_init(struct wg_conf_peer *peer, const struct wg_conf *conf,
		      const uint8_t public_key[WG_CONF_KEY_LEN]);

/** A deep copy of src into dst. @return 0 or -ENOMEM (dst untouched). */
int wg_conf_peer_copy(struct wg_conf_peer *dst,
		      const struct wg_conf_peer *src);

/** Free what a peer holds and wipe it (its preshared key). */
void wg_conf_peer_clear(struct wg_conf_peer *peer);

/** "single", "duplicate" or "failover". */
const char *wg_conf_redundancy_name(enum wg_conf_redundancy r);

#endif /* WG_CONF_H */
