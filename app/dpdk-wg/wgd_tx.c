/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sealing: inner packets to WireGuard transport messages in batches, then
 * outer headers and out of the uplink. Used by the workers for what the
 * TUN interface gives them, and by the control lcore for staged packets
 * and keepalives.
 */
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_prefetch.h>

#include "wgd.h"

void
wgd_drop(struct wgd_lcore_stats *st, struct rte_mbuf *m, unsigned int reason)
{
	st->drops[reason]++;
	rte_pktmbuf_free(m);
}

void
wgd_event_raise(struct wgd_lcore_stats *st, struct wgd_peer *p,
		const struct wgd_event *ev)
{
	if (atomic_fetch_or(&p->pending, ev->type) & ev->type)
		return;
	if (rte_ring_mp_enqueue_elem(wgd.event_ring, (void *)(uintptr_t)ev,
				     sizeof(*ev)) != 0) {
		atomic_fetch_and(&p->pending, ~ev->type);
		st->drops[WGD_DROP_CTRL_RING_FULL]++;
	}
}

/* No key or no path yet: the packet waits (bounded) for the control
 * lcore to flush it when the handshake completes. */
static void
stage(struct wgd_lcore_stats *st, struct wgd_peer *p, struct rte_mbuf *m,
      bool want_handshake)
{
	struct wgd_event ev = { .peer_id = p->id };

	if (rte_ring_mp_enqueue(p->staged, m) != 0)
		wgd_drop(st, m, WGD_DROP_STAGED_FULL);
	ev.type = want_handshake ? WGD_EV_HANDSHAKE : WGD_EV_FLUSH;
	wgd_event_raise(st, p, &ev);
}

/* As the kernel's keep_key_fresh() on send: rekey after too many
 * messages, or as initiator once the keypair is REKEY_AFTER_TIME old. */
static bool
wants_rekey(const struct wg_keypair *kp, uint64_t counter, uint64_t now)
{
	return counter > WG_REKEY_AFTER_MESSAGES ||
	       (kp->i_am_initiator &&
		now - kp->send_birthdate >= WG_REKEY_AFTER_TIME);
}

struct seal_item {
	struct rte_mbuf *m;
	struct wgd_peer *peer;
	const struct wgd_pathset *ps;
	uint32_t inner_len;
};

/* Frames ready for the uplinks, sent in one burst per uplink. */
struct tx_out {
	struct rte_mbuf *m[WGD_MAX_UPLINKS][WGD_BURST * 2];
	unsigned int n[WGD_MAX_UPLINKS];
};

/* Pad, add the transport header and describe the op; false: dropped. */
static bool
seal_prepare(struct wgd_lcore_stats *st, struct rte_mbuf *m,
	     struct wg_keypair *kp, uint64_t counter, struct wg_aead_op *op)
{
	uint32_t len = rte_pktmbuf_pkt_len(m);
	uint32_t padded = wg_data_padded_len(len, wgd.conf->mtu);
	struct wg_msg_data *hdr;
	uint8_t *tail;

	if (m->nb_segs > 1 && rte_pktmbuf_linearize(m) != 0) {
		wgd_drop(st, m, WGD_DROP_NO_HEADROOM);
		return false;
	}
	tail = (uint8_t *)rte_pktmbuf_append(m, padded - len + WG_AEAD_TAG_LEN);
	hdr = (struct wg_msg_data *)rte_pktmbuf_prepend(m, sizeof(*hdr));
	if (tail == NULL || hdr == NULL) {
		wgd_drop(st, m, WGD_DROP_NO_HEADROOM);
		return false;
	}
	memset(tail, 0, padded - len);
	wg_data_header(hdr, kp, counter);
	op->key = kp->send_key;
	op->counter = counter;
	op->data = hdr->encrypted_data;
	op->len = padded;
	op->tag = hdr->encrypted_data + padded;
	return true;
}

static void
tx_flush(struct wgd_lcore_stats *st, int txq, struct tx_out *out)
{
	unsigned int i, u, sent;

	for (u = 0; u < wgd.nb_uplinks; u++) {
		if (out->n[u] == 0)
			continue;
		uint64_t bytes[RTE_DIM(out->m[0])];

		/* Lengths first: the port frees what it sent. */
		for (i = 0; i < out->n[u]; i++)
			bytes[i] = rte_pktmbuf_pkt_len(out->m[u][i]);
		sent = rte_eth_tx_burst(wgd.uplinks[u].port_id, (uint16_t)txq,
					out->m[u], (uint16_t)out->n[u]);
		for (i = 0; i < sent; i++)
			st->uplink_tx_bytes += bytes[i];
		st->uplink_tx_pkts += sent;
		for (i = sent; i < out->n[u]; i++)
			wgd_drop(st, out->m[u][i], WGD_DROP_TX_FULL);
		out->n[u] = 0;
	}
}

/* One frame onto one path: outer headers, then out (or queued). */
static void
tx_one(struct wgd_lcore_stats *st, unsigned int lslot, int txq,
       struct tx_out *out, struct wgd_peer *p, const struct wgd_pathset *ps,
       unsigned int t, struct rte_mbuf *m, bool data)
{
	const struct wgd_path *path = &ps->path[ps->tx[t]];
	struct wgd_path_stats *ps_st = &p->pstats[lslot][ps->tx[t]];
	uint32_t len = rte_pktmbuf_pkt_len(m);

	if (wg_net_encap_hdr(m, &ps->hdr[ps->tx[t]],
			     wgd.uplinks[path->uplink].tx_cksum_offload) != 0) {
		wgd_drop(st, m, WGD_DROP_NO_HEADROOM);
		return;
	}
	ps_st->tx_pkts++;
	ps_st->tx_bytes += len;
	ps_st->tx_data += data;
	if (txq < 0) {
		wgd_ctrl_send_raw(path->uplink, m);
		return;
	}
	out->m[path->uplink][out->n[path->uplink]++] = m;
	if (out->n[path->uplink] == RTE_DIM(out->m[0]))
		tx_flush(st, txq, out);
}

/*
 * Below this many bytes a sealed message is copied for another path
 * rather than shared: the header mbuf, the indirect mbuf and their
 * reference counts cost more than copying a small message (64-byte
 * inner packets: 2 paths at 0.82 of 1 path's rate chained, 0.91
 * copied; at 1420 bytes both are at 0.89-0.91, doc/performance.md).
 */
#define WGD_SHARE_MIN_LEN 512

/*
 * A copy of a sealed message for another path, never sealed twice:
 * large ones share their data (a header mbuf for the outer headers
 * chained to an indirect mbuf on the payload), small ones and those for
 * ports that cannot send chains are copied.
 */
static struct rte_mbuf *
tx_copy(const struct wgd_path *path, struct rte_mbuf *m)
{
	struct rte_mbuf *hdr, *clone;

	if (!wgd.uplinks[path->uplink].tx_multi_seg ||
	    m->pkt_len < WGD_SHARE_MIN_LEN) {
		/* Sealed messages are one segment (seal_prepare()): one
		 * copy of the bytes, none of rte_pktmbuf_copy()'s
		 * per-segment bookkeeping. */
		if (m->nb_segs != 1)
			return rte_pktmbuf_copy(m, wgd.pool, 0, UINT32_MAX);
		hdr = rte_pktmbuf_alloc(wgd.pool);
		if (hdr == NULL)
			return NULL;
		rte_memcpy(rte_pktmbuf_mtod(hdr, void *),
			   rte_pktmbuf_mtod(m, const void *), m->data_len);
		hdr->data_len = m->data_len;
		hdr->pkt_len = m->data_len;
		return hdr;
	}
	hdr = rte_pktmbuf_alloc(wgd.pool);
	clone = rte_pktmbuf_clone(m, wgd.pool);
	if (hdr == NULL || clone == NULL || rte_pktmbuf_chain(hdr, clone)) {
		rte_pktmbuf_free(hdr);
		rte_pktmbuf_free(clone);
		return NULL;
	}
	return hdr;
}

/*
 * What the timers and the UAPI's tx_bytes need of a peer's sending, in
 * this lcore's line of the peer (struct wgd_peer_lcore), once per run of
 * its packets in a burst rather than per packet.
 */
static void
peer_tx_account(struct wgd_peer *p, unsigned int lslot, uint64_t wire_bytes,
		bool data, uint64_t now)
{
	struct wgd_peer_lcore *lc = &p->lc[lslot];

	atomic_store_explicit(&lc->tx_auth_ns, now, memory_order_relaxed);
	if (data)
		atomic_store_explicit(&lc->tx_data_ns, now,
				      memory_order_relaxed);
	wgd_count_add(&lc->tx_bytes, wire_bytes);
}

/* wgd_send_sealed() without the peer's accounting; returns the message's
 * length on the wire (before outer headers). */
static uint32_t
send_on_paths(struct wgd_lcore_stats *st, unsigned int lslot, int txq,
	      struct wgd_peer *p, const struct wgd_pathset *ps,
	      struct rte_mbuf *m, uint32_t inner_len, void *outp)
{
	struct tx_out local, *out = outp;
	uint32_t wire_len = rte_pktmbuf_pkt_len(m);
	unsigned int t;

	/* Only the counts: the 4 KiB of pointers need no clearing. */
	if (out == NULL) {
		memset(local.n, 0, sizeof(local.n));
		out = &local;
	}

	/* Copies first: the original's headroom is about to change. */
	for (t = 1; t < ps->nb_tx; t++) {
		struct rte_mbuf *copy = tx_copy(&ps->path[ps->tx[t]], m);

		if (copy == NULL) {
			st->drops[WGD_DROP_NO_HEADROOM]++;
			continue;
		}
		tx_one(st, lslot, txq, out, p, ps, t, copy, inner_len != 0);
	}
	tx_one(st, lslot, txq, out, p, ps, 0, m, inner_len != 0);
	if (outp == NULL && txq >= 0)
		tx_flush(st, txq, out);
	return wire_len;
}

void
wgd_send_sealed(struct wgd_lcore_stats *st, unsigned int lslot, int txq,
		struct wgd_peer *p, const struct wgd_pathset *ps,
		struct rte_mbuf *m, uint32_t inner_len, uint64_t now,
		void *outp)
{
	uint32_t wire_len = send_on_paths(st, lslot, txq, p, ps, m, inner_len,
					  outp);

	peer_tx_account(p, lslot, wire_len, inner_len != 0, now);
}

/* A run of one peer's packets in a burst, and what they are sent with. */
struct seal_run {
	struct wgd_peer *peer;
	struct wg_keypair *kp;          /**< NULL: the run is staged */
	const struct wgd_pathset *ps;
	uint64_t counter;               /**< the first one reserved */
	uint16_t first, n;              /**< packets [first, first + n) */
	bool no_key;                    /**< staged for want of a keypair */
};

/*
 * With many peers, what a burst's peers point to is not in cache. Each
 * pass prefetches one level for every peer of the burst, so that their
 * misses overlap: the peers, their cores, then their keypairs' counter
 * lines and the lines the accounting writes.
 */
static void
prefetch_peers(struct wgd_peer *const peers[], unsigned int n,
	       unsigned int lslot)
{
	unsigned int i;

	if (n < 2 || peers[0] == peers[n - 1])
		return;               /* one peer (or so): nothing to gain */
	for (i = 0; i < n; i++)
		rte_prefetch0(peers[i]);
	for (i = 0; i < n; i++)
		rte_prefetch0(&peers[i]->core->keypairs);
	for (i = 0; i < n; i++) {
		struct wg_keypair *kp =
			atomic_load_explicit(&peers[i]->core->keypairs.current,
					     memory_order_relaxed);

		if (kp != NULL)
			rte_prefetch0_write(&kp->send_counter);
		rte_prefetch0_write(&peers[i]->lc[lslot]);
	}
}

/*
 * Split a burst into runs of one peer and reserve each run's counters
 * with one atomic add: the counter is shared by every lcore sending for
 * the peer. All of them before any packet is written: a locked add waits
 * for the store buffer to drain, which is cheap only while it is empty.
 * A packet staged after all leaves a gap, which receivers do not mind.
 */
static unsigned int
seal_reserve(struct wgd_peer *const peers[], unsigned int n, uint64_t now,
	     struct seal_run runs[])
{
	unsigned int i, j, nruns = 0;

	for (i = 0; i < n; i = j) {
		struct seal_run *r = &runs[nruns++];
		struct wgd_peer *p = peers[i];
		struct wg_keypair *kp = atomic_load(&p->core->keypairs.current);

		for (j = i + 1; j < n && peers[j] == p; j++)
			;
		r->peer = p;
		r->first = (uint16_t)i;
		r->n = (uint16_t)(j - i);
		r->ps = atomic_load(&p->paths);
		r->no_key = kp == NULL || !wg_keypair_can_send(kp, now);
		r->kp = NULL;
		if (r->no_key || r->ps == NULL || r->ps->nb_tx == 0)
			continue;
		r->kp = kp;
		r->counter = atomic_fetch_add_explicit(&kp->send_counter, r->n,
						       memory_order_relaxed);
	}
	return nruns;
}

/* The packets of a run that go on join items[] and ops[] at *k. */
static void
seal_run_prepare(struct wgd_lcore_stats *st, const struct seal_run *r,
		 struct rte_mbuf *pkts[], uint64_t now,
		 struct seal_item items[], struct wg_aead_op ops[],
		 unsigned int *k)
{
	struct wgd_event ev = { .type = WGD_EV_HANDSHAKE,
				.peer_id = r->peer->id };
	uint64_t counter;
	unsigned int i;

	if (r->kp == NULL) {
		for (i = 0; i < r->n; i++)
			stage(st, r->peer, pkts[i], r->no_key);
		return;
	}
	counter = r->counter;
	if (wants_rekey(r->kp, counter + r->n - 1, now))
		wgd_event_raise(st, r->peer, &ev);
	for (i = 0; i < r->n; i++, counter++) {
		struct seal_item *it = &items[*k];

		if (counter >= WG_REJECT_AFTER_MESSAGES) {
			stage(st, r->peer, pkts[i], true);
			continue;
		}
		it->m = pkts[i];
		it->peer = r->peer;
		it->ps = r->ps;
		it->inner_len = rte_pktmbuf_pkt_len(pkts[i]);
		if (seal_prepare(st, pkts[i], r->kp, counter, &ops[*k]))
			(*k)++;
	}
}

void
wgd_tx_burst(struct wg_aead_ctx *aead, struct wgd_lcore_stats *st,
	     unsigned int lslot, int txq, struct wgd_peer *const peers[],
	     struct rte_mbuf *pkts[], unsigned int n, uint64_t now)
{
	const struct wg_aead_driver *drv = wgd.aead_driver;
	struct wg_aead_op ops[WGD_BURST];
	struct seal_item items[WGD_BURST];
	struct seal_run runs[WGD_BURST];
	struct tx_out out;
	unsigned int i, nruns, k = 0;
	uint64_t wire_bytes = 0;
	bool data = false;

	/* Only the counts: an initialiser would clear 4 KiB of pointers. */
	memset(out.n, 0, sizeof(out.n));
	prefetch_peers(peers, n, lslot);
	nruns = seal_reserve(peers, n, now, runs);
	for (i = 0; i < nruns; i++)
		seal_run_prepare(st, &runs[i], &pkts[runs[i].first], now,
				 items, ops, &k);
	if (k == 0)
		return;
	drv->seal(aead, ops, k);
	st->crypto_batches++;
	st->encrypted += k;
	for (i = 0; i < k; i++) {
		wire_bytes += send_on_paths(st, lslot, txq, items[i].peer,
					    items[i].ps, items[i].m,
					    items[i].inner_len,
					    txq >= 0 ? &out : NULL);
		data |= items[i].inner_len != 0;
		if (i + 1 == k || items[i + 1].peer != items[i].peer) {
			peer_tx_account(items[i].peer, lslot, wire_bytes, data,
					now);
			wire_bytes = 0;
			data = false;
		}
	}
	if (txq >= 0)
		tx_flush(st, txq, &out);
}
