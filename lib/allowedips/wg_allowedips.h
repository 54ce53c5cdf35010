/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef WG_ALLOWEDIPS_H
#define WG_ALLOWEDIPS_H

/**
 * @file
 * Cryptokey routing: WireGuard's AllowedIPs on the data path, on rte_acl.
 *
 * An address belongs to the peer whose AllowedIPs prefix containing it is
 * the longest, exactly as WireGuard's allowedips trie decides; IPv4 and
 * IPv6 are independent tables. TX looks up the inner destination to find
 * the peer to seal for; RX looks up the inner source and drops the packet
 * unless it is the peer whose key opened it.
 *
 * A table is an immutable snapshot built from the complete list of
 * prefixes. The control lcore builds a new one on every change, publishes
 * the pointer (RCU), and frees the old one with wg_allowedips_free() only
 * after every reader has gone through a quiescent state. Lookups never
 * write to the snapshot, so any number of lcores may share one.
 *
 * Needs EAL (rte_acl and rte_malloc memory). Building is slow next to a
 * lookup (milliseconds per thousand prefixes, see doc/allowedips.md), so
 * it belongs on the control lcore, never on a worker.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Lookups per internal burst; larger batches are split, not refused. */
#define WG_ALLOWEDIPS_BURST 64

/** One AllowedIPs prefix of one peer. */
struct wg_allowedips_entry {
	uint8_t family;     /**< 4 or 6 */
	uint8_t prefix_len; /**< 0..32 or 0..128 */
	uint8_t addr[16];   /**< network order; 4 bytes used for IPv4 */
	uint32_t peer_id;   /**< non-zero: 0 means "no peer" in results */
};

struct wg_allowedips;

/**
 * Build a snapshot from the full list of prefixes.
 *
 * Host bits of an address beyond prefix_len are ignored (10.1.2.3/8 is
 * 10.0.0.0/8), as WireGuard does. The same prefix given more than once is
 * kept once and the last entry wins, like a later "wg set ... allowed-ips"
 * moving a prefix to another peer. An empty list (n == 0) gives a valid
 * table in which every lookup returns 0.
 *
 * name is only a label: each snapshot's rte_acl contexts get unique
 * names, so the old and the new snapshot coexist during the RCU grace
 * period.
 *
 * @param name       label of the rte_acl contexts (first 20 chars),
 *                   NULL for "aips"
 * @param entries    prefixes, may be NULL when n == 0
 * @param n          number of entries
 * @param socket_id  NUMA socket of the workers that will read it, or
 *                   SOCKET_ID_ANY
 * @param err        buffer for a one-line reason on failure, may be NULL
 * @param errlen     its size
 * @return the snapshot, or NULL on an invalid entry (family not 4 or 6,
 *         prefix too long, peer_id 0) or when memory runs out.
 */
struct wg_allowedips *
wg_allowedips_build(const char *name,
		    const struct wg_allowedips_entry *entries, unsigned int n,
		    int socket_id, char *err, size_t errlen);

/** Free a snapshot no reader can still see; NULL is a no-op. */
void wg_allowedips_free(struct wg_allowedips *a);

/**
 * Batch lookup on the data path.
 *
 * ip_hdrs[i] points to the first byte of an inner IP header, IPv4 or IPv6
 * freely mixed, the version taken from its first nibble. The caller has
 * checked that the whole fixed header (20 or 40 bytes) is present: only
 * the address is read. peer_ids[i] receives the peer owning the source
 * (by_source) or destination address, or 0 if no prefix contains it, the
 * version nibble is neither 4 nor 6, or ip_hdrs[i] is NULL. A NULL table
 * (nothing published yet) answers 0 for every packet.
 *
 * @param n  any count; the cost is lowest in bursts of up to
 *           WG_ALLOWEDIPS_BURST
 */
void
wg_allowedips_lookup(const struct wg_allowedips *a,
		     const uint8_t *const ip_hdrs[], unsigned int n,
		     bool by_source, uint32_t peer_ids[]);

/**
 * Single-address lookup for the control plane.
 *
 * @param family  4 or 6; anything else gives 0
 * @param addr    4 or 16 bytes, network order
 * @return peer id, or 0 if no prefix contains addr
 */
uint32_t
wg_allowedips_lookup_addr(const struct wg_allowedips *a, uint8_t family,
			  const uint8_t addr[]);

/** Prefixes of a family (4 or 6) in the table, duplicates merged. */
unsigned int
wg_allowedips_count(const struct wg_allowedips *a, uint8_t family);

/**
 * rte_acl classify method the table's contexts use ("avx512x32",
 * "avx512x16", "avx2", "sse", "scalar"), for the startup log; "none" for
 * a table without prefixes. rte_acl picks the best the CPU and EAL's
 * maximum SIMD width allow: AVX-512 with 512-bit vectors (avx512x32) only
 * with --force-max-simd-bitwidth=512.
 */
const char *wg_allowedips_alg(const struct wg_allowedips *a);

#endif /* WG_ALLOWEDIPS_H */
