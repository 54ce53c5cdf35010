/* SPDX-License-Identifier: BSD-3-Clause */
/* The stats table printed every --stats-interval seconds and at exit. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "wg_crypto.h"
#include "wgd.h"

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

static void
stats_add(struct wgd_lcore_stats *sum, const struct wgd_lcore_stats *s)
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
	for (unsigned int i = 0; i < WGD_DROP_MAX; i++)
		sum->drops[i] += s->drops[i];
}

/** Totals over the workers and the control lcore (and the core's
 * handshake drops, counted by the device). */
void
wgd_stats_sum(struct wgd_lcore_stats *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned int i = 0; i < wgd.nb_workers; i++)
		stats_add(sum, &wgd.workers[i].stats);
	stats_add(sum, &wgd.ctrl_stats);
}

static void
print_peer(struct wgd_peer *p, uint64_t real_now)
{
	const struct wg_peer *core = p->core;
	const struct wgd_pathset *ps = atomic_load(&p->paths);
	char key[45], ep[WG_CONF_ENDPOINT_STRLEN] = "(none)", hs[32] = "never";
	char via[64] = "unresolved";

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
	printf("  peer %s endpoint %s path %s rx %" PRIu64 " B tx %" PRIu64
	       " B handshake %s staged %u redundancy %s\n", key, ep, via,
	       atomic_load(&p->rx_bytes), atomic_load(&p->tx_bytes), hs,
	       rte_ring_count(p->staged),
	       wg_conf_redundancy_name(p->conf->redundancy));
	wgd_paths_print(p);
}

void
wgd_stats_print(void)
{
	struct wgd_lcore_stats sum;
	struct wgd_peer *p;
	unsigned int i;

	wgd_stats_sum(&sum);
	printf("%s: uplink rx %" PRIu64 " pkts %" PRIu64 " B, tx %" PRIu64
	       " pkts %" PRIu64 " B; tun rx %" PRIu64 " tx %" PRIu64
	       "; decrypted %" PRIu64 " encrypted %" PRIu64 " in %" PRIu64
	       " batches\n", wgd.name, sum.uplink_rx_pkts,
	       sum.uplink_rx_bytes, sum.uplink_tx_pkts, sum.uplink_tx_bytes,
	       sum.tun_rx_pkts, sum.tun_tx_pkts, sum.decrypted, sum.encrypted,
	       sum.crypto_batches);
	printf("  drops:");
	for (i = 1; i < WGD_DROP_MAX; i++) {
		uint64_t n = sum.drops[i] +
			     (i < WG_DROP_REASON_MAX ? wgd.dev->drops[i] : 0);

		if (n != 0)
			printf(" %s=%" PRIu64, wgd_drop_name(i), n);
	}
	printf("\n");
	WGD_FOREACH_PEER(p)
		print_peer(p, wgd.clock->realtime_ns(wgd.clock->arg));
	fflush(stdout);
}

void
wgd_stats_clear(void)
{
}
