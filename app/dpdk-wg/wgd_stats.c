/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counters: the stats table printed every --stats-interval seconds and at
 * exit, and the readers the prompt and telemetry share. "clear stats"
 * takes a baseline (see wgd_stats.h); the table and the prompt show
 * counts since then, telemetry the raw counters.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wg_crypto.h"
#include "wgd.h"
#include "wgd_stats.h"

static const char *const wgd_drop_names[] = {
	[WGD_DROP_NOT_FOR_US - WG_DROP_REASON_MAX] = "not_for_us",
	[WGD_DROP_MALFORMED - WG_DROP_REASON_MAX] = "malformed",
	[WGD_DROP_CTRL_RING_FULL - WG_DROP_REASON_MAX] = "ctrl_ring_full",
	[WGD_DROP_BAD_INNER - WG_DROP_REASON_MAX] = "bad_inner",
	[WGD_DROP_ALLOWEDIPS_RX - WG_DROP_REASON_MAX] = "allowedips_src",
	[WGD_DROP_NO_PEER - WG_DROP_REASON_MAX] = "no_peer",
	[WGD_DROP_STAGED_FULL - WG_DROP_REASON_MAX] = "staged_full",
	[WGD_DROP_NO_ROUTE - WG_DROP_REASON_MAX] = "no_route",
	[WGD_DROP_NO_HEADROOM - WG_DROP_REASON_MAX] = "no_headroom",
	[WGD_DROP_TX_FULL - WG_DROP_REASON_MAX] = "tx_full",
};

const char *
wgd_drop_name(unsigned int reason)
{
	if (reason < WG_DROP_REASON_MAX)
		return wg_drop_reason_name(reason);
	if (reason < WGD_DROP_MAX)
		return wgd_drop_names[reason - WG_DROP_REASON_MAX];
	return "unknown";
}

/* ---- the baseline of "clear stats" ---- */

/* A peer slot's counters at clear time, and whose they were: a slot the
 * UAPI gives to a new peer must not inherit them. */
struct peer_base {
	const struct wg_peer *core;
	uint8_t public_key[WG_KEY_LEN];
	uint64_t rx_bytes, tx_bytes;
	struct wgd_path_stats path[WGD_MAX_PATHS];
};

static struct {
	struct wgd_lcore_stats lcore[WGD_MAX_WORKERS + 1];
	uint64_t dev_drops[WG_DROP_REASON_MAX];
	struct peer_base *peers;     /**< [nb_peer_slots + 1]; NULL: never */
} base;

/* Counters only grow; a baseline above one (a slot reused unnoticed)
 * reads as zero rather than wrapping. */
static inline uint64_t
since(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

static const struct peer_base *
peer_base_of(const struct wgd_peer *p)
{
	const struct peer_base *b;

	if (base.peers == NULL)
		return NULL;
	b = &base.peers[p - wgd.peers];
	if (b->core != p->core ||
	    memcmp(b->public_key, p->core->public_key, WG_KEY_LEN) != 0)
		return NULL;
	return b;
}

static const struct wgd_lcore_stats *
lcore_raw(unsigned int l)
{
	return l < wgd.nb_workers ? &wgd.workers[l].stats : &wgd.ctrl_stats;
}

void
wgd_lcore_stats_get(unsigned int l, struct wgd_lcore_stats *st,
		    bool since_clear)
{
	const struct wgd_lcore_stats *b = &base.lcore[l];

	*st = *lcore_raw(l);
	if (!since_clear)
		return;
	st->uplink_rx_pkts = since(st->uplink_rx_pkts, b->uplink_rx_pkts);
	st->uplink_rx_bytes = since(st->uplink_rx_bytes, b->uplink_rx_bytes);
	st->uplink_tx_pkts = since(st->uplink_tx_pkts, b->uplink_tx_pkts);
	st->uplink_tx_bytes = since(st->uplink_tx_bytes, b->uplink_tx_bytes);
	st->tun_rx_pkts = since(st->tun_rx_pkts, b->tun_rx_pkts);
	st->tun_tx_pkts = since(st->tun_tx_pkts, b->tun_tx_pkts);
	st->decrypted = since(st->decrypted, b->decrypted);
	st->encrypted = since(st->encrypted, b->encrypted);
	st->crypto_batches = since(st->crypto_batches, b->crypto_batches);
	st->spread_out = since(st->spread_out, b->spread_out);
	st->spread_in = since(st->spread_in, b->spread_in);
	for (unsigned int i = 0; i < WGD_DROP_MAX; i++)
		st->drops[i] = since(st->drops[i], b->drops[i]);
}

uint64_t
wgd_dev_drops_get(unsigned int reason, bool since_clear)
{
	uint64_t n = wgd.dev->drops[reason];

	return since_clear ? since(n, base.dev_drops[reason]) : n;
}

void
wgd_peer_bytes_get(const struct wgd_peer *p, uint64_t *rx, uint64_t *tx,
		   bool since_clear)
{
	const struct peer_base *b = since_clear ? peer_base_of(p) : NULL;

	wgd_peer_bytes_sum(p, rx, tx);
	if (b == NULL)
		return;
	*rx = since(*rx, b->rx_bytes);
	*tx = since(*tx, b->tx_bytes);
}

static void
path_sub(struct wgd_path_stats *st, const struct wgd_path_stats *b)
{
	st->rx_pkts = since(st->rx_pkts, b->rx_pkts);
	st->rx_bytes = since(st->rx_bytes, b->rx_bytes);
	st->first = since(st->first, b->first);
	st->dup = since(st->dup, b->dup);
	st->too_old = since(st->too_old, b->too_old);
	st->tx_pkts = since(st->tx_pkts, b->tx_pkts);
	st->tx_bytes = since(st->tx_bytes, b->tx_bytes);
	st->tx_data = since(st->tx_data, b->tx_data);
	st->delay_sum_ns = since(st->delay_sum_ns, b->delay_sum_ns);
	st->delay_n = since(st->delay_n, b->delay_n);
}

void
wgd_path_stats_get(const struct wgd_peer *p, unsigned int slot,
		   struct wgd_path_stats *st, bool since_clear)
{
	const struct peer_base *b = since_clear ? peer_base_of(p) : NULL;

	memset(st, 0, sizeof(*st));
	for (unsigned int l = 0; l <= wgd.nb_workers; l++) {
		const struct wgd_path_stats *s = &p->pstats[l][slot];

		st->rx_pkts += s->rx_pkts;
		st->rx_bytes += s->rx_bytes;
		st->first += s->first;
		st->dup += s->dup;
		st->too_old += s->too_old;
		st->tx_pkts += s->tx_pkts;
		st->tx_bytes += s->tx_bytes;
		st->tx_data += s->tx_data;
		st->delay_sum_ns += s->delay_sum_ns;
		st->delay_n += s->delay_n;
		if (s->max_counter > st->max_counter)
			st->max_counter = s->max_counter;
	}
	if (b != NULL)
		path_sub(st, &b->path[slot]);
}

void
wgd_stats_peer_reset(const struct wgd_peer *p)
{
	if (base.peers != NULL)
		memset(&base.peers[p - wgd.peers], 0, sizeof(*base.peers));
}

void
wgd_stats_clear(void)
{
	struct wgd_peer *p;

	for (unsigned int l = 0; l <= wgd.nb_workers; l++)
		base.lcore[l] = *lcore_raw(l);
	memcpy(base.dev_drops, wgd.dev->drops, sizeof(base.dev_drops));
	if (base.peers == NULL) {
		base.peers = calloc(wgd.nb_peer_slots + 1, sizeof(*base.peers));
		if (base.peers == NULL)
			return;
	}
	WGD_FOREACH_PEER(p) {
		struct peer_base *b = &base.peers[p - wgd.peers];

		b->core = p->core;
		memcpy(b->public_key, p->core->public_key, WG_KEY_LEN);
		wgd_peer_bytes_get(p, &b->rx_bytes, &b->tx_bytes, false);
		for (unsigned int i = 0; i < WGD_MAX_PATHS; i++)
			wgd_path_stats_get(p, i, &b->path[i], false);
	}
}

/* ---- path views ---- */

int32_t
wgd_path_loss_ppm(struct wgd_loss_mark *mark, const struct wgd_path_stats *st)
{
	uint64_t drx = st->rx_pkts - mark->rx;
	uint64_t dctr = st->max_counter - mark->max_counter;
	int32_t loss = -1;

	/* Counters restart at each rekey and the reader's counts at a
	 * clear: then nothing is known until the next look. */
	if (st->max_counter > mark->max_counter && st->rx_pkts >= mark->rx &&
	    dctr >= drx)
		loss = (int32_t)(1000000 - drx * 1000000 / dctr);
	mark->rx = st->rx_pkts;
	mark->max_counter = st->max_counter;
	return loss;
}

uint64_t
wgd_path_lag_ns(const struct wgd_path_stats *st)
{
	return st->delay_n != 0 ? st->delay_sum_ns / st->delay_n : 0;
}

const char *
wgd_path_state(const struct wgd_peer *p, const struct wgd_pathset *ps,
	       unsigned int i)
{
	const struct wgd_path *path = &ps->path[i];
	const struct wgd_uplink *up = &wgd.uplinks[path->uplink];

	if (up->admin_down)
		return "admin_down";
	if (up->link_down)
		return "link_down";
	for (unsigned int t = 0; t < ps->nb_tx; t++)
		if (ps->tx[t] == i)
			return "active";
	if (!path->resolved)
		return "unresolved";
	if (p->conf->redundancy == WG_CONF_FAILOVER)
		return p->health[i].up_since_ns != 0 ? "live" : "down";
	return "up";
}

/* ---- the stats table ---- */

void
wgd_stats_add(struct wgd_lcore_stats *sum, const struct wgd_lcore_stats *s)
{
	sum->uplink_rx_pkts += s->uplink_rx_pkts;
	sum->uplink_rx_bytes += s->uplink_rx_bytes;
	sum->uplink_tx_pkts += s->uplink_tx_pkts;
	sum->uplink_tx_bytes += s->uplink_tx_bytes;
	sum->tun_rx_pkts += s->tun_rx_pkts;
	sum->tun_tx_pkts += s->tun_tx_pkts;
	sum->decrypted += s->decrypted;
	sum->encrypted += s->encrypted;
	sum->crypto_batches += s->crypto_batches;
	sum->spread_out += s->spread_out;
	sum->spread_in += s->spread_in;
	for (unsigned int i = 0; i < WGD_DROP_MAX; i++)
		sum->drops[i] += s->drops[i];
}

static void
stats_total(struct wgd_lcore_stats *sum, bool since_clear)
{
	struct wgd_lcore_stats st;

	memset(sum, 0, sizeof(*sum));
	for (unsigned int l = 0; l <= wgd.nb_workers; l++) {
		wgd_lcore_stats_get(l, &st, since_clear);
		wgd_stats_add(sum, &st);
	}
}

/** Totals over the workers and the control lcore (raw counters; the
 * device's handshake drops are apart, in wgd.dev->drops). */
void
wgd_stats_sum(struct wgd_lcore_stats *sum)
{
	stats_total(sum, false);
}

static void
print_peer(struct wgd_peer *p, uint64_t real_now)
{
	const struct wg_peer *core = p->core;
	const struct wgd_pathset *ps = atomic_load(&p->paths);
	char key[45], ep[WG_CONF_ENDPOINT_STRLEN] = "(none)", hs[32] = "never";
	char via[64] = "unresolved";
	uint64_t rx, tx;

	wg_key_to_base64(key, core->public_key);
	if (core->endpoint.family != WG_AF_NONE)
		wg_conf_format_endpoint(&core->endpoint, ep, sizeof(ep));
	if (core->last_handshake_realtime != 0)
		snprintf(hs, sizeof(hs), "%" PRIu64 " s ago",
			 (uint64_t)((real_now - core->last_handshake_realtime) /
				    WG_NS_PER_SEC));
	/* The first path data takes; every path follows on its own line. */
	if (ps != NULL && ps->nb_tx > 0) {
		const struct wgd_path *path = &ps->path[ps->tx[0]];

		snprintf(via, sizeof(via),
			 "%s via %02x:%02x:%02x:%02x:%02x:%02x",
			 wgd.uplinks[path->uplink].conf->name,
			 path->net.dst_mac[0], path->net.dst_mac[1],
			 path->net.dst_mac[2], path->net.dst_mac[3],
			 path->net.dst_mac[4], path->net.dst_mac[5]);
	}
	wgd_peer_bytes_get(p, &rx, &tx, true);
	printf("  peer %s endpoint %s path %s rx %" PRIu64 " B tx %" PRIu64
	       " B handshake %s staged %u redundancy %s\n", key, ep, via,
	       rx, tx, hs, rte_ring_count(p->staged),
	       wg_conf_redundancy_name(p->conf->redundancy));
	wgd_paths_print(p);
}

void
wgd_stats_print(void)
{
	struct wgd_lcore_stats sum;
	struct wgd_peer *p;
	unsigned int i;

	stats_total(&sum, true);
	printf("%s: uplink rx %" PRIu64 " pkts %" PRIu64 " B, tx %" PRIu64
	       " pkts %" PRIu64 " B; tun rx %" PRIu64 " tx %" PRIu64
	       "; decrypted %" PRIu64 " encrypted %" PRIu64 " in %" PRIu64
	       " batches\n", wgd.name, sum.uplink_rx_pkts,
	       sum.uplink_rx_bytes, sum.uplink_tx_pkts, sum.uplink_tx_bytes,
	       sum.tun_rx_pkts, sum.tun_tx_pkts, sum.decrypted, sum.encrypted,
	       sum.crypto_batches);
	printf("  drops:");
	for (i = 1; i < WGD_DROP_MAX; i++) {
		uint64_t n = sum.drops[i] + (i < WG_DROP_REASON_MAX ?
					     wgd_dev_drops_get(i, true) : 0);

		if (n != 0)
			printf(" %s=%" PRIu64, wgd_drop_name(i), n);
	}
	printf("\n");
	WGD_FOREACH_PEER(p)
		print_peer(p, wgd.clock->realtime_ns(wgd.clock->arg));
	fflush(stdout);
}
