/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef WGD_NEIGH_H
#define WGD_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "wg_endpoint.h"
#include "wg_net.h"

/* Neighbour resolution of the uplinks, on the control lcore: one table
 * per uplink, static neighbours from the config first, ARP and ND
 * answered for our addresses. */
int wgd_neigh_init(void);
void wgd_neigh_free(void);
/** An ARP or ND frame from a worker: learn from it, answer it if it asks
 * for one of our addresses; consumes m. */
void wgd_neigh_input(uint16_t uplink, struct rte_mbuf *m,
		     const struct wg_net_info *info);
/**
 * The next hop's MAC and our source address to reach ep over uplink;
 * false while unresolved (a request is sent) or unreachable.
 */
bool wgd_neigh_route(uint16_t uplink, const struct wg_endpoint *ep,
		     uint8_t mac[6], uint8_t src[16]);
/** Can uplink reach ep at all (on-link, or a gateway of its family)? */
bool wgd_neigh_reachable(uint16_t uplink, const struct wg_endpoint *ep);
/** Retries, expiry, and path refresh when a MAC changed; every tick. */
void wgd_neigh_tick(void);

#endif /* WGD_NEIGH_H */
