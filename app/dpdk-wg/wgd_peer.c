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
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "wg_allowedips.h"
#include "wg_noise.h"
#include "wgd.h"
#include "wgd_stats.h"

#define INDEX_HASH_ENTRIES 65536
/* Room for peers added at run time (UAPI), beyond the config file's. */
#define SPARE_PEER_SLOTS 1024

struct wgd_peer *
wgd_peer_of(const struct wg_peer *core)
{
	return core->user;
}

/* Receiver indices are 4 bytes: compared inline, not by memcmp(). */
static int
index_cmp(const void *a, const void *b, size_t len __rte_unused)
{
	uint32_t x, y;

	memcpy(&x, a, sizeof(x));
	memcpy(&y, b, sizeof(y));
	return x != y;
}

static int
index_hash_create(void)
{
	struct rte_hash_parameters params = {
		.name = "wgd_index",
		.entries = INDEX_HASH_ENTRIES,
		.key_len = sizeof(uint32_t),
		/* Indices are random: one CRC32 instruction spreads them. */
		.hash_func = rte_hash_crc,
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
	rte_hash_set_cmp_func(wgd.index_hash, index_cmp);
	return rte_hash_rcu_qsbr_add(wgd.index_hash, &rcu);
}

static int
allowedips_build(void)
{
	const struct wg_conf_peer **conf;
	struct wg_allowedips *a;
	char err[256];

	conf = calloc(wgd.nb_peer_slots + 1, sizeof(*conf));
	if (conf == NULL)
		return -1;
	for (unsigned int id = 1; id <= wgd.nb_peer_slots; id++)
		if (wgd_peer_live(&wgd.peers[id]))
			conf[id] = wgd.peers[id].conf;
	a = wgd_allowedips_build(conf, err, sizeof(err));
	free(conf);
	if (a == NULL) {
		fprintf(stderr, "dpdk-wg: AllowedIPs: %s\n", err);
		return -1;
	}
	wgd_allowedips_publish(a);
	return 0;
}

struct wg_allowedips *
wgd_allowedips_build(const struct wg_conf_peer *const conf[], char *err,
		     size_t errlen)
{
	struct wg_allowedips_entry *entries;
	struct wg_allowedips *a;
	unsigned int id, j, n = 0, total = 0;

	for (id = 1; id <= wgd.nb_peer_slots; id++)
		if (conf[id] != NULL)
			total += conf[id]->nallowed;
	entries = calloc(total + 1, sizeof(*entries));
	if (entries == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (id = 1; id <= wgd.nb_peer_slots; id++) {
		const struct wg_conf_peer *cp = conf[id];

		for (j = 0; cp != NULL && j < cp->nallowed; j++, n++) {
			entries[n].family = cp->allowed_ips[j].family;
			entries[n].prefix_len = cp->allowed_ips[j].len;
			memcpy(entries[n].addr, cp->allowed_ips[j].addr, 16);
			entries[n].peer_id = id;
		}
	}
	a = wg_allowedips_build("wgd_aips", entries, n, (int)rte_socket_id(),
				err, errlen);
	free(entries);
	return a;
}

void
wgd_allowedips_publish(struct wg_allowedips *a)
{
	struct wg_allowedips *old = atomic_exchange(&wgd.allowedips, a);

	if (old == NULL)
		return;
	/* Workers may be looking up in the old table until their next
	 * quiescent state: a few microseconds, on the control lcore. */
	rte_rcu_qsbr_synchronize(wgd.qsbr, RTE_QSBR_THRID_INVALID);
	wg_allowedips_free(old);
}

/* Slot p takes over conf. */
static int
peer_init(struct wgd_peer *p, struct wg_conf_peer *cp, uint32_t id)
{
	char name[RTE_RING_NAMESIZE];

	memset(p, 0, sizeof(*p));
	p->id = id;
	p->conf = cp;
	p->redundancy = cp->redundancy;
	p->uplink_hint = -1;
	p->active = -1;
	p->probe_slot = -1;
	p->probe_last = -1;
	snprintf(name, sizeof(name), "wgd_staged_%u", id);
	/* Any worker may stage; only the control lcore flushes. */
	p->staged = rte_ring_create(name, WGD_STAGED_PER_PEER,
				    (int)rte_socket_id(), RING_F_SC_DEQ);
	p->pstats = aligned_alloc(RTE_CACHE_LINE_SIZE,
				  (wgd.nb_workers + 1) * sizeof(*p->pstats));
	if (p->pstats != NULL)
		memset(p->pstats, 0, (wgd.nb_workers + 1) * sizeof(*p->pstats));
	p->lc = aligned_alloc(RTE_CACHE_LINE_SIZE,
			      (wgd.nb_workers + 1) * sizeof(*p->lc));
	if (p->staged == NULL || p->pstats == NULL || p->lc == NULL)
		return -1;
	memset(p->lc, 0, (wgd.nb_workers + 1) * sizeof(*p->lc));
	if (cp->redundancy == WG_CONF_DUPLICATE) {
		p->arrivals = calloc(WGD_ARRIVALS, sizeof(*p->arrivals));
		if (p->arrivals == NULL)
			return -1;
	}
	p->core = wg_peer_create(wgd.dev, cp->public_key,
				 cp->has_psk ? cp->psk : NULL);
	if (p->core == NULL)
		return -1;
	p->core->user = p;
	wgd_paths_init(p);
	if (cp->nendpoints > 0)
		wg_peer_set_endpoint(p->core, &cp->endpoints[0]);
	return 0;
}

/* Free what a slot holds (its core peer is gone or never was). */
static void
peer_release(struct wgd_peer *p)
{
	struct rte_mbuf *m;

	if (p->staged != NULL) {
		while (rte_ring_dequeue(p->staged, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(p->staged);
	}
	free(atomic_load(&p->paths));
	free(p->pstats);
	free(p->lc);
	free(p->arrivals);
	if (p->conf != NULL) {
		wg_conf_peer_clear(p->conf);
		free(p->conf);
	}
	memset(p, 0, sizeof(*p));
}

static void
peer_start(struct wgd_peer *p)
{
	wgd_peer_update_path(p, -1, NULL);
	if (p->conf->keepalive != 0)
		wg_peer_set_persistent_keepalive(p->core, p->conf->keepalive);
}

static uint64_t
load(const _Atomic uint64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

void
wgd_peer_activity_get(const struct wgd_peer *p, struct wgd_peer_activity *a)
{
	memset(a, 0, sizeof(*a));
	for (unsigned int l = 0; p->lc != NULL && l <= wgd.nb_workers; l++) {
		const struct wgd_peer_lcore *lc = &p->lc[l];

		a->rx_auth_ns = RTE_MAX(a->rx_auth_ns, load(&lc->rx_auth_ns));
		a->rx_data_ns = RTE_MAX(a->rx_data_ns, load(&lc->rx_data_ns));
		a->tx_auth_ns = RTE_MAX(a->tx_auth_ns, load(&lc->tx_auth_ns));
		a->tx_data_ns = RTE_MAX(a->tx_data_ns, load(&lc->tx_data_ns));
		a->rx_bytes += load(&lc->rx_bytes);
		a->tx_bytes += load(&lc->tx_bytes);
	}
}

void
wgd_peer_bytes_sum(const struct wgd_peer *p, uint64_t *rx, uint64_t *tx)
{
	struct wgd_peer_activity a;

	wgd_peer_activity_get(p, &a);
	*rx = a.rx_bytes;
	*tx = a.tx_bytes;
}

struct wgd_peer *
wgd_peer_find(const uint8_t public_key[WG_KEY_LEN])
{
	struct wg_peer *core = wg_device_lookup_peer(wgd.dev, public_key);
	struct wgd_peer *p = core != NULL ? wgd_peer_of(core) : NULL;

	return p != NULL && wgd_peer_live(p) ? p : NULL;
}

uint32_t
wgd_peer_free_slot(uint32_t after)
{
	for (uint32_t id = after + 1; id <= wgd.nb_peer_slots; id++)
		if (wgd.peers[id].core == NULL)
			return id;
	return 0;
}

int
wgd_peer_add(uint32_t id, struct wg_conf_peer *conf)
{
	struct wgd_peer *p = &wgd.peers[id];

	if (peer_init(p, conf, id) != 0) {
		if (p->core != NULL)
			wg_peer_remove(p->core);
		p->core = NULL;
		p->conf = NULL;         /* the caller keeps it */
		peer_release(p);
		return -1;
	}
	wgd.nb_peers++;
	/* The slot may have held a removed peer: no baseline of its. */
	wgd_stats_peer_reset(p);
	peer_start(p);
	return 0;
}

static bool
endpoints_equal(const struct wg_conf_peer *a, const struct wg_conf_peer *b)
{
	if (a->nendpoints != b->nendpoints || a->nuplinks != b->nuplinks)
		return false;
	for (unsigned int i = 0; i < a->nendpoints; i++)
		if (!wg_endpoint_equal(&a->endpoints[i], &b->endpoints[i]))
			return false;
	return a->nuplinks == 0 ||
	       memcmp(a->uplinks, b->uplinks,
		      a->nuplinks * sizeof(*a->uplinks)) == 0;
}

void
wgd_peer_set_conf(struct wgd_peer *p, struct wg_conf_peer *conf,
		  const struct wg_endpoint *endpoint)
{
	struct wg_conf_peer *old = p->conf;
	bool paths_changed = !endpoints_equal(old, conf);

	p->conf = conf;
	wg_peer_set_preshared_key(p->core, conf->has_psk ? conf->psk : NULL);
	if (conf->keepalive != old->keepalive)
		wg_peer_set_persistent_keepalive(p->core, conf->keepalive);
	if (paths_changed) {
		/* The configured paths are new; learnt ones are relearnt
		 * from the next packet. */
		memset(p->cand, 0, sizeof(p->cand));
		for (unsigned int i = 0; i < WGD_MAX_PATHS; i++)
			wgd_path_health_reset(p, i);
		p->nb_cand = 0;
		p->active = -1;
		p->uplink_hint = -1;
		wgd_paths_init(p);
	}
	if (endpoint != NULL && endpoint->family != WG_AF_NONE) {
		p->uplink_hint = -1;
		/* The core calls back endpoint_changed, which republishes
		 * the paths, when the endpoint is new. */
		wg_peer_set_endpoint(p->core, endpoint);
	}
	wgd_peer_update_path(p, -1, NULL);
	wg_conf_peer_clear(old);
	free(old);
}

void
wgd_peers_remove(struct wgd_peer *const ps[], unsigned int n)
{
	unsigned int i;

	if (n == 0)
		return;
	/* Keys first: from here no packet of theirs is opened or sealed
	 * (workers find no keypair), and their queues are dropped. */
	for (i = 0; i < n; i++) {
		ps[i]->removing = true;
		wg_noise_handshake_clear(wgd.dev, &ps[i]->core->handshake);
		wg_noise_keypairs_clear(wgd.dev, ps[i]->core);
	}
	/* No worker holds them after this: drop what was raised for
	 * them, and free. */
	rte_rcu_qsbr_synchronize(wgd.qsbr, RTE_QSBR_THRID_INVALID);
	wgd_events_drain();
	for (i = 0; i < n; i++) {
		wg_peer_remove(ps[i]->core);
		ps[i]->core = NULL;
		peer_release(ps[i]);
		wgd.nb_peers--;
	}
}

int
wgd_peers_init(void)
{
	const struct wg_conf *conf = wgd.conf;
	struct wg_conf_peer *cp;
	unsigned int i;

	if (index_hash_create() != 0) {
		fprintf(stderr, "dpdk-wg: cannot create index hash: %s\n",
			rte_strerror(rte_errno));
		return -1;
	}
	wgd.nb_peer_slots = conf->npeers + SPARE_PEER_SLOTS;
	/* Cache-line aligned: each peer's lines that workers write. */
	wgd.peers = rte_zmalloc("wgd_peers", (wgd.nb_peer_slots + 1) *
				sizeof(*wgd.peers), RTE_CACHE_LINE_SIZE);
	if (wgd.peers == NULL)
		return -1;
	for (i = 0; i < conf->npeers; i++) {
		cp = malloc(sizeof(*cp));
		if (cp == NULL || wg_conf_peer_copy(cp, &conf->peers[i]) != 0 ||
		    peer_init(&wgd.peers[i + 1], cp, i + 1) != 0) {
			fprintf(stderr, "%s:%u: cannot create peer\n",
				wgd.conf_path, conf->peers[i].line);
			return -1;
		}
		wgd.nb_peers++;
	}
	if (allowedips_build() != 0)
		return -1;
	/* Keepalives go out once the hooks can send. */
	for (i = 1; i <= conf->npeers; i++)
		peer_start(&wgd.peers[i]);
	return 0;
}

void
wgd_peers_free(void)
{
	struct wgd_peer *p;

	/* The slots; wg_device_destroy() frees the core peers. */
	WGD_FOREACH_PEER(p)
		peer_release(p);
	wg_device_destroy(wgd.dev);
	wgd.dev = NULL;
	wg_allowedips_free(wgd.allowedips);
	rte_free(wgd.peers);
}
