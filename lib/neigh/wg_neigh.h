/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef WG_NEIGH_H
#define WG_NEIGH_H

/**
 * @file
 * The neighbour cache of one uplink (one L2 domain: a port, or a VLAN on a
 * port): IPv4 and IPv6 next hops and their MAC addresses, resolved with
 * ARP and Neighbour Discovery, plus the choice of next hop for a peer's
 * endpoint. Pure C, no DPDK and no clock: every call that cares about time
 * takes now_ns, so the state machine is tested in virtual time.
 *
 * One thread owns a table (the control lcore). Workers never read it: the
 * owner copies resolved MACs into the per-peer paths the workers use, and
 * re-copies when wg_neigh_generation() changes. Frames are neither parsed
 * nor built here (that is lib/net); this library only says what to send.
 *
 * States, as RFC 4861 section 7.3.2 with the DELAY state folded into PROBE:
 *
 *   (none) --resolve--> INCOMPLETE --reply--> REACHABLE --reachable_ns-->
 *   STALE --resolve--> PROBE --reply--> REACHABLE
 *   INCOMPLETE, PROBE --max_probes requests unanswered--> FAILED
 *   FAILED --failed_hold_ns--> removed (a later resolve starts afresh)
 *   STATIC: from the configuration; never changed by what is learnt.
 *
 * Entries are only created by wg_neigh_resolve() (addresses we need) and
 * wg_neigh_add_static(); what is learnt from the wire updates existing
 * entries only, so a flood of ARP on a big segment cannot fill the table
 * or push out the gateway.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wg_endpoint.h"

#define WG_NEIGH_MAC_LEN 6

enum wg_neigh_state {
	WG_NEIGH_INCOMPLETE,     /**< resolving, no MAC yet */
	WG_NEIGH_REACHABLE,      /**< MAC confirmed within reachable_ns */
	WG_NEIGH_STALE,          /**< MAC usable, not confirmed lately */
	WG_NEIGH_FAILED,         /**< no answer; held down, no MAC */
	WG_NEIGH_STATIC,         /**< from the configuration */
	WG_NEIGH_PROBE,          /**< STALE and in use: MAC usable, probed */
};

/** Timers and limits; wg_neigh_params_default() gives the values below. */
struct wg_neigh_params {
	uint64_t retry_ns;       /**< between requests: 1 s */
	unsigned int max_probes; /**< requests before FAILED, 1..255: 3 */
	uint64_t failed_hold_ns; /**< FAILED before a new attempt: 20 s */
	uint64_t reachable_ns;   /**< REACHABLE, then STALE: 30 s */
	uint64_t gc_ns;          /**< STALE, unresolved this long: gone: 60 s */
};

/** A request (ARP who-has or Neighbour Solicitation) to send. */
struct wg_neigh_request {
	uint8_t family;          /**< WG_AF_INET or WG_AF_INET6 */
	uint8_t addr[16];        /**< the address to resolve */
	/** Probe of a known MAC: send to mac (unicast ARP, unicast NS)
	 * rather than to broadcast or the solicited-node group. */
	bool unicast;
	uint8_t mac[WG_NEIGH_MAC_LEN];
};

/** Counters, for diagnostics. */
struct wg_neigh_stats {
	uint64_t requests;       /**< requests asked for (resolve and poll) */
	uint64_t failures;       /**< entries that went FAILED */
	uint64_t table_full;     /**< resolves refused: nothing to evict */
	uint64_t evictions;      /**< STALE or FAILED entries pushed out */
	uint64_t learnt;         /**< learn() calls that changed an entry */
	uint64_t ignored;        /**< learn() calls that changed nothing */
};

/** One entry, as wg_neigh_lookup() and wg_neigh_foreach() report it. */
struct wg_neigh_entry_info {
	uint8_t family;
	uint8_t state;           /**< enum wg_neigh_state */
	uint8_t probes;          /**< requests sent in this round */
	bool has_mac;            /**< REACHABLE, STALE, PROBE, STATIC */
	uint8_t addr[16];
	uint8_t mac[WG_NEIGH_MAC_LEN];
};

/** Flags of wg_neigh_learn(). */
#define WG_NEIGH_F_SOLICITED 0x1 /**< answers our request (NA S flag,
				  *   ARP reply to us) */
#define WG_NEIGH_F_OVERRIDE 0x2  /**< may replace a known MAC (NA O flag;
				  *   always set for ARP) */

struct wg_neigh_table;

void wg_neigh_params_default(struct wg_neigh_params *p);

/**
 * Create a table for up to capacity entries (1..1<<20).
 *
 * @param params  NULL for the defaults
 * @return the table, or NULL with errno EINVAL (bad capacity or params)
 *   or ENOMEM.
 */
struct wg_neigh_table *wg_neigh_create(unsigned int capacity,
				       const struct wg_neigh_params *params);

void wg_neigh_free(struct wg_neigh_table *t);

/**
 * Add or replace a static neighbour: it takes precedence over (and
 * replaces) a dynamic entry for the same address and is never changed by
 * wg_neigh_learn() or expired.
 *
 * @param addr  4 or 16 bytes, network order
 * @param mac   a unicast, non-zero MAC
 * @return 0; -EINVAL (family, unspecified or multicast address, mac);
 *   -ENOSPC when the table is full of entries that cannot be evicted.
 */
int wg_neigh_add_static(struct wg_neigh_table *t, uint8_t family,
			const uint8_t *addr,
			const uint8_t mac[WG_NEIGH_MAC_LEN]);

/** Remove the entry for addr, static or not: 0 or -ENOENT. */
int wg_neigh_del(struct wg_neigh_table *t, uint8_t family,
		 const uint8_t *addr);

/**
 * Take what an ARP packet (request or reply: the sender's addresses) or a
 * Neighbour Advertisement (the target and its link-layer option) or a
 * Neighbour Solicitation (the source and its link-layer option) says.
 * Only existing, non-static entries change, as RFC 4861 section 7.2.5:
 *
 * - INCOMPLETE or FAILED: takes the MAC; REACHABLE if solicited, else
 *   STALE.
 * - a known MAC: with SOLICITED, the same MAC (or a new one with
 *   OVERRIDE) becomes REACHABLE; without, a new MAC with OVERRIDE is
 *   taken as STALE; a new MAC without OVERRIDE only turns REACHABLE into
 *   STALE.
 *
 * @param mac  NULL for an advertisement without a link-layer option: then
 *   a solicited one confirms the MAC already known, and nothing else.
 * @return true if the MAC to use for addr changed (or became usable): the
 *   owner should refresh the paths through it (wg_neigh_generation()
 *   changes too).
 */
bool wg_neigh_learn(struct wg_neigh_table *t, uint8_t family,
		    const uint8_t *addr, const uint8_t *mac,
		    uint64_t now_ns, unsigned int flags);

/**
 * The MAC to send to addr, starting or continuing its resolution.
 *
 * - unknown: an INCOMPLETE entry is made (evicting the FAILED or least
 *   recently used STALE entry when the table is full) and a request is
 *   due; NULL is returned.
 * - INCOMPLETE: NULL, no request (wg_neigh_poll() sends the retries).
 * - FAILED: NULL and no request until failed_hold_ns is over; then as
 *   unknown.
 * - STALE: the MAC, and the entry goes PROBE with a request due (unicast
 *   to that MAC).
 * - REACHABLE, PROBE, STATIC: the MAC (retries of PROBE come from
 *   wg_neigh_poll()).
 *
 * Call it for every next hop in use at least every few seconds: that is
 * what keeps an entry from being garbage-collected and what re-resolves a
 * STALE one.
 *
 * @param need_request  set true when the caller must send the first
 *   request of a round for addr now: broadcast if NULL is returned, else
 *   unicast to the MAC; false otherwise.
 * @return the MAC, valid until the next call that changes t; NULL when
 *   none is known (or the table is full: see stats.table_full).
 */
const uint8_t *wg_neigh_resolve(struct wg_neigh_table *t, uint8_t family,
				const uint8_t *addr, uint64_t now_ns,
				bool *need_request);

/**
 * Run the timers: retries of INCOMPLETE and PROBE entries (the last probe
 * of a PROBE round is broadcast, in case the neighbour's MAC changed
 * silently), INCOMPLETE and PROBE to FAILED, REACHABLE to STALE, removal
 * of FAILED entries after their hold-down and of STALE ones unused for
 * gc_ns. Call it every 100 ms or so.
 *
 * @param out  the requests to send now; when more than max are due, the
 *   rest stay due and the next call reports them first.
 * @return the number of requests written to out.
 */
unsigned int wg_neigh_poll(struct wg_neigh_table *t, uint64_t now_ns,
			   struct wg_neigh_request *out, unsigned int max);

/**
 * The entry for addr as of the last call that changed t (no timers run).
 *
 * @return 0 or -ENOENT.
 */
int wg_neigh_lookup(const struct wg_neigh_table *t, uint8_t family,
		    const uint8_t *addr, struct wg_neigh_entry_info *out);

/** Call cb for every entry, in no particular order; t must not change. */
typedef void (*wg_neigh_foreach_cb)(const struct wg_neigh_entry_info *e,
				    void *arg);

void wg_neigh_foreach(const struct wg_neigh_table *t, wg_neigh_foreach_cb cb,
		      void *arg);

/** Number of entries. */
unsigned int wg_neigh_count(const struct wg_neigh_table *t);

/** Bumped whenever the MAC to use for some address changes, appears or
 * goes away: the owner compares it to refresh its paths. */
uint64_t wg_neigh_generation(const struct wg_neigh_table *t);

void wg_neigh_get_stats(const struct wg_neigh_table *t,
			struct wg_neigh_stats *out);

/** "incomplete", "reachable", "stale", "failed", "static", "probe". */
const char *wg_neigh_state_name(enum wg_neigh_state s);

/*
 * Next-hop selection.
 */

/** An uplink address and its prefix length (host bits are the address). */
struct wg_neigh_prefix {
	uint8_t family;          /**< WG_AF_INET or WG_AF_INET6 */
	uint8_t len;             /**< prefix length in bits */
	uint8_t addr[16];        /**< network order; 4 bytes for IPv4 */
};

/** What the next-hop choice needs to know of an uplink. */
struct wg_neigh_link {
	const struct wg_neigh_prefix *prefixes;   /**< our addresses */
	unsigned int nprefixes;
	bool has_gateway4, has_gateway6;
	uint8_t gateway4[4];
	uint8_t gateway6[16];
};

/** Return values of wg_neigh_next_hop(). */
#define WG_NEIGH_ON_LINK 0       /**< the next hop is dst itself */
#define WG_NEIGH_VIA_GATEWAY 1   /**< the next hop is the gateway */

/**
 * Which neighbour to send to for dst: dst itself when it lies in one of
 * the uplink's prefixes of its family (or is link-local: 169.254/16,
 * fe80::/10), else the gateway of that family.
 *
 * @param hop  the next hop (4 or 16 bytes written)
 * @param src  if not NULL, our address to send from: the one whose prefix
 *   holds dst (on-link) or the gateway, else the first of the family
 * @return WG_NEIGH_ON_LINK or WG_NEIGH_VIA_GATEWAY; -EINVAL when dst is
 *   not a unicast address (unspecified, loopback, multicast, IPv4
 *   broadcast, or the network or broadcast address of an on-link IPv4
 *   prefix of /30 or shorter) or is one of our own addresses, or family
 *   is unknown; -ENETUNREACH when the uplink has no address of dst's
 *   family, or dst is off-link and there is no gateway of its family.
 */
int wg_neigh_next_hop(const struct wg_neigh_link *link, uint8_t family,
		      const uint8_t *dst, uint8_t hop[16], uint8_t src[16]);

#endif /* WG_NEIGH_H */
