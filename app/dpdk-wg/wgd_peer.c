/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Peers: the protocol core's peers from the config, their data-path
 * state, the AllowedIPs table and the receiver-index hash the workers
 * read, and the RCU machinery that frees what workers may still hold.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "wg_allowedips.h"
#include "wgd.h"

#define INDEX_HASH_ENTRIES 65536
/* Room for peers added at run time (UAPI), beyond the config file's. */
#define SPARE_PEER_SLOTS 1024

struct wgd_peer *
wgd_peer_of(const struct wg_peer *core)
{
	return core->user;
}

struct wg_keypair *
wgd_keypair_lookup(const void *msg, uint64_t now, enum wg_drop_reason *reason)
{
	const struct wg_msg_data *hdr = msg;
	struct wg_keypair *kp;
	void *data;

	if (rte_hash_lookup_data(wgd.index_hash, &hdr->receiver_index,
				 &data) < 0) {
		*reason = WG_DROP_UNKNOWN_INDEX;
		return NULL;
	}
	kp = data;
	if (!wg_keypair_can_receive(kp, now)) {
		*reason = WG_DROP_KEY_EXPIRED;
		return NULL;
	}
	return kp;
}

static int
index_hash_create(void)
{
	struct rte_hash_parameters params = {
		.name = "wgd_index",
		.entries = INDEX_HASH_ENTRIES,
		.key_len = sizeof(uint32_t),
		.hash_func = rte_jhash,
		.socket_id = (int)rte_socket_id(),
		/* Workers read while the control lcore writes. */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	struct rte_hash_rcu_config rcu = {
		.v = wgd.qsbr,
		.mode = RTE_HASH_QSBR_MODE_DQ,
	};

	wgd.index_hash = rte_hash_create(&params);
	if (wgd.index_hash == NULL)
		return -1;
	return rte_hash_rcu_qsbr_add(wgd.index_hash, &rcu);
}

static int
allowedips_build(void)
{
	const struct wg_conf *conf = wgd.conf;
	struct wg_allowedips_entry *entries;
	unsigned int i, j, n = 0, total = 0;
	char err[256];

	for (i = 0; i < conf->npeers; i++)
		total += conf->peers[i].nallowed;
	entries = calloc(total + 1, sizeof(*entries));
	if (entries == NULL)
		return -1;
	for (i = 0; i < conf->npeers; i++) {
		const struct wg_conf_peer *cp = &conf->peers[i];

		for (j = 0; j < cp->nallowed; j++, n++) {
			entries[n].family = cp->allowed_ips[j].family;
			entries[n].prefix_len = cp->allowed_ips[j].len;
			memcpy(entries[n].addr, cp->allowed_ips[j].addr, 16);
			entries[n].peer_id = i + 1;
		}
	}
	wgd.allowedips = wg_allowedips_build("wgd_aips", entries, n,
					     (int)rte_socket_id(), err,
					     sizeof(err));
	free(entries);
	if (wgd.allowedips == NULL) {
		fprintf(stderr, "dpdk-wg: AllowedIPs: %s\n", err);
		return -1;
	}
	return 0;
}

static int
peer_init(struct wgd_peer *p, const struct wg_conf_peer *cp, uint32_t id)
{
	char name[RTE_RING_NAMESIZE];

	p->id = id;
	p->conf = cp;
	p->uplink_hint = -1;
	p->active = -1;
	p->probe_slot = -1;
	p->core = wg_peer_create(wgd.dev, cp->public_key,
				 cp->has_psk ? cp->psk : NULL);
	if (p->core == NULL)
		return -1;
	p->core->user = p;
	snprintf(name, sizeof(name), "wgd_staged_%u", id);
	/* Any worker may stage; only the control lcore flushes. */
	p->staged = rte_ring_create(name, WGD_STAGED_PER_PEER,
				    (int)rte_socket_id(), RING_F_SC_DEQ);
	p->pstats = calloc(wgd.nb_workers + 1, sizeof(*p->pstats));
	if (p->staged == NULL || p->pstats == NULL)
		return -1;
	if (cp->redundancy == WG_CONF_DUPLICATE) {
		p->arrivals = calloc(WGD_ARRIVALS, sizeof(*p->arrivals));
		if (p->arrivals == NULL)
			return -1;
	}
	wgd_paths_init(p);
	if (cp->nendpoints > 0)
		wg_peer_set_endpoint(p->core, &cp->endpoints[0]);
	return 0;
}

int
wgd_peers_init(void)
{
	const struct wg_conf *conf = wgd.conf;
	unsigned int i;

	if (index_hash_create() != 0) {
		fprintf(stderr, "dpdk-wg: cannot create index hash: %s\n",
			rte_strerror(rte_errno));
		return -1;
	}
	wgd.nb_peer_slots = conf->npeers + SPARE_PEER_SLOTS;
	wgd.peers = calloc(wgd.nb_peer_slots + 1, sizeof(*wgd.peers));
	if (wgd.peers == NULL)
		return -1;
	for (i = 0; i < conf->npeers; i++) {
		if (peer_init(&wgd.peers[i + 1], &conf->peers[i], i + 1) != 0) {
			fprintf(stderr, "%s:%u: cannot create peer\n",
				wgd.conf_path, conf->peers[i].line);
			return -1;
		}
		wgd.nb_peers++;
	}
	if (allowedips_build() != 0)
		return -1;
	/* Keepalives go out once the hooks can send. */
	for (i = 0; i < conf->npeers; i++) {
		struct wgd_peer *p = &wgd.peers[i + 1];

		wgd_peer_update_path(p, -1, NULL);
		if (conf->peers[i].keepalive != 0)
			wg_peer_set_persistent_keepalive(p->core,
						conf->peers[i].keepalive);
	}
	return 0;
}

void
wgd_peers_free(void)
{
	struct wgd_peer *p;

	WGD_FOREACH_PEER(p) {
		struct rte_mbuf *m;

		while (rte_ring_dequeue(p->staged, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(p->staged);
		free(atomic_load(&p->paths));
		free(p->pstats);
		free(p->arrivals);
	}
	wg_device_destroy(wgd.dev);
	wgd.dev = NULL;
	wg_allowedips_free(wgd.allowedips);
	free(wgd.peers);
}
