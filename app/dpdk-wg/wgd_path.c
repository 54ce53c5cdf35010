/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Paths: the ways to a peer, each an uplink, our address on it and one of
 * the peer's endpoints. A peer has the paths its config gives (its
 * uplinks times its endpoints of a family the uplink has) and those it is
 * seen sending from. Its data goes out on one of them (Redundancy =
 * single, WireGuard's roaming: the endpoint last heard from) or on every
 * one that can send (duplicate). The control lcore owns the candidates
 * and publishes an immutable path set for the workers.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_rcu_qsbr.h>

#include "wg_peer.h"
#include "wgd.h"
#include "wgd_neigh.h"
#include "wgd_stats.h"

static bool
uplink_has_family(const struct wgd_uplink *up, uint8_t family)
{
	return (family == WG_AF_INET && up->has4) ||
	       (family == WG_AF_INET6 && up->has6);
}

static bool
uplink_usable(const struct wgd_uplink *up)
{
	return !up->link_down && !up->admin_down;
}

static void
cand_set(struct wgd_path *c, uint16_t uplink, const struct wg_endpoint *ep,
	 bool learnt)
{
	memset(c, 0, sizeof(*c));
	c->uplink = uplink;
	c->learnt = learnt;
	c->net.dst = *ep;
}

void
wgd_paths_init(struct wgd_peer *p)
{
	const struct wg_conf_peer *cp = p->conf;

	for (unsigned int i = 0; i < cp->nuplinks; i++) {
		uint16_t u = (uint16_t)cp->uplinks[i];

		for (unsigned int e = 0; e < cp->nendpoints; e++) {
			/* Only pairs with a way there: on the uplink's
			 * link, or behind its gateway. */
			if (p->nb_cand == WGD_MAX_PATHS ||
			    !uplink_has_family(&wgd.uplinks[u],
					       cp->endpoints[e].family) ||
			    !wgd_neigh_reachable(u, &cp->endpoints[e]))
				continue;
			cand_set(&p->cand[p->nb_cand++], u, &cp->endpoints[e],
				 false);
		}
	}
}

static int
cand_find(const struct wgd_peer *p, uint16_t uplink,
	  const struct wg_endpoint *ep)
{
	for (unsigned int i = 0; i < p->nb_cand; i++)
		if (p->cand[i].uplink == uplink &&
		    wg_endpoint_equal(&p->cand[i].net.dst, ep))
			return (int)i;
	return -1;
}

void
wgd_path_health_reset(struct wgd_peer *p, unsigned int i)
{
	struct wgd_path_health *h = &p->health[i];
	uint64_t rx = h->rx_pkts, tx = h->tx_pkts;

	memset(h, 0, sizeof(*h));
	/* The slot's stats go on counting: a change from here is news. */
	h->rx_pkts = rx;
	h->tx_pkts = tx;
	if (p->probe_last == (int)i)
		p->probe_last = -1;
}

/* A path the peer was seen on: a new slot, or the oldest learnt one's
 * when all are taken (configured paths are never pushed out). */
static int
cand_learn(struct wgd_peer *p, uint16_t uplink, const struct wg_endpoint *ep)
{
	static unsigned int next_victim;
	int i = cand_find(p, uplink, ep);

	if (i >= 0)
		return i;
	if (p->nb_cand < WGD_MAX_PATHS) {
		/* A free slot's health is clean: zeroed with the peer, or
		 * reset with the rest when the configured paths change. */
		cand_set(&p->cand[p->nb_cand], uplink, ep, true);
		return (int)p->nb_cand++;
	}
	for (unsigned int n = 0; n < WGD_MAX_PATHS; n++) {
		i = (int)(next_victim++ % WGD_MAX_PATHS);
		if (p->cand[i].learnt) {
			cand_set(&p->cand[i], uplink, ep, true);
			wgd_path_health_reset(p, (unsigned int)i);
			return i;
		}
	}
	return -1;
}

/* The uplink for the core's endpoint when nothing says where it was
 * seen: the first of the peer's uplinks with an address of its family. */
static int
choose_uplink(const struct wgd_peer *p, const struct wg_endpoint *ep)
{
	for (unsigned int i = 0; i < p->conf->nuplinks; i++) {
		unsigned int u = p->conf->uplinks[i];

		if (uplink_has_family(&wgd.uplinks[u], ep->family))
			return (int)u;
	}
	return -1;
}

/* Outer headers of a candidate, if its next hop is known (or a frame
 * just came through it: seen). */
static void
path_resolve(struct wgd_path *c, const struct wg_net_path *seen)
{
	const struct wgd_uplink *up = &wgd.uplinks[c->uplink];
	const struct wg_endpoint *ep = &c->net.dst;

	memcpy(c->net.src_mac, up->mac.addr_bytes, RTE_ETHER_ADDR_LEN);
	c->net.vlan = up->conf->vlan;
	c->net.src.family = ep->family;
	c->net.src.port = wgd.listen_port_be;
	if (ep->family == WG_AF_INET)
		memcpy(c->net.src.addr.v4, up->addr4, 4);
	else
		memcpy(c->net.src.addr.v6, up->addr6, 16);
	c->resolved = wgd_neigh_route(c->uplink, ep, c->net.dst_mac,
				      (uint8_t *)&c->net.src.addr);
	if (!c->resolved && seen != NULL) {
		memcpy(c->net.dst_mac, seen->dst_mac, RTE_ETHER_ADDR_LEN);
		c->net.src = seen->src;
		c->resolved = true;
	}
	/* Nothing goes out of an uplink that is down. */
	if (!uplink_usable(up))
		c->resolved = false;
}

void
wgd_pathset_free(void *arg, void *entries, unsigned int n)
{
	struct wgd_pathset **sets = entries;

	(void)arg;
	for (unsigned int i = 0; i < n; i++)
		free(sets[i]);
}

static void
publish(struct wgd_peer *p, struct wgd_pathset *ps)
{
	struct wgd_pathset *old = atomic_exchange(&p->paths, ps);

	if (old == NULL)
		return;
	if (wgd.path_defer_queue == NULL ||
	    rte_rcu_qsbr_dq_enqueue(wgd.path_defer_queue, &old) != 0) {
		rte_rcu_qsbr_synchronize(wgd.qsbr, RTE_QSBR_THRID_INVALID);
		wgd_pathset_free(NULL, &old, 1);
	}
}

static uint32_t
path_priority(const struct wgd_path *c)
{
	return wgd.uplinks[c->uplink].conf->priority;
}

/* The preferred path that can send, other than skip; with now != 0 only
 * live ones out of hold-down count. Lower Priority first, then the order
 * of the config. */
static int
best_path(const struct wgd_peer *p, const struct wgd_pathset *ps, int skip,
	  uint64_t now)
{
	int best = -1;

	for (unsigned int i = 0; i < ps->nb_paths; i++) {
		const struct wgd_path_health *h = &p->health[i];

		if ((int)i == skip || !ps->path[i].resolved)
			continue;
		if (now != 0 && (h->up_since_ns == 0 || h->hold_until_ns > now))
			continue;
		if (best < 0 ||
		    path_priority(&ps->path[i]) < path_priority(&ps->path[best]))
			best = (int)i;
	}
	return best;
}

/* A path must prove itself again: from its next answer on, it has to
 * stay answering for FailbackHold before data returns to it. */
static void
health_forget(struct wgd_path_health *h)
{
	h->last_rx_ns = 0;
	h->up_since_ns = 0;
	h->unanswered_ns = 0;
	h->probes_lost = 0;
}

static uint64_t
real_ns(void)
{
	return wg_clock_system.monotonic_ns(NULL);
}

static void
set_active(struct wgd_peer *p, int to, uint64_t now)
{
	char ep[WG_CONF_ENDPOINT_STRLEN];

	if (to < 0 || to == p->active)
		return;
	wg_conf_format_endpoint(&p->cand[to].net.dst, ep, sizeof(ep));
	WGD_LOG(NOTICE, "peer %u: data now on %s -> %s", p->id,
		wgd.uplinks[p->cand[to].uplink].conf->name, ep);
	p->active = to;
	p->active_since_ns = now;
}

/*
 * The active path stopped answering or cannot send (its uplink went
 * down): it is held down, longer each time it fails, and must prove
 * itself again by answering probes; data moves to the best live path,
 * or failing that to any that can send.
 */
static void
active_lost(struct wgd_peer *p, const struct wgd_pathset *ps, uint64_t now)
{
	struct wgd_path_health *ah = &p->health[p->active];
	uint64_t hold = (uint64_t)p->conf->failback_hold_ms * WG_NS_PER_MS;
	unsigned int shift = ah->failures < 6 ? ah->failures : 6;
	int lost = p->active, to;

	ah->failures++;
	ah->hold_until_ns = now + (hold << shift);
	health_forget(ah);
	WGD_LOG(NOTICE, "peer %u: path %s held down %.1f s (failure %u)",
		p->id, wgd.uplinks[p->cand[lost].uplink].conf->name,
		(double)(hold << shift) / 1e9, ah->failures);
	to = best_path(p, ps, lost, now);
	if (to < 0)
		to = best_path(p, ps, lost, 0);
	if (to >= 0)
		set_active(p, to, now);
	else if (!ps->path[lost].resolved)
		p->active = -1;
}

/* Where data goes: every path that can send (duplicate), the one the
 * failover logic made active, or the one of the endpoint WireGuard last
 * heard from (single). */
static void
choose_tx(struct wgd_peer *p, struct wgd_pathset *ps, int current)
{
	switch (p->conf->redundancy) {
	case WG_CONF_DUPLICATE:
		for (unsigned int i = 0; i < ps->nb_paths; i++)
			if (ps->path[i].resolved)
				ps->tx[ps->nb_tx++] = (uint8_t)i;
		return;
	case WG_CONF_FAILOVER:
		if (p->active >= 0 && !ps->path[p->active].resolved)
			active_lost(p, ps, real_ns());
		if (p->active < 0)
			set_active(p, best_path(p, ps, -1, 0), real_ns());
		current = p->active;
		break;
	default:
		break;
	}
	if (current >= 0 && ps->path[current].resolved)
		ps->tx[ps->nb_tx++] = (uint8_t)current;
}

void
wgd_peer_update_path(struct wgd_peer *p, int seen_uplink,
		     const struct wg_net_path *seen)
{
	const struct wg_endpoint *ep = &p->core->endpoint;
	struct wgd_pathset *ps;
	int current = -1, u;

	if (seen != NULL)
		cand_learn(p, (uint16_t)seen_uplink, &seen->dst);
	if (ep->family != WG_AF_NONE) {
		u = p->uplink_hint >= 0 ? p->uplink_hint : choose_uplink(p, ep);
		if (u >= 0)
			current = cand_learn(p, (uint16_t)u, ep);
	}
	ps = calloc(1, sizeof(*ps));
	if (ps == NULL)
		return;
	ps->nb_paths = p->nb_cand;
	for (unsigned int i = 0; i < p->nb_cand; i++) {
		bool is_seen = seen != NULL && p->cand[i].uplink == seen_uplink &&
			       wg_endpoint_equal(&p->cand[i].net.dst, &seen->dst);

		path_resolve(&p->cand[i], is_seen ? seen : NULL);
		ps->path[i] = p->cand[i];
		/* Cannot be sent on (a learnt endpoint with port 0): not a
		 * path to choose, then. */
		if (wg_net_hdr_build(&ps->path[i].net, &ps->hdr[i]) != 0)
			ps->path[i].resolved = false;
	}
	choose_tx(p, ps, current);
	publish(p, ps);
	if (ps->nb_tx == 0)
		return;
	if (p->has_pending_hs) {
		p->has_pending_hs = false;
		for (unsigned int i = 0; i < ps->nb_tx; i++) {
			const struct wgd_path *path = &ps->path[ps->tx[i]];
			struct rte_mbuf *m = wgd_msg_mbuf(p->pending_hs,
							  sizeof(p->pending_hs));

			if (m != NULL)
				wgd_ctrl_send(path->uplink, &path->net, m);
		}
	}
	wgd_flush_staged(p);
}

void
wgd_paths_refresh(void)
{
	struct wgd_peer *p;

	WGD_FOREACH_PEER(p)
		wgd_peer_update_path(p, -1, NULL);
}

void
wgd_paths_keepalive(void)
{
	uint8_t mac[6], src[16];
	struct wgd_peer *p;

	WGD_FOREACH_PEER(p) {
		for (unsigned int c = 0; c < p->nb_cand; c++)
			wgd_neigh_route(p->cand[c].uplink, &p->cand[c].net.dst,
					mac, src);
	}
}

/* Slot i (or none, -1) answered: heard from now, no probe lost. */
static void
path_answered(struct wgd_peer *p, int i)
{
	if (i < 0 || (unsigned int)i >= p->nb_cand)
		return;
	p->health[i].last_rx_ns = real_ns();
	p->health[i].probes_lost = 0;
}

void
wgd_path_heard(struct wgd_peer *p, uint16_t uplink,
	       const struct wg_endpoint *src)
{
	int probed = p->probe_last;

	path_answered(p, cand_find(p, uplink, src));
	/* The peer answers to where it last heard from us, which data on
	 * another path keeps moving: the answer to a probe proves the path
	 * the probe went out on, whichever path brings it back. Only our
	 * last initiation can be answered (a new one replaces it). */
	p->probe_last = -1;
	path_answered(p, probed);
}

void
wgd_path_probe_superseded(struct wgd_peer *p)
{
	int i = p->probe_last;
	struct wgd_path_health *h;

	/* Its answer, if one still came, would be refused: lost. */
	p->probe_last = -1;
	if (i < 0 || (unsigned int)i >= p->nb_cand)
		return;
	h = &p->health[i];
	/* Down now, however recently it answered before, so that a short
	 * outage restarts its FailbackHold; acted on at once, before an
	 * answer to the next probe can clear the count. Fewer lost probes
	 * are loss, not an outage: a peer under load drops handshakes too. */
	if (++h->probes_lost >= WGD_PROBES_LOST_DOWN) {
		WGD_LOG(DEBUG, "peer %u: path %d: %u probes lost", p->id, i,
			h->probes_lost);
		health_forget(h);
	}
}

/* Packets received and data packets sent on slot i, over the lcores:
 * keepalives get no answer, so they prove nothing. */
static void
slot_counts(const struct wgd_peer *p, unsigned int i, uint64_t *rx,
	    uint64_t *tx)
{
	*rx = 0;
	*tx = 0;
	for (unsigned int l = 0; l <= wgd.nb_workers; l++) {
		*rx += p->pstats[l][i].rx_pkts;
		*tx += p->pstats[l][i].tx_data;
	}
}

/*
 * Liveness: a path is live while authenticated packets arrive on it.
 * The active one carries data: when data sent on it has had no answer
 * for 3/10 of the probe interval it is dead, so data moves well inside
 * one interval, before TCP's retransmission timer backs off far (traffic
 * that is never answered, one-way UDP, cannot tell). The others are
 * proved by handshakes sent over them, one per interval in turn, and
 * stay live for 2.5 intervals after an answer.
 */
static void
health_update(struct wgd_peer *p, const struct wgd_pathset *ps, uint64_t now)
{
	uint64_t interval = (uint64_t)p->conf->probe_interval_ms * WG_NS_PER_MS;

	for (unsigned int i = 0; i < ps->nb_paths; i++) {
		struct wgd_path_health *h = &p->health[i];
		uint64_t rx, tx;
		bool live;

		slot_counts(p, i, &rx, &tx);
		if (rx != h->rx_pkts) {
			h->last_rx_ns = now;
			h->unanswered_ns = 0;
			h->probes_lost = 0;
		} else if (tx != h->tx_pkts && h->unanswered_ns == 0) {
			h->unanswered_ns = now;
		}
		h->rx_pkts = rx;
		h->tx_pkts = tx;
		if ((int)i == p->active)
			live = h->last_rx_ns != 0 && (h->unanswered_ns == 0 ||
				now - h->unanswered_ns < interval * 3 / 10);
		else
			live = h->last_rx_ns != 0 &&
			       now - h->last_rx_ns < interval * 5 / 2;
		if (live && h->up_since_ns == 0) {
			WGD_LOG(DEBUG, "peer %u: path %u: live", p->id, i);
			h->up_since_ns = now;
		} else if (!live && h->up_since_ns != 0) {
			WGD_LOG(DEBUG, "peer %u: path %u: not live", p->id, i);
			h->up_since_ns = 0;
		}
	}
}

static void
switch_active(struct wgd_peer *p, int to, uint64_t now)
{
	if (to < 0 || to == p->active)
		return;
	set_active(p, to, now);
	wgd_peer_update_path(p, -1, NULL);
}

static void
probe_send(struct wgd_peer *p, int i)
{
	WGD_LOG(DEBUG, "peer %u: path %u: probe", p->id, i);
	p->probe_slot = i;
	wg_peer_send_probe(p->core);
	p->probe_slot = -1;
}

/* The preferred path data would go back to, if it is not active. */
static int
failback_candidate(const struct wgd_peer *p, const struct wgd_pathset *ps)
{
	int best = best_path(p, ps, -1, 0);

	if (best < 0 || best == p->active || p->active < 0 ||
	    path_priority(&ps->path[best]) >=
	    path_priority(&ps->path[p->active]))
		return -1;
	return best;
}

/* The next path in turn for a probe: not the active one, nor skip, and
 * one that can be sent on; -1 if there is none. */
static int
probe_other(struct wgd_peer *p, const struct wgd_pathset *ps, int skip)
{
	for (unsigned int n = 0; n < ps->nb_paths; n++) {
		int i = (int)(p->probe_rr++ % ps->nb_paths);

		if (i != p->active && i != skip && ps->path[i].resolved)
			return i;
	}
	return -1;
}

/*
 * Probes are handshakes sent over one path, one at a time: a new
 * initiation replaces the one in flight, whose probe is then lost. A
 * path data may go back to is asked four times per interval, so that
 * an outage shorter than FailbackHold loses WGD_PROBES_LOST_DOWN probes
 * in a row and restarts it; every fourth turn goes to the other paths,
 * if there are any. Without such a path, the others take turns once per
 * interval, twice while down.
 */
static void
probe_next(struct wgd_peer *p, const struct wgd_pathset *ps, uint64_t now)
{
	uint64_t interval = (uint64_t)p->conf->probe_interval_ms * WG_NS_PER_MS;
	int cand = failback_candidate(p, ps);
	int i;

	if (now < p->next_probe_ns)
		return;
	if (cand >= 0) {
		i = p->probe_turns++ % 4 == 3 ? probe_other(p, ps, cand) : -1;
		p->next_probe_ns = now + interval / 4;
		probe_send(p, i >= 0 ? i : cand);
		return;
	}
	i = probe_other(p, ps, -1);
	if (i < 0) {
		p->next_probe_ns = now + interval;
		return;
	}
	p->next_probe_ns = now + (p->health[i].up_since_ns == 0 ?
				  interval / 2 : interval);
	probe_send(p, i);
}

static void
failover_tick(struct wgd_peer *p, uint64_t now)
{
	const struct wgd_pathset *ps = atomic_load(&p->paths);
	uint64_t interval = (uint64_t)p->conf->probe_interval_ms * WG_NS_PER_MS;
	uint64_t hold = (uint64_t)p->conf->failback_hold_ms * WG_NS_PER_MS;
	struct wgd_path_health *ah;
	int best;

	if (ps == NULL || ps->nb_paths == 0)
		return;
	health_update(p, ps, now);

	/* The active path died: the next live one takes over, and a path
	 * that keeps failing is held down longer each time. */
	if (p->active >= 0) {
		ah = &p->health[p->active];
		if (ah->up_since_ns == 0 && ah->unanswered_ns != 0 &&
		    now - p->active_since_ns > interval / 2) {
			active_lost(p, ps, now);
			wgd_peer_update_path(p, -1, NULL);
		} else if (ah->up_since_ns != 0 &&
			   now - p->active_since_ns > 60 * WG_NS_PER_SEC) {
			ah->failures = 0;
		}
	}

	/* Failback: a preferred path that has answered for FailbackHold,
	 * and whose last probe was answered too. */
	best = best_path(p, ps, -1, now);
	if (best >= 0 && best != p->active &&
	    (p->active < 0 || path_priority(&ps->path[best]) <
			      path_priority(&ps->path[p->active])) &&
	    now - p->health[best].up_since_ns >= hold &&
	    p->health[best].probes_lost == 0)
		switch_active(p, best, now);

	probe_next(p, ps, now);
}

int
wgd_uplink_by_name(const char *name)
{
	for (unsigned int u = 0; u < wgd.nb_uplinks; u++)
		if (strcmp(wgd.uplinks[u].conf->name, name) == 0)
			return (int)u;
	return -1;
}

/* Paths over an uplink whose state changed must prove themselves again. */
static void
uplink_health_forget(unsigned int uplink)
{
	struct wgd_peer *p;

	WGD_FOREACH_PEER(p)
		for (unsigned int i = 0; i < p->nb_cand; i++)
			if (p->cand[i].uplink == uplink)
				health_forget(&p->health[i]);
}

void
wgd_uplink_set_admin(unsigned int uplink, bool up)
{
	struct wgd_uplink *u = &wgd.uplinks[uplink];

	if (u->admin_down == !up)
		return;
	u->admin_down = !up;
	uplink_health_forget(uplink);
	WGD_LOG(NOTICE, "uplink %s set %s", u->conf->name, up ? "up" : "down");
	wgd_paths_refresh();
}

#define LINK_POLL_NS (100 * WG_NS_PER_MS)

/* Carrier loss takes an uplink's paths down at once, without waiting
 * for unanswered data to tell. */
static void
uplinks_link_tick(uint64_t now)
{
	bool changed = false;

	for (unsigned int i = 0; i < wgd.nb_uplinks; i++) {
		struct wgd_uplink *u = &wgd.uplinks[i];
		bool down;

		if (now - u->link_checked_ns < LINK_POLL_NS)
			continue;
		u->link_checked_ns = now;
		down = wgd_port_link_down(u);
		if (down == u->link_down)
			continue;
		u->link_down = down;
		changed = true;
		uplink_health_forget(i);
		WGD_LOG(NOTICE, "uplink %s link %s", u->conf->name,
			down ? "down" : "up");
	}
	if (changed)
		wgd_paths_refresh();
}

void
wgd_paths_tick(void)
{
	uint64_t now = real_ns();
	struct wgd_peer *p;

	uplinks_link_tick(now);

	WGD_FOREACH_PEER(p)
		if (p->conf->redundancy == WG_CONF_FAILOVER)
			failover_tick(p, now);
}

int
wgd_path_find(const struct wgd_pathset *ps, uint16_t uplink,
	      const struct wg_endpoint *src)
{
	for (unsigned int i = 0; i < ps->nb_paths; i++)
		if (ps->path[i].uplink == uplink &&
		    wg_endpoint_equal(&ps->path[i].net.dst, src))
			return (int)i;
	return -1;
}

/* Loss of a path over the last interval, as the share of counters it did
 * not carry (meaningful where every path carries every counter: dpdk-wg
 * duplicating at the other end). Negative: not known. */
static double
interval_loss(struct wgd_peer *p, unsigned int slot,
	      const struct wgd_path_stats *st)
{
	uint64_t drx = st->rx_pkts - p->prev[slot].rx;
	uint64_t dctr = st->max_counter - p->prev[slot].max_counter;
	double loss = -1;

	if (st->max_counter > p->prev[slot].max_counter && dctr >= drx &&
	    dctr > 0)
		loss = 100.0 * (1.0 - (double)drx / (double)dctr);
	p->prev[slot].rx = st->rx_pkts;
	p->prev[slot].max_counter = st->max_counter;
	return loss;
}

/*
 * A copy can only be kept while its counter is inside the replay window:
 * warn when the lag between paths times the packet rate is more counters
 * than the window holds, as later copies will be dropped as too old.
 */
static void
warn_skew(struct wgd_peer *p, double max_lag_ms, uint64_t max_counter)
{
	uint64_t now = real_ns(), dt = now - p->skew_ns;
	double rate, span;

	if (p->skew_ns != 0 && dt > 0 && max_counter > p->skew_counter) {
		rate = (double)(max_counter - p->skew_counter) * 1e9 /
		       (double)dt;
		span = rate * max_lag_ms / 1e3;
		if (span > (double)p->core->device->replay_window)
			printf("    warning: paths %.1f ms apart at %.0f pkt/s span"
			       " %.0f counters, more than ReplayWindow %u: later"
			       " copies are dropped as too old\n", max_lag_ms,
			       rate, span, p->core->device->replay_window);
	}
	p->skew_ns = now;
	p->skew_counter = max_counter;
}

void
wgd_paths_print(struct wgd_peer *p)
{
	const struct wgd_pathset *ps = atomic_load(&p->paths);
	uint64_t total_first = 0, max_counter = 0;
	double max_lag_ms = 0;
	struct wgd_path_stats st;
	unsigned int i;

	if (ps == NULL)
		return;
	for (i = 0; i < ps->nb_paths; i++) {
		wgd_path_stats_get(p, i, &st, true);
		total_first += st.first;
	}
	for (i = 0; i < ps->nb_paths; i++) {
		const struct wgd_path *path = &ps->path[i];
		char ep[WG_CONF_ENDPOINT_STRLEN];
		const char *state = wgd_path_state(p, ps, i);
		char lossbuf[16] = "n/a";
		double loss;

		wgd_path_stats_get(p, i, &st, true);
		loss = interval_loss(p, i, &st);
		if (st.max_counter > max_counter)
			max_counter = st.max_counter;
		if (st.delay_n != 0 && (double)st.delay_sum_ns /
		    (double)st.delay_n / 1e6 > max_lag_ms)
			max_lag_ms = (double)st.delay_sum_ns /
				     (double)st.delay_n / 1e6;
		if (loss >= 0)
			snprintf(lossbuf, sizeof(lossbuf), "%.1f%%", loss);
		wg_conf_format_endpoint(&path->net.dst, ep, sizeof(ep));
		printf("    %s -> %s%s %s: tx %" PRIu64 " pkts %" PRIu64
		       " B, rx %" PRIu64 " pkts %" PRIu64 " B, first %.1f%%,"
		       " dup %" PRIu64 ", too_old %" PRIu64 ", lag %.2f ms,"
		       " loss %s\n",
		       wgd.uplinks[path->uplink].conf->name, ep,
		       path->learnt ? " (learnt)" : "", state, st.tx_pkts,
		       st.tx_bytes, st.rx_pkts, st.rx_bytes,
		       total_first ? 100.0 * (double)st.first /
				     (double)total_first : 0.0,
		       st.dup, st.too_old,
		       st.delay_n ? (double)st.delay_sum_ns /
				    (double)st.delay_n / 1e6 : 0.0, lossbuf);
	}
	if (p->conf->redundancy == WG_CONF_DUPLICATE)
		warn_skew(p, max_lag_ms, max_counter);
}
