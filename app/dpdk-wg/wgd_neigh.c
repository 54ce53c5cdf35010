/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>

#include "wg_neigh.h"
#include "wgd.h"
#include "wgd_neigh.h"

#define NEIGH_CAPACITY 1024
#define POLL_NS (100 * WG_NS_PER_MS)

static struct {
	struct wg_neigh_table *table;
	struct wg_neigh_link link;
	struct wg_neigh_prefix prefixes[16];
	uint64_t generation;
} neigh[WGD_MAX_UPLINKS];

static uint64_t next_poll;

/* Neighbour timers run on the real clock: ARP does not speed up with the
 * protocol's test clock. */
static uint64_t
real_now(void)
{
	return wg_clock_system.monotonic_ns(NULL);
}

static void
link_init(unsigned int u)
{
	const struct wg_conf_uplink *c = wgd.uplinks[u].conf;
	struct wg_neigh_link *l = &neigh[u].link;
	unsigned int i, n = 0;

	for (i = 0; i < c->naddrs && n < RTE_DIM(neigh[u].prefixes); i++) {
		neigh[u].prefixes[n].family = c->addrs[i].family;
		neigh[u].prefixes[n].len = c->addrs[i].len;
		memcpy(neigh[u].prefixes[n++].addr, c->addrs[i].addr, 16);
	}
	l->prefixes = neigh[u].prefixes;
	l->nprefixes = n;
	l->has_gateway4 = c->has_gateway4;
	l->has_gateway6 = c->has_gateway6;
	memcpy(l->gateway4, c->gateway4, 4);
	memcpy(l->gateway6, c->gateway6, 16);
}

int
wgd_neigh_init(void)
{
	for (unsigned int u = 0; u < wgd.nb_uplinks; u++) {
		const struct wg_conf_uplink *c = wgd.uplinks[u].conf;

		neigh[u].table = wg_neigh_create(NEIGH_CAPACITY, NULL);
		if (neigh[u].table == NULL)
			return -1;
		for (unsigned int i = 0; i < c->nneighbors; i++) {
			const struct wg_conf_neighbor *nb = &c->neighbors[i];

			if (wg_neigh_add_static(neigh[u].table, nb->family,
						nb->addr, nb->mac) != 0) {
				fprintf(stderr, "%s:%u: cannot add neighbour\n",
					wgd.conf_path, c->line);
				return -1;
			}
		}
		link_init(u);
		neigh[u].generation = wg_neigh_generation(neigh[u].table);
	}
	return 0;
}

void
wgd_neigh_free(void)
{
	for (unsigned int u = 0; u < WGD_MAX_UPLINKS; u++) {
		wg_neigh_free(neigh[u].table);
		neigh[u].table = NULL;
	}
}

static void
send_request(uint16_t u, uint8_t family, const uint8_t *target,
	     const uint8_t *unicast_mac)
{
	struct wgd_uplink *up = &wgd.uplinks[u];
	const uint8_t *src = family == WG_AF_INET ? up->addr4 : up->addr6;
	struct rte_ether_addr dst;
	struct rte_mbuf *m;

	if ((family == WG_AF_INET && !up->has4) ||
	    (family == WG_AF_INET6 && !up->has6))
		return;
	m = rte_pktmbuf_alloc(wgd.pool);
	if (m == NULL)
		return;
	if (unicast_mac != NULL)
		memcpy(dst.addr_bytes, unicast_mac, RTE_ETHER_ADDR_LEN);
	if (wg_net_neigh_request(m, &up->mac, up->conf->vlan, family, src,
				 target, unicast_mac ? &dst : NULL) != 0) {
		rte_pktmbuf_free(m);
		return;
	}
	wgd_ctrl_send_raw(u, m);
}

static bool
is_ours(const struct wgd_uplink *up, const struct wg_endpoint *a)
{
	for (unsigned int i = 0; i < up->conf->naddrs; i++) {
		const struct wg_conf_prefix *p = &up->conf->addrs[i];

		if (p->family == a->family &&
		    memcmp(p->addr, &a->addr, a->family == WG_AF_INET ? 4 : 16)
			    == 0)
			return true;
	}
	return false;
}

void
wgd_neigh_input(uint16_t u, struct rte_mbuf *m, const struct wg_net_info *info)
{
	struct wgd_uplink *up = &wgd.uplinks[u];
	bool request = info->op == WG_NET_ARP_REQUEST ||
		       info->op == WG_NET_ND_NS;

	if (info->flags & WG_NET_F_LLADDR)
		wg_neigh_learn(neigh[u].table, info->src.family,
			       (const uint8_t *)&info->src.addr, info->lladdr,
			       real_now(), info->flags &
			       (WG_NET_F_SOLICITED | WG_NET_F_OVERRIDE));
	if (request && is_ours(up, &info->dst) &&
	    wg_net_neigh_reply(m, info, &up->mac)) {
		wgd_ctrl_send_raw(u, m);
		return;
	}
	rte_pktmbuf_free(m);
}

bool
wgd_neigh_reachable(uint16_t u, const struct wg_endpoint *ep)
{
	uint8_t hop[16];

	return wg_neigh_next_hop(&neigh[u].link, ep->family,
				 (const uint8_t *)&ep->addr, hop, NULL) >= 0;
}

bool
wgd_neigh_route(uint16_t u, const struct wg_endpoint *ep, uint8_t mac[6],
		uint8_t src[16])
{
	uint8_t hop[16];
	const uint8_t *known;
	bool need_request = false;

	if (wg_neigh_next_hop(&neigh[u].link, ep->family,
			      (const uint8_t *)&ep->addr, hop, src) < 0)
		return false;
	known = wg_neigh_resolve(neigh[u].table, ep->family, hop, real_now(),
				 &need_request);
	if (need_request)
		send_request(u, ep->family, hop, known);
	if (known == NULL)
		return false;
	memcpy(mac, known, 6);
	return true;
}

void
wgd_neigh_tick(void)
{
	struct wg_neigh_request reqs[16];
	uint64_t now = real_now();
	bool changed = false;
	unsigned int u, i, n;

	if (now < next_poll)
		return;
	next_poll = now + POLL_NS;
	wgd_paths_keepalive();
	for (u = 0; u < wgd.nb_uplinks; u++) {
		n = wg_neigh_poll(neigh[u].table, now, reqs, RTE_DIM(reqs));
		for (i = 0; i < n; i++)
			send_request((uint16_t)u, reqs[i].family, reqs[i].addr,
				     reqs[i].unicast ? reqs[i].mac : NULL);
		if (wg_neigh_generation(neigh[u].table) != neigh[u].generation) {
			neigh[u].generation =
				wg_neigh_generation(neigh[u].table);
			changed = true;
		}
	}
	if (changed)
		wgd_paths_refresh();
}
