/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control lcore: handshakes (from the workers' ring), worker events,
 * timers, neighbours, stats. It owns the protocol core's device; what the
 * core needs sent goes out through the hooks below, on the control
 * lcore's own TX queue of each uplink.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "wgd.h"

RTE_LOG_REGISTER(wgd_logtype, wg, INFO);
#include "wgd_neigh.h"

#define CTRL_BURST 32
#define TICK_NS (1 * WG_NS_PER_MS)

/* Where the handshake message being processed came from, for replies. */
static struct {
	bool valid;
	uint16_t uplink;
	struct wg_net_path path;    /**< back to the sender */
} rx_ctx;

struct rte_mbuf *
wgd_msg_mbuf(const void *msg, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(wgd.pool);
	void *p;

	if (m == NULL)
		return NULL;
	p = rte_pktmbuf_append(m, (uint16_t)len);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memcpy(p, msg, len);
	return m;
}

/*
 * The control lcore has no TX queue of its own: ports with a single queue
 * (net_af_packet, net_af_xdp on one queue) must work. Its frames go
 * through a ring that worker 0 drains onto its own queues.
 */
void
wgd_ctrl_send_raw(uint16_t uplink, struct rte_mbuf *m)
{
	struct wgd_lcore_stats *st = &wgd.ctrl_stats;

	m->port = wgd.uplinks[uplink].port_id;
	st->uplink_tx_bytes += rte_pktmbuf_pkt_len(m);
	if (rte_ring_mp_enqueue(wgd.ctrl_tx_ring, m) == 0)
		st->uplink_tx_pkts++;
	else
		wgd_drop(st, m, WGD_DROP_TX_FULL);
}

/* Send a WireGuard message on an uplink from the control lcore. */
void
wgd_ctrl_send(uint16_t uplink, const struct wg_net_path *path,
	      struct rte_mbuf *m)
{
	struct wgd_uplink *up = &wgd.uplinks[uplink];

	if (wg_net_encap(m, path, up->tx_cksum_offload) != 0) {
		wgd_drop(&wgd.ctrl_stats, m, WGD_DROP_NO_HEADROOM);
		return;
	}
	wgd_ctrl_send_raw(uplink, m);
}

/* ---- hooks of the protocol core ---- */

static void
hook_send_handshake(void *arg, struct wg_peer *core, const void *msg,
		    size_t len)
{
	struct wgd_peer *p = wgd_peer_of(core);
	const struct wgd_pathset *ps = atomic_load(&p->paths);
	struct rte_mbuf *m;

	(void)arg;
	/* Every initiation replaces the one before, a probe's too. */
	wgd_path_probe_superseded(p);
	if (ps == NULL || ps->nb_tx == 0) {
		/* Sent when the next hop resolves; the retransmit timer
		 * covers it if it never does. */
		memcpy(p->pending_hs, msg, len);
		p->has_pending_hs = true;
		wgd_peer_update_path(p, -1, NULL);
		return;
	}
	/* A failover probe proves one path. */
	if (p->probe_slot >= 0) {
		const struct wgd_path *path = &ps->path[p->probe_slot];

		m = wgd_msg_mbuf(msg, len);
		if (m != NULL && path->resolved) {
			wgd_ctrl_send(path->uplink, &path->net, m);
			p->probe_last = p->probe_slot;
		} else {
			rte_pktmbuf_free(m);
		}
		return;
	}
	/* Over every path data takes: with duplicate, the first response
	 * wins and the other copies are replays to the peer. */
	for (unsigned int t = 0; t < ps->nb_tx; t++) {
		const struct wgd_path *path = &ps->path[ps->tx[t]];

		m = wgd_msg_mbuf(msg, len);
		if (m != NULL)
			wgd_ctrl_send(path->uplink, &path->net, m);
	}
}

static void
hook_send_reply(void *arg, const struct wg_endpoint *to, const void *msg,
		size_t len)
{
	struct rte_mbuf *m;

	(void)arg;
	if (!rx_ctx.valid || !wg_endpoint_equal(to, &rx_ctx.path.dst))
		return;
	m = wgd_msg_mbuf(msg, len);
	if (m != NULL)
		wgd_ctrl_send(rx_ctx.uplink, &rx_ctx.path, m);
}

/* Seal and send what waited for a keypair (or a path) of p. */
unsigned int
wgd_flush_staged(struct wgd_peer *p)
{
	const struct wgd_pathset *ps = atomic_load(&p->paths);
	const struct wg_keypair *kp = atomic_load(&p->core->keypairs.current);
	uint64_t now = wgd_now();
	struct rte_mbuf *pkts[WGD_BURST];
	struct wgd_peer *peers[WGD_BURST];
	unsigned int n, i, total = 0, left;

	if (kp == NULL || !wg_keypair_can_send(kp, now) || ps == NULL ||
	    ps->nb_tx == 0)
		return 0;
	/* What is staged now, once: a packet that cannot go after all
	 * (the keypair expired meanwhile) is staged again by
	 * wgd_tx_burst(), onto this very ring. */
	left = rte_ring_count(p->staged);
	while (left > 0 &&
	       (n = rte_ring_sc_dequeue_burst(p->staged, (void **)pkts,
					      RTE_MIN(left, (unsigned int)WGD_BURST),
					      NULL)) > 0) {
		left -= n;
		for (i = 0; i < n; i++)
			peers[i] = p;
		wgd_tx_burst(wgd.ctrl_aead, &wgd.ctrl_stats, wgd.nb_workers,
			     -1, peers, pkts, n, now);
		total += n;
	}
	return total;
}

static bool
hook_keypair_ready(void *arg, struct wg_peer *core)
{
	(void)arg;
	return wgd_flush_staged(wgd_peer_of(core)) > 0;
}

static void
hook_send_keepalive(void *arg, struct wg_peer *core)
{
	struct wgd_peer *p = wgd_peer_of(core);
	const struct wgd_pathset *ps = atomic_load(&p->paths);
	struct wg_aead_op op;
	struct wg_msg_data *hdr;
	struct wg_keypair *kp;
	struct rte_mbuf *m;
	uint64_t counter;

	(void)arg;
	if (ps == NULL || ps->nb_tx == 0) {
		/* No way out yet: a keepalive with no session asks for
		 * one, as the kernel's does. */
		if (atomic_load(&core->keypairs.current) == NULL)
			wg_peer_send_initiation(core, false);
		return;
	}
	kp = wg_send_prepare(core, &counter);
	if (kp == NULL)
		return;
	m = rte_pktmbuf_alloc(wgd.pool);
	if (m == NULL)
		return;
	hdr = (struct wg_msg_data *)rte_pktmbuf_append(m, WG_MSG_DATA_MIN_LEN);
	wg_data_header(hdr, kp, counter);
	op.key = kp->send_key;
	op.counter = counter;
	op.data = hdr->encrypted_data;
	op.len = 0;
	op.tag = hdr->encrypted_data;
	wgd.aead_driver->seal(wgd.ctrl_aead, &op, 1);
	wg_send_done(core, kp, 0, WG_MSG_DATA_MIN_LEN);
	wgd_send_sealed(&wgd.ctrl_stats, wgd.nb_workers, -1, p, ps, m, 0,
			wgd_now(), NULL);
}

static void
hook_purge_queue(void *arg, struct wg_peer *core)
{
	struct wgd_peer *p = wgd_peer_of(core);
	struct rte_mbuf *m;

	(void)arg;
	if (p == NULL || p->staged == NULL)
		return;
	while (rte_ring_sc_dequeue(p->staged, (void **)&m) == 0)
		wgd_drop(&wgd.ctrl_stats, m, WGD_DROP_STAGED_FULL);
}

static void
hook_index_update(void *arg, uint32_t index, struct wg_keypair *kp)
{
	(void)arg;
	if (kp != NULL)
		rte_hash_add_key_data(wgd.index_hash, &index, kp);
	else
		rte_hash_del_key(wgd.index_hash, &index);
}

static void
free_keypair(void *arg, void *entries, unsigned int n)
{
	struct wg_keypair **kps = entries;

	(void)arg;
	for (unsigned int i = 0; i < n; i++)
		wg_keypair_free(kps[i]);
}

static void
hook_keypair_retire(void *arg, struct wg_keypair *kp)
{
	(void)arg;
	/* Workers may hold kp until their next quiescent state. */
	if (rte_rcu_qsbr_dq_enqueue(wgd.defer_queue, &kp) != 0) {
		rte_rcu_qsbr_synchronize(wgd.qsbr, RTE_QSBR_THRID_INVALID);
		wg_keypair_free(kp);
	}
}

static void
hook_endpoint_changed(void *arg, struct wg_peer *core)
{
	struct wgd_peer *p = wgd_peer_of(core);

	(void)arg;
	if (p == NULL)
		return;
	if (rx_ctx.valid) {
		p->uplink_hint = (int16_t)rx_ctx.uplink;
		wgd_peer_update_path(p, rx_ctx.uplink, &rx_ctx.path);
	} else {
		wgd_peer_update_path(p, -1, NULL);
	}
}

static const struct wg_device_ops wgd_ops = {
	.send_handshake = hook_send_handshake,
	.send_reply = hook_send_reply,
	.send_keepalive = hook_send_keepalive,
	.keypair_ready = hook_keypair_ready,
	.purge_queue = hook_purge_queue,
	.index_update = hook_index_update,
	.endpoint_changed = hook_endpoint_changed,
	.keypair_retire = hook_keypair_retire,
};

/* ---- packets from the workers ---- */

/* The way back to whoever sent the frame: its MAC, our address. */
void
wgd_reverse_path(const struct wg_net_info *info, const struct rte_mbuf *m,
		 struct wg_net_path *path)
{
	const struct rte_ether_hdr *eth =
		rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	memcpy(path->src_mac, eth->dst_addr.addr_bytes, RTE_ETHER_ADDR_LEN);
	memcpy(path->dst_mac, eth->src_addr.addr_bytes, RTE_ETHER_ADDR_LEN);
	path->vlan = info->vlan;
	path->src = info->dst;
	path->dst = info->src;
}

/* A response to our initiation: the path it came back on is alive, and
 * so is the one the initiation (a probe) went out on. */
static void
handshake_heard(uint16_t uplink, const void *payload,
		const struct wg_net_info *info)
{
	const struct wg_msg_response *resp = payload;
	struct wg_index_entry *e;

	if (wg_le32(resp->header.type) != WG_MSG_HANDSHAKE_RESPONSE)
		return;
	e = wg_index_find(wgd.dev, resp->receiver_index, WG_INDEX_KEYPAIR);
	if (e != NULL)
		wgd_path_heard(wgd_peer_of(e->peer), uplink, &info->src);
}

static void
handle_wg(uint16_t uplink, struct rte_mbuf *m, const struct wg_net_info *info)
{
	const void *payload = rte_pktmbuf_mtod_offset(m, const void *,
						      info->payload_off);
	/* Under load, answer with cookies rather than spend a DH on every
	 * initiation: the ring filling up is the sign. */
	bool under_load = rte_ring_count(wgd.ctrl_ring) >
			  WGD_CTRL_RING_SIZE / 8;
	/* A handshake moves the endpoint: the addresses and ports it
	 * came from must be what was sent. */
	if (!wg_net_udp_cksum_ok(m, info)) {
		wgd.ctrl_stats.drops[WGD_DROP_MALFORMED]++;
		return;
	}
	rx_ctx.valid = true;
	rx_ctx.uplink = uplink;
	wgd_reverse_path(info, m, &rx_ctx.path);
	/* The device counts what it drops (wgd_stats_print adds it). */
	if (wg_receive_handshake(wgd.dev, payload, info->payload_len,
				 &info->src, under_load) == WG_DROP_NONE)
		handshake_heard(uplink, payload, info);
	rx_ctx.valid = false;
}

static int
uplink_of_port(uint16_t port_id)
{
	for (unsigned int u = 0; u < wgd.nb_uplinks; u++)
		if (wgd.uplinks[u].port_id == port_id)
			return (int)u;
	return -1;
}

static void
handle_ctrl_packet(struct rte_mbuf *m)
{
	int uplink = uplink_of_port(m->port);
	struct wg_net_info info;

	if (uplink < 0) {
		rte_pktmbuf_free(m);
		return;
	}
	switch (wg_net_parse(m, &info)) {
	case WG_NET_UDP:
		handle_wg((uint16_t)uplink, m, &info);
		rte_pktmbuf_free(m);
		break;
	case WG_NET_ARP:
	case WG_NET_ND:
		wgd_neigh_input((uint16_t)uplink, m, &info);
		break;
	default:
		wgd_drop(&wgd.ctrl_stats, m, WGD_DROP_MALFORMED);
	}
}

/* ---- worker events ---- */

static void
handle_event(const struct wgd_event *ev)
{
	struct wgd_peer *p;

	/* A peer removed since the worker raised it: nothing to do. */
	p = wgd_peer_get(ev->peer_id);
	if (p == NULL)
		return;
	atomic_fetch_and(&p->pending, ~ev->type);
	switch (ev->type) {
	case WGD_EV_CONFIRM:
		wg_peer_confirm_keypair(p->core, ev->kp);
		break;
	case WGD_EV_ROAM:
		/* Answer where it came from, through the MAC it came from,
		 * as for a handshake. */
		rx_ctx.valid = true;
		rx_ctx.uplink = ev->uplink;
		rx_ctx.path = ev->back;
		p->uplink_hint = (int16_t)ev->uplink;
		if (!wg_endpoint_equal(&p->core->endpoint, &ev->back.dst))
			wg_peer_set_endpoint(p->core, &ev->back.dst);
		else
			wgd_peer_update_path(p, ev->uplink, &ev->back);
		rx_ctx.valid = false;
		break;
	case WGD_EV_HANDSHAKE:
		wg_peer_send_initiation(p->core, false);
		break;
	case WGD_EV_FLUSH: {
		const struct wgd_pathset *ps = atomic_load(&p->paths);

		if (ps == NULL || ps->nb_tx == 0)
			wgd_peer_update_path(p, -1, NULL);
		else
			wgd_flush_staged(p);
		break;
	}
	}
}

/* Turn the workers' activity stamps into timer events, in time order. */
void
wgd_events_drain(void)
{
	struct wgd_event ev;

	while (rte_ring_sc_dequeue_elem(wgd.event_ring, &ev, sizeof(ev)) == 0)
		handle_event(&ev);
}

static void
apply_activity(struct wgd_peer *p)
{
	struct wgd_peer_activity a;
	bool rx, tx, rxd, txd;

	/* The latest stamps of all the lcores working for the peer. */
	wgd_peer_activity_get(p, &a);
	rx = a.rx_auth_ns != p->seen_rx_auth;
	tx = a.tx_auth_ns != p->seen_tx_auth;
	rxd = a.rx_data_ns != p->seen_rx_data;
	txd = a.tx_data_ns != p->seen_tx_data;
	p->seen_rx_auth = a.rx_auth_ns;
	p->seen_rx_data = a.rx_data_ns;
	p->seen_tx_auth = a.tx_auth_ns;
	p->seen_tx_data = a.tx_data_ns;
	if (tx && rx && a.tx_auth_ns > a.rx_auth_ns) {
		wg_peer_rx_activity(p->core, rxd);
		rx = false;
	}
	if (tx)
		wg_peer_tx_activity(p->core,
				    atomic_load(&p->core->keypairs.current),
				    txd);
	if (rx)
		wg_peer_rx_activity(p->core, rxd);
	atomic_store(&p->core->rx_bytes, a.rx_bytes);
	atomic_store(&p->core->tx_bytes, a.tx_bytes);
}

static void
tick(void)
{
	struct wgd_peer *p;

	WGD_FOREACH_PEER(p)
		apply_activity(p);
	wg_device_run_timers(wgd.dev);
	wgd_paths_tick();
	wgd_neigh_tick();
	rte_rcu_qsbr_dq_reclaim(wgd.defer_queue, 64, NULL, NULL, NULL);
	rte_rcu_qsbr_dq_reclaim(wgd.path_defer_queue, 64, NULL, NULL, NULL);
}

void
wgd_control_loop(void)
{
	uint64_t next_tick = 0, next_stats = 0;
	struct rte_mbuf *pkts[CTRL_BURST];
	struct wgd_event ev;
	unsigned int n, i, events;

	pthread_mutex_lock(&wgd.ctl_lock);
	while (!wgd.quit) {
		uint64_t now = wgd_now();
		uint64_t real = wg_clock_system.monotonic_ns(NULL);

		n = rte_ring_sc_dequeue_burst(wgd.ctrl_ring, (void **)pkts,
					      CTRL_BURST, NULL);
		for (i = 0; i < n; i++)
			handle_ctrl_packet(pkts[i]);
		for (events = 0; events < 256 &&
		     rte_ring_sc_dequeue_elem(wgd.event_ring, &ev,
					      sizeof(ev)) == 0; events++)
			handle_event(&ev);
		if (now >= next_tick) {
			tick();
			next_tick = now + TICK_NS;
		}
		if (wgd.stats_interval != 0 && real >= next_stats) {
			if (next_stats != 0)
				wgd_stats_print();
			next_stats = real +
				     wgd.stats_interval * WG_NS_PER_SEC;
		}
		wgd_uapi_poll();
		wgd_cli_poll();
		/* Leave the core to others when there is nothing to do, and
		 * let readers of control state (telemetry) in. */
		pthread_mutex_unlock(&wgd.ctl_lock);
		if (n == 0 && events == 0)
			usleep(100);
		pthread_mutex_lock(&wgd.ctl_lock);
	}
	pthread_mutex_unlock(&wgd.ctl_lock);
}

int
wgd_control_init(void)
{
	struct wg_device_config cfg = {
		.clock = wgd.clock,
		.ops = &wgd_ops,
		.replay_window = wgd.conf->replay_window,
	};
	struct rte_rcu_qsbr_dq_parameters dq = {
		.size = 4096,
		.esize = sizeof(void *),
		.trigger_reclaim_limit = 64,
		.max_reclaim_size = 64,
	};
	size_t sz = rte_rcu_qsbr_get_memsize(WGD_MAX_WORKERS);

	wgd.qsbr = rte_zmalloc("wgd_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (wgd.qsbr == NULL || rte_rcu_qsbr_init(wgd.qsbr, WGD_MAX_WORKERS))
		return -1;
	wgd.ctrl_ring = rte_ring_create("wgd_ctrl", WGD_CTRL_RING_SIZE,
					(int)rte_socket_id(), RING_F_SC_DEQ);
	wgd.ctrl_tx_ring = rte_ring_create("wgd_ctrl_tx", WGD_CTRL_RING_SIZE,
					   (int)rte_socket_id(), RING_F_SC_DEQ);
	wgd.event_ring = rte_ring_create_elem("wgd_events",
					      sizeof(struct wgd_event),
					      WGD_EVENT_RING_SIZE,
					      (int)rte_socket_id(),
					      RING_F_SC_DEQ);
	dq.name = "wgd_kp_dq";
	dq.v = wgd.qsbr;
	dq.free_fn = free_keypair;
	wgd.defer_queue = rte_rcu_qsbr_dq_create(&dq);
	dq.name = "wgd_path_dq";
	dq.free_fn = wgd_pathset_free;
	wgd.path_defer_queue = rte_rcu_qsbr_dq_create(&dq);
	if (wgd.ctrl_ring == NULL || wgd.ctrl_tx_ring == NULL ||
	    wgd.event_ring == NULL ||
	    wgd.defer_queue == NULL || wgd.path_defer_queue == NULL) {
		fprintf(stderr, "dpdk-wg: cannot create control rings: %s\n",
			rte_strerror(rte_errno));
		return -1;
	}
	wgd.dev = wg_device_create(&cfg);
	if (wgd.dev == NULL ||
	    wg_device_set_private_key(wgd.dev, wgd.conf->private_key) != 0) {
		fprintf(stderr, "dpdk-wg: cannot create the interface\n");
		return -1;
	}
	return 0;
}
