/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry commands (/wg/...), for dpdk-telemetry.py and any other
 * client of the EAL's telemetry socket. doc/control-plane.md lists every
 * field.
 *
 * The callbacks run in DPDK's telemetry threads (one per client), not on
 * the control lcore: each one holds wgd.ctl_lock for as long as it reads
 * control state, which the control lcore holds for each turn of its loop.
 * Counters are the raw ones: "clear stats" on the prompt does not move
 * them, so that monitoring systems computing rates never see them drop.
 *
 * The telemetry library nests dicts in dicts but not dicts in arrays, and
 * its names take only letters, digits, '_' and '/': peers, uplinks, paths
 * and lcores are dicts keyed by their number, with names inside.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_lcore.h>
#include <rte_telemetry.h>

#include "wg_crypto.h"
#include "wgd.h"
#include "wgd_stats.h"

/* Loss estimates: each path's counters at the previous /wg/paths. */
static struct wgd_loss_mark (*loss_marks)[WGD_MAX_PATHS];

/* Take the control lock; fails once the daemon is stopping, as main()
 * then frees what we would read. */
static int
state_lock(void)
{
	pthread_mutex_lock(&wgd.ctl_lock);
	if (wgd.quit) {
		pthread_mutex_unlock(&wgd.ctl_lock);
		return -EBUSY;
	}
	return 0;
}

static void
state_unlock(void)
{
	pthread_mutex_unlock(&wgd.ctl_lock);
}

/* ---- containers ---- */

static struct rte_tel_data *
dict_new(void)
{
	struct rte_tel_data *d = rte_tel_data_alloc();

	if (d != NULL)
		rte_tel_data_start_dict(d);
	return d;
}

static struct rte_tel_data *
str_array_new(void)
{
	struct rte_tel_data *d = rte_tel_data_alloc();

	if (d != NULL)
		rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	return d;
}

/* Hand child to parent, which frees it with itself. */
static void
put(struct rte_tel_data *parent, const char *name, struct rte_tel_data *child)
{
	if (child != NULL &&
	    rte_tel_data_add_dict_container(parent, name, child, 0) != 0)
		rte_tel_data_free(child);
}

static void
put_indexed(struct rte_tel_data *parent, unsigned int i,
	    struct rte_tel_data *child)
{
	char name[16];

	snprintf(name, sizeof(name), "%u", i);
	put(parent, name, child);
}

static void
add_endpoint(struct rte_tel_data *d, const char *name,
	     const struct wg_endpoint *ep)
{
	char buf[WG_CONF_ENDPOINT_STRLEN] = "";

	if (ep->family != WG_AF_NONE)
		wg_conf_format_endpoint(ep, buf, sizeof(buf));
	rte_tel_data_add_dict_string(d, name, buf);
}

static struct rte_tel_data *
prefixes(const struct wg_conf_prefix *p, unsigned int n)
{
	struct rte_tel_data *a = str_array_new();
	char buf[WG_CONF_PREFIX_STRLEN];

	for (unsigned int i = 0; a != NULL && i < n; i++)
		if (wg_conf_format_prefix(&p[i], buf, sizeof(buf)) != NULL)
			rte_tel_data_add_array_string(a, buf);
	return a;
}

/* A peer by its base64 public key (params), or NULL. */
static struct wgd_peer *
peer_by_key(const char *params)
{
	uint8_t key[WG_KEY_LEN];
	char b64[64];
	struct wg_peer *core;
	size_t n;

	if (params == NULL)
		return NULL;
	while (*params == ' ')
		params++;
	n = strcspn(params, " \t\r\n");
	if (n == 0 || n >= sizeof(b64))
		return NULL;
	memcpy(b64, params, n);
	b64[n] = '\0';
	if (!wg_key_from_base64(key, b64))
		return NULL;
	core = wg_device_lookup_peer(wgd.dev, key);
	return core != NULL ? wgd_peer_of(core) : NULL;
}

/* ---- /wg/info ---- */

static struct rte_tel_data *
uplink_info(const struct wgd_uplink *up)
{
	const struct wg_conf_uplink *c = up->conf;
	struct rte_tel_data *d = dict_new();

	if (d == NULL)
		return NULL;
	rte_tel_data_add_dict_string(d, "name", c->name);
	rte_tel_data_add_dict_string(d, "port", c->port);
	rte_tel_data_add_dict_u64(d, "port_id", up->port_id);
	put(d, "addresses", prefixes(c->addrs, c->naddrs));
	rte_tel_data_add_dict_string(d, "link", up->link_down ? "down" : "up");
	rte_tel_data_add_dict_string(d, "admin",
				     up->admin_down ? "down" : "up");
	rte_tel_data_add_dict_u64(d, "priority", c->priority);
	rte_tel_data_add_dict_u64(d, "vlan", c->vlan);
	return d;
}

static int
tel_info(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct rte_tel_data *ups, *workers;
	char key[45] = "";

	(void)cmd;
	(void)params;
	if (state_lock() != 0)
		return -EBUSY;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "name", wgd.name);
	if (wgd.dev->has_identity)
		wg_key_to_base64(key, wgd.dev->static_public);
	rte_tel_data_add_dict_string(d, "public_key", key);
	rte_tel_data_add_dict_u64(d, "listen_port",
				  rte_be_to_cpu_16(wgd.listen_port_be));
	put(d, "addresses", prefixes(wgd.conf->addrs, wgd.conf->naddrs));
	rte_tel_data_add_dict_u64(d, "mtu", wgd.conf->mtu);
	rte_tel_data_add_dict_u64(d, "replay_window", wgd.dev->replay_window);
	rte_tel_data_add_dict_u64(d, "control_lcore", rte_get_main_lcore());
	rte_tel_data_add_dict_u64(d, "workers", wgd.nb_workers);
	workers = rte_tel_data_alloc();
	if (workers != NULL) {
		rte_tel_data_start_array(workers, RTE_TEL_U64_VAL);
		for (unsigned int i = 0; i < wgd.nb_workers; i++)
			rte_tel_data_add_array_u64(workers,
						   wgd.workers[i].lcore_id);
		put(d, "worker_lcores", workers);
	}
	ups = dict_new();
	for (unsigned int u = 0; ups != NULL && u < wgd.nb_uplinks; u++)
		put_indexed(ups, u, uplink_info(&wgd.uplinks[u]));
	put(d, "uplinks", ups);
	rte_tel_data_add_dict_string(d, "crypto_backend",
				     wgd.aead_driver->name);
	rte_tel_data_add_dict_string(d, "crypto_arch",
				     wgd.aead_driver->ctx_arch(wgd.ctrl_aead));
	rte_tel_data_add_dict_u64(d, "peer_count", wgd.nb_peers);
	state_unlock();
	return 0;
}

/* ---- /wg/peers ---- */

static int
tel_peers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct wgd_peer *p;
	char key[45];

	(void)cmd;
	(void)params;
	if (state_lock() != 0)
		return -EBUSY;
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	WGD_FOREACH_PEER(p) {
		wg_key_to_base64(key, p->core->public_key);
		rte_tel_data_add_array_string(d, key);
	}
	state_unlock();
	return 0;
}

/* ---- /wg/peer,KEY ---- */

static struct rte_tel_data *
path_brief(const struct wgd_peer *p, const struct wgd_pathset *ps,
	   unsigned int i)
{
	const struct wgd_path *path = &ps->path[i];
	struct rte_tel_data *d = dict_new();

	if (d == NULL)
		return NULL;
	rte_tel_data_add_dict_string(d, "uplink",
				     wgd.uplinks[path->uplink].conf->name);
	add_endpoint(d, "local", &path->net.src);
	add_endpoint(d, "remote", &path->net.dst);
	rte_tel_data_add_dict_int(d, "learnt", path->learnt);
	rte_tel_data_add_dict_string(d, "state", wgd_path_state(p, ps, i));
	return d;
}

/* The paths data goes out on (several with Redundancy = duplicate). */
static struct rte_tel_data *
active_paths(const struct wgd_pathset *ps)
{
	struct rte_tel_data *a = rte_tel_data_alloc();

	if (a == NULL)
		return NULL;
	rte_tel_data_start_array(a, RTE_TEL_U64_VAL);
	for (unsigned int t = 0; ps != NULL && t < ps->nb_tx; t++)
		rte_tel_data_add_array_u64(a, ps->tx[t]);
	return a;
}

static struct rte_tel_data *
peer_endpoints(const struct wg_conf_peer *cp)
{
	struct rte_tel_data *a = str_array_new();
	char buf[WG_CONF_ENDPOINT_STRLEN];

	for (unsigned int i = 0; a != NULL && i < cp->nendpoints; i++)
		if (wg_conf_format_endpoint(&cp->endpoints[i], buf,
					    sizeof(buf)) != NULL)
			rte_tel_data_add_array_string(a, buf);
	return a;
}

static struct rte_tel_data *
peer_uplinks(const struct wg_conf_peer *cp)
{
	struct rte_tel_data *a = str_array_new();

	for (unsigned int i = 0; a != NULL && i < cp->nuplinks; i++)
		rte_tel_data_add_array_string(a,
				wgd.uplinks[cp->uplinks[i]].conf->name);
	return a;
}

static void
peer_info(struct rte_tel_data *d, const struct wgd_peer *p)
{
	const struct wg_conf_peer *cp = p->conf;
	const struct wg_peer *core = p->core;
	const struct wgd_pathset *ps = atomic_load(&p->paths);
	uint64_t rx, tx, hs = core->last_handshake_realtime;
	struct rte_tel_data *paths;
	char key[45];
	int age = -1;

	wg_key_to_base64(key, core->public_key);
	rte_tel_data_add_dict_u64(d, "id", p->id);
	rte_tel_data_add_dict_string(d, "public_key", key);
	/* Whether there is one, as wg show says: never the key. */
	rte_tel_data_add_dict_string(d, "preshared_key",
				     cp->has_psk ? "(hidden)" : "(none)");
	add_endpoint(d, "endpoint", &core->endpoint);
	put(d, "endpoints", peer_endpoints(cp));
	put(d, "uplinks", peer_uplinks(cp));
	rte_tel_data_add_dict_string(d, "redundancy",
				     wg_conf_redundancy_name(cp->redundancy));
	rte_tel_data_add_dict_u64(d, "keepalive_s",
				  core->persistent_keepalive_interval);
	put(d, "allowed_ips", prefixes(cp->allowed_ips, cp->nallowed));
	rte_tel_data_add_dict_u64(d, "last_handshake_ns", hs);
	if (hs != 0) {
		uint64_t now = wgd.clock->realtime_ns(wgd.clock->arg);

		age = now > hs ? (int)((now - hs) / WG_NS_PER_SEC) : 0;
	}
	rte_tel_data_add_dict_int(d, "last_handshake_age_s", age);
	wgd_peer_bytes_get(p, &rx, &tx, false);
	rte_tel_data_add_dict_u64(d, "rx_bytes", rx);
	rte_tel_data_add_dict_u64(d, "tx_bytes", tx);
	rte_tel_data_add_dict_u64(d, "staged", rte_ring_count(p->staged));
	put(d, "active_paths", active_paths(ps));
	paths = dict_new();
	for (unsigned int i = 0; paths != NULL && ps != NULL &&
	     i < ps->nb_paths; i++)
		put_indexed(paths, i, path_brief(p, ps, i));
	put(d, "paths", paths);
}

static int
tel_peer(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct wgd_peer *p;

	(void)cmd;
	if (state_lock() != 0)
		return -EBUSY;
	p = peer_by_key(params);
	if (p == NULL) {
		state_unlock();
		return -EINVAL;
	}
	rte_tel_data_start_dict(d);
	peer_info(d, p);
	state_unlock();
	return 0;
}

/* ---- /wg/paths[,KEY] ---- */

static struct wgd_loss_mark *
loss_mark(const struct wgd_peer *p, unsigned int i)
{
	if (loss_marks == NULL)
		loss_marks = calloc(wgd.nb_peer_slots + 1, sizeof(*loss_marks));
	return loss_marks != NULL ? &loss_marks[p - wgd.peers][i] : NULL;
}

static struct rte_tel_data *
path_full(const struct wgd_peer *p, const struct wgd_pathset *ps,
	  unsigned int i)
{
	struct rte_tel_data *d = path_brief(p, ps, i);
	struct wgd_loss_mark *mark = loss_mark(p, i);
	struct wgd_path_stats st;

	if (d == NULL)
		return NULL;
	wgd_path_stats_get(p, i, &st, false);
	rte_tel_data_add_dict_u64(d, "tx_pkts", st.tx_pkts);
	rte_tel_data_add_dict_u64(d, "tx_bytes", st.tx_bytes);
	rte_tel_data_add_dict_u64(d, "tx_data_pkts", st.tx_data);
	rte_tel_data_add_dict_u64(d, "rx_pkts", st.rx_pkts);
	rte_tel_data_add_dict_u64(d, "rx_bytes", st.rx_bytes);
	rte_tel_data_add_dict_u64(d, "first_pkts", st.first);
	rte_tel_data_add_dict_u64(d, "dup_pkts", st.dup);
	rte_tel_data_add_dict_u64(d, "too_old_pkts", st.too_old);
	rte_tel_data_add_dict_u64(d, "max_counter", st.max_counter);
	rte_tel_data_add_dict_int(d, "loss_ppm",
				  mark != NULL ? wgd_path_loss_ppm(mark, &st) : -1);
	rte_tel_data_add_dict_u64(d, "lag_ns", wgd_path_lag_ns(&st));
	return d;
}

static struct rte_tel_data *
peer_paths(const struct wgd_peer *p)
{
	const struct wgd_pathset *ps = atomic_load(&p->paths);
	struct rte_tel_data *d = dict_new(), *paths;
	char key[45];

	if (d == NULL)
		return NULL;
	wg_key_to_base64(key, p->core->public_key);
	rte_tel_data_add_dict_string(d, "public_key", key);
	rte_tel_data_add_dict_string(d, "redundancy",
				     wg_conf_redundancy_name(p->conf->redundancy));
	put(d, "active_paths", active_paths(ps));
	paths = dict_new();
	for (unsigned int i = 0; paths != NULL && ps != NULL &&
	     i < ps->nb_paths; i++)
		put_indexed(paths, i, path_full(p, ps, i));
	put(d, "paths", paths);
	return d;
}

static int
tel_paths(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct wgd_peer *p, *only = NULL;

	(void)cmd;
	if (state_lock() != 0)
		return -EBUSY;
	if (params != NULL && *params != '\0') {
		only = peer_by_key(params);
		if (only == NULL) {
			state_unlock();
			return -EINVAL;
		}
	}
	rte_tel_data_start_dict(d);
	WGD_FOREACH_PEER(p)
		if (only == NULL || p == only)
			put_indexed(d, p->id, peer_paths(p));
	state_unlock();
	return 0;
}

/* ---- /wg/stats ---- */

static void
add_counters(struct rte_tel_data *d, const struct wgd_lcore_stats *st)
{
	rte_tel_data_add_dict_u64(d, "uplink_rx_pkts", st->uplink_rx_pkts);
	rte_tel_data_add_dict_u64(d, "uplink_rx_bytes", st->uplink_rx_bytes);
	rte_tel_data_add_dict_u64(d, "uplink_tx_pkts", st->uplink_tx_pkts);
	rte_tel_data_add_dict_u64(d, "uplink_tx_bytes", st->uplink_tx_bytes);
	rte_tel_data_add_dict_u64(d, "tun_rx_pkts", st->tun_rx_pkts);
	rte_tel_data_add_dict_u64(d, "tun_tx_pkts", st->tun_tx_pkts);
	rte_tel_data_add_dict_u64(d, "decrypted_pkts", st->decrypted);
	rte_tel_data_add_dict_u64(d, "encrypted_pkts", st->encrypted);
	rte_tel_data_add_dict_u64(d, "crypto_batches", st->crypto_batches);
	rte_tel_data_add_dict_u64(d, "spread_out_pkts", st->spread_out);
	rte_tel_data_add_dict_u64(d, "spread_in_pkts", st->spread_in);
}

/* Drops by reason; with dev, the device's handshake drops added (they
 * happen on the control lcore); all: zeros too (the totals). */
static struct rte_tel_data *
drops(const struct wgd_lcore_stats *st, bool dev, bool all)
{
	struct rte_tel_data *d = dict_new();
	uint64_t total = 0;

	for (unsigned int i = 1; d != NULL && i < WGD_DROP_MAX; i++) {
		uint64_t n = st->drops[i];

		if (dev && i < WG_DROP_REASON_MAX)
			n += wgd_dev_drops_get(i, false);
		total += n;
		if (n != 0 || all)
			rte_tel_data_add_dict_u64(d, wgd_drop_name(i), n);
	}
	if (d != NULL)
		rte_tel_data_add_dict_u64(d, "total", total);
	return d;
}

static struct rte_tel_data *
lcore_stats(unsigned int l, struct wgd_lcore_stats *st)
{
	bool ctrl = l == wgd.nb_workers;
	struct rte_tel_data *d = dict_new();

	wgd_lcore_stats_get(l, st, false);
	if (d == NULL)
		return NULL;
	rte_tel_data_add_dict_string(d, "role", ctrl ? "control" : "worker");
	add_counters(d, st);
	put(d, "drops", drops(st, ctrl, false));
	return d;
}

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct wgd_lcore_stats st, sum;
	struct rte_tel_data *lcores, *total;

	(void)cmd;
	(void)params;
	if (state_lock() != 0)
		return -EBUSY;
	rte_tel_data_start_dict(d);
	memset(&sum, 0, sizeof(sum));
	lcores = dict_new();
	for (unsigned int l = 0; l <= wgd.nb_workers; l++) {
		unsigned int id = l < wgd.nb_workers ?
				  wgd.workers[l].lcore_id : rte_get_main_lcore();
		struct rte_tel_data *one = lcore_stats(l, &st);

		if (lcores != NULL)
			put_indexed(lcores, id, one);
		else
			rte_tel_data_free(one);
		wgd_stats_add(&sum, &st);
	}
	put(d, "lcores", lcores);
	total = dict_new();
	if (total != NULL) {
		add_counters(total, &sum);
		put(total, "drops", drops(&sum, true, true));
		put(d, "total", total);
	}
	state_unlock();
	return 0;
}

int
wgd_telemetry_init(void)
{
	static const struct {
		const char *cmd;
		telemetry_cb fn;
		const char *help;
	} cmds[] = {
		{ "/wg/info", tel_info,
		  "dpdk-wg interface: name, public key, port, uplinks, workers. No parameters" },
		{ "/wg/peers", tel_peers,
		  "Public keys of the peers. No parameters" },
		{ "/wg/peer", tel_peer,
		  "One peer: endpoint, paths, allowed IPs, handshake, bytes. Parameter: base64 public key" },
		{ "/wg/paths", tel_paths,
		  "Per-peer, per-path state and counters. Parameter (optional): base64 public key" },
		{ "/wg/stats", tel_stats,
		  "Per-lcore and total packet, byte, drop and crypto counters. No parameters" },
	};

	for (unsigned int i = 0; i < RTE_DIM(cmds); i++)
		if (rte_telemetry_register_cmd(cmds[i].cmd, cmds[i].fn,
					       cmds[i].help) != 0) {
			fprintf(stderr, "dpdk-wg: cannot register telemetry command %s\n",
				cmds[i].cmd);
			return -1;
		}
	return 0;
}
