/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker lcores: poll uplink RX queues (open transport data in batches,
 * pass handshakes, ARP and ND to the control lcore) and the TUN queue
 * (seal for the peer AllowedIPs names). No locks, no allocation per
 * packet; an RCU quiescent state per loop.
 */
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_prefetch.h>

#include "wg_allowedips.h"
#include "wgd.h"

struct open_item {
	struct rte_mbuf *m;
	struct wg_keypair *kp;
	uint64_t counter;
	uint16_t uplink;
	uint16_t payload_off;
	struct wg_net_info info;
};

static bool
our_address(const struct wgd_uplink *up, const struct wg_endpoint *dst)
{
	if (dst->family == WG_AF_INET)
		return up->has4 && memcmp(dst->addr.v4, up->addr4, 4) == 0;
	return up->has6 && memcmp(dst->addr.v6, up->addr6, 16) == 0;
}

static void
to_control(struct wgd_lcore_stats *st, struct rte_mbuf *m)
{
	if (rte_ring_mp_enqueue(wgd.ctrl_ring, m) != 0)
		wgd_drop(st, m, WGD_DROP_CTRL_RING_FULL);
}

/* Length of the IP packet at p (of len bytes), 0 if it is not one. */
static uint32_t
inner_ip_len(const uint8_t *p, uint32_t len)
{
	uint32_t tot;

	if (len >= 20 && (p[0] >> 4) == 4) {
		tot = (uint32_t)p[2] << 8 | p[3];
		return tot >= 20 && tot <= len ? tot : 0;
	}
	if (len >= 40 && (p[0] >> 4) == 6) {
		tot = 40 + ((uint32_t)p[4] << 8 | p[5]);
		return tot <= len ? tot : 0;
	}
	return 0;
}

/* Per-path accounting of one authenticated packet: which path it came
 * by, and whether it was the first copy of its counter. */
static void
path_account(struct wgd_worker *w, struct wgd_peer *p, int slot,
	     uint64_t counter, unsigned int verdict, uint32_t len,
	     uint64_t now)
{
	struct wgd_path_stats *st;
	struct wgd_arrival *a;

	if (slot < 0)
		return;
	st = &p->pstats[w->index][slot];
	/* Copies dropped before decryption are not authenticated: they
	 * count as copies, not as proof that the path works. */
	if (len != 0) {
		st->rx_pkts++;
		st->rx_bytes += len;
		if (counter > st->max_counter)
			st->max_counter = counter;
	}
	a = p->arrivals != NULL ?
	    &p->arrivals[counter & (WGD_ARRIVALS - 1)] : NULL;
	switch (verdict) {
	case WG_DROP_NONE:
		st->first++;
		if (a != NULL) {
			atomic_store_explicit(&a->counter, counter,
					      memory_order_relaxed);
			atomic_store_explicit(&a->ns, now, memory_order_relaxed);
			atomic_store_explicit(&a->slot, (uint8_t)slot,
					      memory_order_relaxed);
		}
		break;
	case WG_DROP_REPLAY:
		st->dup++;
		/* How far this path lags the one that came first. */
		if (a != NULL &&
		    atomic_load_explicit(&a->counter, memory_order_relaxed) ==
		    counter &&
		    atomic_load_explicit(&a->slot, memory_order_relaxed) !=
		    slot) {
			uint64_t first = atomic_load_explicit(&a->ns,
						memory_order_relaxed);

			/* Another worker's clock read may be a hair ahead. */
			st->delay_sum_ns += now > first ? now - first : 0;
			st->delay_n++;
		}
		break;
	case WG_DROP_TOO_OLD:
		st->too_old++;
		break;
	}
}

/*
 * What the timers and the UAPI's rx_bytes need of a peer's receiving, in
 * this lcore's line of the peer (struct wgd_peer_lcore), written once per
 * run of its packets in a burst (as on encap) rather than per packet.
 */
struct rx_run {
	struct wgd_peer *peer;
	uint64_t bytes;
	bool data;
};

static void
rx_run_flush(struct rx_run *run, unsigned int lslot, uint64_t now)
{
	struct wgd_peer *p = run->peer;
	struct wgd_peer_lcore *lc;

	if (p == NULL)
		return;
	lc = &p->lc[lslot];
	atomic_store_explicit(&lc->rx_auth_ns, now, memory_order_relaxed);
	if (run->data)
		atomic_store_explicit(&lc->rx_data_ns, now,
				      memory_order_relaxed);
	wgd_count_add(&lc->rx_bytes, run->bytes);
	*run = (struct rx_run){ .peer = NULL };
}

static void
rx_run_add(struct rx_run *run, unsigned int lslot, struct wgd_peer *p,
	   uint32_t bytes, uint64_t now)
{
	if (run->peer != p) {
		rx_run_flush(run, lslot, now);
		run->peer = p;
	}
	run->bytes += bytes;
}

/* After authentication: replay window, inner packet checks, events. */
static bool
open_accept(struct wgd_worker *w, struct open_item *it, uint32_t plain_len,
	    uint64_t now, struct rx_run *run, uint32_t *inner_len)
{
	struct wgd_lcore_stats *st = &w->stats;
	struct wg_peer *core = it->kp->entry.peer;
	struct wgd_peer *p = wgd_peer_of(core);
	const struct wgd_pathset *ps = atomic_load(&p->paths);
	int slot = ps != NULL ? wgd_path_find(ps, it->uplink, &it->info.src)
			      : -1;
	unsigned int reason;
	uint8_t *plain;

	reason = wg_data_check_replay(it->kp, it->counter);
	path_account(w, p, slot, it->counter, reason,
		     plain_len + WG_MSG_DATA_MIN_LEN, now);
	if (reason != WG_DROP_NONE) {
		wgd_drop(st, it->m, reason);
		return false;
	}
	if (it->kp == atomic_load(&core->keypairs.next)) {
		struct wgd_event ev = { .type = WGD_EV_CONFIRM,
					.peer_id = p->id, .kp = it->kp };
		wgd_event_raise(st, p, &ev);
	}
	/* Roaming: a new path is learnt; with Redundancy = single, data
	 * follows the endpoint last heard from, as WireGuard's does
	 * (failover picks its path by health instead). */
	/* The AEAD does not cover the outer addresses and ports: check the
	 * UDP checksum before an endpoint moves (rare: once per roam). */
	if ((slot < 0 || (p->redundancy == WG_CONF_SINGLE &&
			  (ps->nb_tx == 0 || ps->tx[0] != slot))) &&
	    wg_net_udp_cksum_ok(it->m, &it->info)) {
		struct wgd_event ev = { .type = WGD_EV_ROAM, .peer_id = p->id,
					.uplink = it->uplink };

		wgd_reverse_path(&it->info, it->m, &ev.back);
		wgd_event_raise(st, p, &ev);
	}
	rx_run_add(run, w->index, p, plain_len + WG_MSG_DATA_MIN_LEN, now);
	if (plain_len == 0) {         /* keepalive */
		rte_pktmbuf_free(it->m);
		return false;
	}
	plain = rte_pktmbuf_mtod_offset(it->m, uint8_t *, it->payload_off +
					WG_MSG_DATA_HEADER_LEN);
	*inner_len = inner_ip_len(plain, plain_len);
	if (*inner_len == 0) {
		wgd_drop(st, it->m, WGD_DROP_BAD_INNER);
		return false;
	}
	run->data = true;
	return true;
}

/* What open_accept() writes, asked for before the decryption hides the
 * wait (with many peers, none of it is in cache). */
static void
prefetch_accept(const struct wgd_worker *w, const struct open_item *items,
		unsigned int n)
{
	unsigned int i;

	if (n < 2 || items[0].kp == items[n - 1].kp)
		return;
	for (i = 0; i < n; i++) {
		const struct wgd_peer *p = wgd_peer_of(items[i].kp->entry.peer);

		wg_replay_prefetch(wg_keypair_replay(items[i].kp),
				   items[i].counter);
		rte_prefetch0(p);
	}
	for (i = 0; i < n; i++) {
		const struct wgd_peer *p = wgd_peer_of(items[i].kp->entry.peer);
		const struct wgd_pathset *ps =
			atomic_load_explicit(&p->paths, memory_order_relaxed);

		rte_prefetch0_write(&p->lc[w->index]);
		rte_prefetch0_write(&p->pstats[w->index]);
		if (ps != NULL) {
			rte_prefetch0(ps);
			rte_prefetch0(&ps->path[0].net.dst);
		}
	}
}

static void
open_burst(struct wgd_worker *w, struct open_item *items, unsigned int n,
	   uint64_t now)
{
	struct wgd_lcore_stats *st = &w->stats;
	struct wg_aead_op ops[WGD_BURST];
	const uint8_t *inner[WGD_BURST];
	struct rte_mbuf *out[WGD_BURST];
	uint32_t ids[WGD_BURST], lens[WGD_BURST];
	struct open_item *acc[WGD_BURST];
	struct rx_run run = { .peer = NULL };
	unsigned int i, k = 0, nout = 0, sent;

	for (i = 0; i < n; i++) {
		struct wg_msg_data *hdr = rte_pktmbuf_mtod_offset(items[i].m,
				struct wg_msg_data *, items[i].payload_off);
		uint32_t len = rte_pktmbuf_pkt_len(items[i].m) -
			       items[i].payload_off - WG_MSG_DATA_MIN_LEN;

		ops[i].key = items[i].kp->recv_key;
		ops[i].counter = items[i].counter;
		ops[i].data = hdr->encrypted_data;
		ops[i].len = len;
		ops[i].tag = hdr->encrypted_data + len;
	}
	prefetch_accept(w, items, n);
	wgd.aead_driver->open(w->aead, ops, n);
	st->crypto_batches++;

	for (i = 0; i < n; i++) {
		if (ops[i].status != 0) {
			wgd_drop(st, items[i].m, WG_DROP_DATA_AUTH);
			continue;
		}
		if (!open_accept(w, &items[i], ops[i].len, now, &run, &lens[k]))
			continue;
		inner[k] = ops[i].data;
		acc[k++] = &items[i];
	}
	rx_run_flush(&run, w->index, now);
	st->decrypted += k;
	if (k == 0)
		return;

	/* Cryptokey routing: the inner source must be one of the
	 * AllowedIPs of the peer whose key opened it. */
	wg_allowedips_lookup(atomic_load(&wgd.allowedips), inner, k, true, ids);
	for (i = 0; i < k; i++) {
		struct rte_mbuf *m = acc[i]->m;

		if (ids[i] != wgd_peer_of(acc[i]->kp->entry.peer)->id) {
			wgd_drop(st, m, WGD_DROP_ALLOWEDIPS_RX);
			continue;
		}
		rte_pktmbuf_adj(m, acc[i]->payload_off + WG_MSG_DATA_HEADER_LEN);
		rte_pktmbuf_trim(m, rte_pktmbuf_pkt_len(m) - lens[i]);
		out[nout++] = m;
	}
	sent = rte_eth_tx_burst(wgd.tun_port, w->txq, out, (uint16_t)nout);
	st->tun_tx_pkts += sent;
	for (i = sent; i < nout; i++)
		wgd_drop(st, out[i], WGD_DROP_TX_FULL);
}

/* Sort one frame from an uplink; transport data joins the open batch. */
static void
uplink_classify(struct wgd_worker *w, uint16_t uplink, struct rte_mbuf *m,
		struct open_item *items, unsigned int *nitems)
{
	struct wgd_lcore_stats *st = &w->stats;
	const struct wgd_uplink *up = &wgd.uplinks[uplink];
	struct wg_net_info info;
	struct open_item *it;
	const uint8_t *payload;
	int r;

	/* Headers and payload are read in place: one segment. */
	if (m->nb_segs > 1 && rte_pktmbuf_linearize(m) != 0) {
		wgd_drop(st, m, WGD_DROP_MALFORMED);
		return;
	}
	switch (wg_net_parse(m, &info)) {
	case WG_NET_UDP:
		break;
	case WG_NET_ARP:
	case WG_NET_ND:
		to_control(st, m);
		return;
	case WG_NET_OTHER:
		wgd_drop(st, m, WGD_DROP_NOT_FOR_US);
		return;
	default:
		wgd_drop(st, m, WGD_DROP_MALFORMED);
		return;
	}
	if (info.dst.port != wgd.listen_port_be ||
	    !our_address(up, &info.dst)) {
		wgd_drop(st, m, WGD_DROP_NOT_FOR_US);
		return;
	}
	payload = rte_pktmbuf_mtod_offset(m, const uint8_t *, info.payload_off);
	switch (wg_msg_classify(payload, info.payload_len, &r)) {
	case WG_MSG_DATA:
		break;
	case WG_MSG_INVALID:
		wgd_drop(st, m, (unsigned int)r);
		return;
	default:
		to_control(st, m);
		return;
	}
	/* Drop what would be a frame's trailing padding: the UDP length
	 * says where the message ends. */
	rte_pktmbuf_trim(m, rte_pktmbuf_pkt_len(m) - info.payload_off -
			 info.payload_len);
	it = &items[*nitems];
	it->m = m;
	it->uplink = uplink;
	it->payload_off = info.payload_off;
	it->info = info;
	(*nitems)++;
}

/*
 * With many peers, the keypairs a burst names are not in cache: one pass
 * per level of pointers, so that the misses of all of them overlap (the
 * keypairs, then their windows and peers), before the loop that reads
 * them stalls on each in turn.
 */
static void
prefetch_keypairs(void *const data[], uint64_t hits, unsigned int n)
{
	unsigned int i;

	/* One keypair (or so): in cache. (Entries that missed were not
	 * written.) */
	if (n < 2 || (hits & 1) == 0 || !(hits & (1ULL << (n - 1))) ||
	    data[0] == data[n - 1])
		return;
	/* The receiving line only: the sending line is the senders'. */
	for (i = 0; i < n; i++)
		if (hits & (1ULL << i))
			rte_prefetch0(data[i]);
	for (i = 0; i < n; i++) {
		const struct wg_keypair *kp = data[i];

		if (!(hits & (1ULL << i)))
			continue;
		rte_prefetch0(wg_keypair_replay(kp));
		rte_prefetch0(kp->entry.peer);  /* keypairs and user */
	}
}

/*
 * The keypairs the receiver indices of a burst name, looked up together
 * (rte_hash prefetches every bucket before it compares one: with many
 * peers, the index table is not in cache), then the replay window: a
 * copy the window has already taken (the other path was faster) is
 * dropped before it costs a decryption. Keeps the items that go on.
 */
static unsigned int
uplink_lookup(struct wgd_worker *w, struct open_item *items, unsigned int n,
	      uint64_t now)
{
	struct wgd_lcore_stats *st = &w->stats;
	const void *keys[WGD_BURST];
	void *data[WGD_BURST];
	uint64_t hits = 0;
	unsigned int i, k = 0;

	for (i = 0; i < n; i++)
		keys[i] = &rte_pktmbuf_mtod_offset(items[i].m,
				const struct wg_msg_data *,
				items[i].payload_off)->receiver_index;
	if (rte_hash_lookup_bulk_data(wgd.index_hash, keys, n, &hits,
				      data) < 0)
		hits = 0;
	prefetch_keypairs(data, hits, n);
	for (i = 0; i < n; i++) {
		struct open_item *it = &items[i];
		const struct wg_msg_data *hdr = rte_pktmbuf_mtod_offset(it->m,
				const struct wg_msg_data *, it->payload_off);
		enum wg_drop_reason why;

		if (!(hits & (1ULL << i))) {
			wgd_drop(st, it->m, WG_DROP_UNKNOWN_INDEX);
			continue;
		}
		it->kp = data[i];
		if (!wg_keypair_can_receive(it->kp, now)) {
			wgd_drop(st, it->m, WG_DROP_KEY_EXPIRED);
			continue;
		}
		it->counter = wg_le64(hdr->counter);
		why = wg_data_check_replay_peek(it->kp, it->counter);
		if (why != WG_DROP_NONE) {
			struct wgd_peer *p = wgd_peer_of(it->kp->entry.peer);
			const struct wgd_pathset *ps = atomic_load(&p->paths);

			path_account(w, p, ps ? wgd_path_find(ps, it->uplink,
							     &it->info.src) : -1,
				     it->counter, why, 0, now);
			wgd_drop(st, it->m, why);
			continue;
		}
		if (k != i)
			items[k] = *it;
		k++;
	}
	return k;
}

void
wgd_uplink_rx(struct wgd_worker *w, uint16_t uplink, struct rte_mbuf **pkts,
	      unsigned int n, uint64_t now)
{
	struct open_item items[WGD_BURST];
	unsigned int i, nitems = 0;

	/* The arrays hold one burst: longer calls go a burst at a time. */
	for (; n > WGD_BURST; pkts += WGD_BURST, n -= WGD_BURST)
		wgd_uplink_rx(w, uplink, pkts, WGD_BURST, now);
	w->stats.uplink_rx_pkts += n;
	for (i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		w->stats.uplink_rx_bytes += rte_pktmbuf_pkt_len(pkts[i]);
		uplink_classify(w, uplink, pkts[i], items, &nitems);
	}
	if (nitems > 0)
		nitems = uplink_lookup(w, items, nitems, now);
	if (nitems > 0)
		open_burst(w, items, nitems, now);
}

void
wgd_tun_rx(struct wgd_worker *w, struct rte_mbuf **pkts, unsigned int n,
	   uint64_t now, int txq)
{
	const uint8_t *ips[WGD_BURST];
	struct wgd_peer *peers[WGD_BURST];
	struct rte_mbuf *keep[WGD_BURST];
	uint32_t ids[WGD_BURST];
	unsigned int i, k = 0;

	/* The arrays hold one burst: longer calls go a burst at a time. */
	for (; n > WGD_BURST; pkts += WGD_BURST, n -= WGD_BURST)
		wgd_tun_rx(w, pkts, WGD_BURST, now, txq);
	if (n == 0)
		return;
	w->stats.tun_rx_pkts += n;
	/* Only whole IP headers go to the lookup: NULL finds no peer. */
	for (i = 0; i < n; i++) {
		ips[i] = rte_pktmbuf_mtod(pkts[i], const uint8_t *);
		if (inner_ip_len(ips[i], rte_pktmbuf_data_len(pkts[i])) == 0)
			ips[i] = NULL;
	}
	wg_allowedips_lookup(atomic_load(&wgd.allowedips), ips, n, false, ids);
	for (i = 0; i < n; i++) {
		if (ids[i] == 0 || ids[i] > wgd.nb_peer_slots) {
			wgd_drop(&w->stats, pkts[i], WGD_DROP_NO_PEER);
			continue;
		}
		peers[k] = &wgd.peers[ids[i]];
		keep[k++] = pkts[i];
	}
	if (k > 0)
		wgd_tx_burst(w->aead, &w->stats, w->index, txq, peers, keep, k,
			     now);
}

/*
 * Spreading. RSS keeps a flow on one queue, so one large peer (one
 * endpoint pair per path) is opened or sealed by one worker while the
 * others idle. A worker that receives a full burst (it is falling
 * behind) while another worker's own queues are empty hands half of it
 * to the spread ring; every worker takes bursts from that ring between
 * polls of its own queues. Packets of one flow may then leave in another
 * order, by at most a burst: the replay window takes reordered counters,
 * and encap reserves counters per run whichever worker seals.
 */
#define SPREAD_RING_SIZE 4096
/* More than this many waiting: the others are busy too; keep the burst. */
#define SPREAD_BACKLOG (4 * WGD_BURST)

int
wgd_spread_init(void)
{
	if (!wgd.spread || wgd.nb_workers < 2)
		return 0;
	wgd.spread_ring = rte_ring_create("wgd_spread", SPREAD_RING_SIZE,
					  (int)rte_socket_id(), 0);
	if (wgd.spread_ring == NULL) {
		WGD_LOG(ERR, "cannot create the spread ring: %s",
			rte_strerror(rte_errno));
		return -1;
	}
	/* Until their first poll, every worker counts as idle. */
	for (unsigned int i = 0; i < wgd.nb_workers; i++)
		wgd.workers[i].idle = true;
	atomic_store(&wgd.spread_idle, wgd.nb_workers);
	return 0;
}

void
wgd_spread_free(void)
{
	struct rte_mbuf *m;

	if (wgd.spread_ring == NULL)
		return;
	while (rte_ring_dequeue(wgd.spread_ring, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(wgd.spread_ring);
	wgd.spread_ring = NULL;
}

/* The second half of a full burst onto the ring, or none of it; returns
 * how many packets the worker keeps (the first ones). */
static uint16_t
spread_out(struct wgd_worker *w, uint16_t port_id, struct rte_mbuf **pkts,
	   uint16_t n)
{
	uint16_t keep = n / 2, i;
	unsigned int idle;

	if (wgd.spread_ring == NULL || n < WGD_BURST)
		return n;
	/* Others only: our own flag still says how our last poll went. */
	idle = atomic_load_explicit(&wgd.spread_idle, memory_order_relaxed);
	if (idle <= (unsigned int)w->idle ||
	    rte_ring_count(wgd.spread_ring) > SPREAD_BACKLOG)
		return n;
	/* The taker sorts by port: say which one each came from. */
	for (i = keep; i < n; i++)
		pkts[i]->port = port_id;
	if (rte_ring_mp_enqueue_bulk(wgd.spread_ring, (void **)&pkts[keep],
				     n - keep, NULL) == 0)
		return n;
	w->stats.spread_out += n - keep;
	return keep;
}

/* Packets that came in on port_id, to the path they would have taken. */
static void
rx_dispatch(struct wgd_worker *w, uint16_t port_id, struct rte_mbuf **pkts,
	    unsigned int n, uint64_t now)
{
	unsigned int u, i;

	if (port_id == wgd.tun_port) {
		wgd_tun_rx(w, pkts, n, now, w->txq);
		return;
	}
	for (u = 0; u < wgd.nb_uplinks; u++) {
		if (wgd.uplinks[u].port_id == port_id) {
			wgd_uplink_rx(w, (uint16_t)u, pkts, n, now);
			return;
		}
	}
	for (i = 0; i < n; i++)           /* cannot happen: we set port */
		wgd_drop(&w->stats, pkts[i], WGD_DROP_NOT_FOR_US);
}

unsigned int
wgd_spread_poll(struct wgd_worker *w, uint64_t now)
{
	struct rte_mbuf *pkts[WGD_BURST];
	unsigned int n, i, j;

	if (wgd.spread_ring == NULL)
		return 0;
	n = rte_ring_mc_dequeue_burst(wgd.spread_ring, (void **)pkts,
				      WGD_BURST, NULL);
	w->stats.spread_in += n;
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && pkts[j]->port == pkts[i]->port; j++)
			;
		rx_dispatch(w, pkts[i]->port, &pkts[i], j - i, now);
	}
	return n;
}

bool
wgd_worker_rx(struct wgd_worker *w, uint16_t port_id, int uplink,
	      struct rte_mbuf **pkts, uint16_t n, uint64_t now)
{
	uint16_t kept = spread_out(w, port_id, pkts, n);

	if (uplink < 0)
		wgd_tun_rx(w, pkts, kept, now, w->txq);
	else
		wgd_uplink_rx(w, (uint16_t)uplink, pkts, kept, now);
	return kept != n;
}

/* Say whether our own queues are idle, on a change only: the counter's
 * line is shared by every worker. */
static void
spread_idle_set(struct wgd_worker *w, bool idle)
{
	if (wgd.spread_ring == NULL || idle == w->idle)
		return;
	w->idle = idle;
	if (idle)
		atomic_fetch_add(&wgd.spread_idle, 1);
	else
		atomic_fetch_sub(&wgd.spread_idle, 1);
}

/* Worker 0 sends what the control lcore queued, on its own TX queues. */
static void
ctrl_tx_drain(struct wgd_worker *w)
{
	struct rte_mbuf *pkts[WGD_BURST];
	unsigned int n, i;

	n = rte_ring_sc_dequeue_burst(wgd.ctrl_tx_ring, (void **)pkts,
				      WGD_BURST, NULL);
	for (i = 0; i < n; i++)
		if (rte_eth_tx_burst(pkts[i]->port, w->txq, &pkts[i], 1) != 1)
			wgd_drop(&w->stats, pkts[i], WGD_DROP_TX_FULL);
}

int
wgd_worker_main(void *arg)
{
	struct wgd_worker *w = arg;
	struct rte_mbuf *pkts[WGD_BURST];
	unsigned int i;
	uint16_t n;

	rte_rcu_qsbr_thread_register(wgd.qsbr, w->index);
	rte_rcu_qsbr_thread_online(wgd.qsbr, w->index);
	while (!wgd.quit) {
		uint64_t now = wgd_now();
		unsigned int got = 0;
		bool handed = false;

		for (i = 0; i < w->nb_rx; i++) {
			n = rte_eth_rx_burst(w->rx[i].port_id,
					     w->rx[i].queue_id, pkts, WGD_BURST);
			if (n == 0)
				continue;
			got += n;
			handed |= wgd_worker_rx(w, w->rx[i].port_id,
						w->rx[i].uplink, pkts, n, now);
		}
		/* Not right after handing some out: those are for others. */
		if (wgd.spread_ring != NULL) {
			spread_idle_set(w, got == 0);
			if (!handed)
				got += wgd_spread_poll(w, now);
		}
		if (w->index == 0)
			ctrl_tx_drain(w);
		rte_rcu_qsbr_quiescent(wgd.qsbr, w->index);
		/* On shared cores (tests, demos) give the CPU back when
		 * there is nothing to do. */
		if (got == 0 && wgd.idle_us != 0)
			rte_delay_us_sleep(wgd.idle_us);
	}
	rte_rcu_qsbr_thread_offline(wgd.qsbr, w->index);
	rte_rcu_qsbr_thread_unregister(wgd.qsbr, w->index);
	return 0;
}
