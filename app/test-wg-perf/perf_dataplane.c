/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test-wg-perf --dataplane: dpdk-wg's own data path on one lcore, with no
 * I/O cost. The uplinks and the TUN interface are net_null ports (TX
 * frees the mbufs), and the daemon is set up as main.c does it, from a
 * generated configuration: the real wgd_ports_init(), wgd_control_init(),
 * wgd_neigh_init() (static neighbours: every path resolves at once) and
 * wgd_peers_init() (peers, receiver-index hash, AllowedIPs, path sets).
 * Only the handshake is skipped: each peer gets a keypair made directly
 * (wg_keypair_alloc() and random keys), indexed through the daemon's own
 * index_update hook and published as the peer's current keypair.
 *
 * encap: inner IPv4/UDP packets in mbufs fresh from the pool (as TUN RX
 * gives them), bursts of 32 spread over the peers in turn; what the
 * worker's tun_rx() does (whole-IP-header check, AllowedIPs lookup by
 * destination: reproduced below, it is static in wgd_worker.c) and then
 * the real wgd_tx_burst(): pad, seal in one batch, outer headers
 * (prebuilt per path: wg_net_encap_hdr), a copy per extra path
 * (wgd_send_sealed), TX bursts.
 * Copies are measured both ways wgd_tx.c makes them (--tx-copies): a
 * header mbuf chained to an indirect clone (uplink tx_multi_seg) and
 * rte_pktmbuf_copy(); net_null does not advertise MULTI_SEGS, so the
 * daemon itself would copy there ("auto").
 *
 * decap: frames sealed by the "peer" (outside the timed part) with outer
 * headers for each path, one copy per path as duplicate mode delivers
 * them; the worker's uplink_rx() sequence, reproduced from wgd_worker.c
 * (static there): wg_net_parse(), our address and port, wg_msg_classify(),
 * the receiver-index lookup (the real rte_hash, in bulk), one open batch, the replay
 * window, per-path accounting, AllowedIPs by source, TX to the TUN port.
 *
 * The timed part of a burst is the data path alone; mbuf allocation and
 * filling (encap) or sealing the peer's frames (decap) are outside it.
 * Before measuring, one burst of each variant is checked end to end
 * (encap: frames parsed and opened with the peer's key; decap: the inner
 * packets compared), and after each run the number of packets is checked
 * against the daemon's own counters (encrypted, sent, decrypted, drops).
 *
 * --workers N,...: the same on N worker lcores at once, each with its own
 * queues and share of the peers, or all sharing fewer peers than workers
 * (one large peer); see "several workers" below.
 */

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_udp.h>
#include <sodium.h>

#include "wg_aead.h"
#ifdef WG_AEAD_HAVE_IPSEC_MB
#include "wg_aead_ipsec_mb.h"
#endif
#include "wg_allowedips.h"
#include "wgd.h"
#include "wgd_neigh.h"
#include "wgd_port.h"

#include "test_wg_perf.h"

/* The daemon's state: main.c defines it in dpdk-wg, we do here. */
struct wgd wgd;

#define DP_LISTEN_PORT 51820
#define DP_MTU 1420
#define DP_MAX_PEERS 2000      /* one staged ring (memzone) each */
#define DP_INNER_MIN 28        /* IPv4 + UDP headers */
#define DP_HUGE_MIN_MB 192     /* use hugepages when this much is free */

static const uint32_t dp_default_sizes[] = { 64, 512, 1420 };

#define DP_MAX_VARIANTS (PERF_MAX_LIST * 3)

/* What one column of a side-by-side comparison runs: k paths, and for
 * encap with k > 1, how the copies are made (PERF_TX_*). */
struct dp_variant {
	unsigned int k;
	unsigned int tx;
};

/* A group of peers measured together: ids first .. first + n - 1. */
struct dp_set {
	uint32_t first;
	uint32_t n;
};

struct dp {
	const struct perf_opts *o;
	uint32_t sizes[PERF_MAX_SIZES];
	unsigned int nb_sizes;
	unsigned int burst;
	unsigned int nb_uplinks;
	struct dp_set sets[PERF_MAX_LIST];
	uint32_t nb_peers;
	uint8_t *tmpl;                  /* inner IPv4/UDP packet, DP_MTU */
	struct wg_aead_ctx *gen_aead;   /* the peers' side (decap) */
	/* --workers: worker i on lcore wgd.workers[i].lcore_id, each with
	 * its own queues and its own sealing context for the peers' side;
	 * nb_workers is 1 without --workers (gen_aead_w[0] == gen_aead). */
	bool multi;
	unsigned int nb_workers;
	struct wg_aead_ctx *gen_aead_w[WGD_MAX_WORKERS];
	uint64_t set_base[PERF_MAX_LIST];   /* decap: next unused counter */
	unsigned int ncpus;                 /* CPUs the lcores run on */
	char lcores[256];                   /* EAL --lcores, or "" */
	uint64_t *gen_counter;          /* [peer id] */
	uint32_t cur_set;               /* the set and path count last */
	unsigned int cur_paths;         /* published (dp_use) */
	bool port_multi_seg[WGD_MAX_UPLINKS];  /* the daemon's own choice */
	char notes[1024];               /* self-check findings, at the end */
	struct dp_variant var[2][DP_MAX_VARIANTS];  /* [decap] */
	unsigned int nb_var[2];
	uint64_t tsc_hz;
	bool huge;
};

/* One run of one cell. */
struct dp_sample {
	double mpps;        /* data path only */
	double loop_mpps;   /* with allocation and filling (encap) */
};

/* ---- addresses of the generated configuration ----------------------- */

static void
dp_peer_inner(uint32_t id, uint8_t a[4])
{
	a[0] = 10;
	a[1] = (uint8_t)(1 + id / 256);
	a[2] = (uint8_t)(id % 256);
	a[3] = 2;
}

static const uint8_t dp_host_inner[4] = { 10, 255, 0, 1 };

static void
dp_gw_mac(unsigned int u, uint8_t mac[6])
{
	const uint8_t m[6] = { 0x02, 0, 0, 0, (uint8_t)u, 0xfe };

	memcpy(mac, m, 6);
}

/* ---- configuration --------------------------------------------------- */

static int
dp_key_b64(char out[45], uint8_t pub[32])
{
	uint8_t priv[32];

	randombytes_buf(priv, sizeof(priv));
	if (pub != NULL) {
		if (crypto_scalarmult_base(pub, priv) != 0)
			return -1;
		sodium_bin2base64(out, 45, pub, 32,
				  sodium_base64_VARIANT_ORIGINAL);
	} else {
		sodium_bin2base64(out, 45, priv, 32,
				  sodium_base64_VARIANT_ORIGINAL);
	}
	sodium_memzero(priv, sizeof(priv));
	return 0;
}

/*
 * [Interface], one [Uplink] per net_null port (a gateway with a static
 * neighbour entry, so paths resolve without ARP), and nb_peers peers on
 * every uplink with one endpoint behind the gateways, duplicate mode.
 */
static char *
dp_config(unsigned int nb_uplinks, uint32_t nb_peers)
{
	size_t cap = 4096 + (size_t)nb_peers * 256 + nb_uplinks * 256, len;
	char *s = malloc(cap), key[45];
	uint8_t pub[32];
	unsigned int u;
	uint32_t id;

	if (s == NULL || dp_key_b64(key, NULL) != 0) {
		free(s);
		return NULL;
	}
	len = (size_t)snprintf(s, cap,
			       "[Interface]\nPrivateKey = %s\nListenPort = %u\n"
			       "Address = 10.255.0.1/16\nMTU = %u\n",
			       key, DP_LISTEN_PORT, DP_MTU);
	for (u = 0; u < nb_uplinks; u++)
		len += (size_t)snprintf(s + len, cap - len,
			"[Uplink]\nName = up%u\nPort = net_null%u\n"
			"Address = 100.64.%u.1/24\nGateway = 100.64.%u.254\n"
			"Neighbor = 100.64.%u.254 02:00:00:00:%02x:fe\n",
			u, u, u, u, u, u);
	for (id = 1; id <= nb_peers; id++) {
		if (dp_key_b64(key, pub) != 0) {
			free(s);
			return NULL;
		}
		len += (size_t)snprintf(s + len, cap - len,
			"[Peer]\nPublicKey = %s\n"
			"AllowedIPs = 10.%u.%u.0/24\n"
			"Endpoint = 198.18.%u.%u:%u\nRedundancy = duplicate\n",
			key, 1 + id / 256, id % 256, id / 256, id % 256,
			DP_LISTEN_PORT);
	}
	return s;
}

/* ---- EAL --------------------------------------------------------------- */

static bool
dp_hugepages_free(void)
{
	unsigned long free_pages = 0, page_kb = 0;
	char line[256];
	FILE *f = fopen("/proc/meminfo", "r");

	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL) {
		sscanf(line, "HugePages_Free: %lu", &free_pages);
		sscanf(line, "Hugepagesize: %lu kB", &page_kb);
	}
	fclose(f);
	return free_pages * page_kb / 1024 >= DP_HUGE_MIN_MB;
}

#define DP_MAX_EAL_ARGS 64

static int
dp_eal_init(struct dp *d, int core)
{
	static char bufs[16][48];
	char *argv[DP_MAX_EAL_ARGS];
	const struct perf_opts *o = d->o;
	int argc = 0, b = 0, i, ret;

	argv[argc++] = (char *)(uintptr_t)o->prog;
	if (d->multi) {
		if (d->lcores[0] != '\0') {
			argv[argc++] = "--lcores";
			argv[argc++] = d->lcores;
		}
	} else {
		snprintf(bufs[b], sizeof(bufs[b]), "%d", core);
		argv[argc++] = "-l";
		argv[argc++] = bufs[b++];
	}
	argv[argc++] = "--no-pci";
	argv[argc++] = "--no-telemetry";
	for (unsigned int u = 0; u <= d->nb_uplinks; u++) {
		snprintf(bufs[b], sizeof(bufs[b]), "--vdev=net_null%u", u);
		argv[argc++] = bufs[b++];
	}
	if (o->extra_argc == 0) {
		/* No files left behind and no clash with other DPDK
		 * processes: --in-memory, or without hugepages (where EAL
		 * refuses --in-memory) no shared config. */
		argv[argc++] = "--log-level=lib.eal:error";
		d->huge = dp_hugepages_free();
		if (d->huge) {
			argv[argc++] = "--in-memory";
		} else {
			argv[argc++] = "--no-huge";
			argv[argc++] = "-m";
			argv[argc++] = "512";
			argv[argc++] = "--no-shconf";
		}
	} else {
		d->huge = true;
		for (i = 0; i < o->extra_argc; i++) {
			if (argc == DP_MAX_EAL_ARGS - 1)
				return -E2BIG;
			if (strcmp(o->extra_argv[i], "--no-huge") == 0)
				d->huge = false;
			argv[argc++] = o->extra_argv[i];
		}
	}
	argv[argc] = NULL;
	printf("# EAL:");
	for (i = 1; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");
	fflush(stdout);
	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "cannot initialise EAL: %s\n",
			rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

/* ---- the daemon, as main.c sets it up ---------------------------------- */

static int
dp_aead(struct dp *d)
{
	const char *name = d->o->drivers;
	char drv_name[32] = "";
	const char *arch = NULL, *slash;
	const struct wg_aead_driver *drv;

	if (name != NULL) {
		if (strchr(name, ',') != NULL) {
			fprintf(stderr, "--dataplane: --driver takes one backend\n");
			return -1;
		}
		slash = strchr(name, '/');
		snprintf(drv_name, sizeof(drv_name), "%.*s",
			 (int)(slash != NULL ? (size_t)(slash - name) :
			       strlen(name)), name);
		arch = slash != NULL ? slash + 1 : NULL;
	}
	drv = wg_aead_driver_find(drv_name[0] != '\0' ? drv_name : NULL);
	if (drv == NULL || !drv->probe()) {
		fprintf(stderr, "--dataplane: no usable crypto backend\n");
		return -1;
	}
	wgd.aead_driver = drv;
	for (unsigned int i = 0; i < d->nb_workers; i++) {
		if (arch != NULL) {
#ifdef WG_AEAD_HAVE_IPSEC_MB
			if (strcmp(drv->name, "ipsec_mb") == 0) {
				wgd.workers[i].aead =
					wg_aead_ipsec_mb_ctx_create_arch(arch);
				d->gen_aead_w[i] =
					wg_aead_ipsec_mb_ctx_create_arch(arch);
			}
#endif
		} else {
			wgd.workers[i].aead = drv->ctx_create();
			d->gen_aead_w[i] = drv->ctx_create();
		}
		if (wgd.workers[i].aead == NULL || d->gen_aead_w[i] == NULL)
			break;
	}
	d->gen_aead = d->gen_aead_w[0];
	wgd.ctrl_aead = drv->ctx_create();
	if (wgd.workers[d->nb_workers - 1].aead == NULL ||
	    d->gen_aead_w[d->nb_workers - 1] == NULL ||
	    wgd.ctrl_aead == NULL) {
		fprintf(stderr, "--dataplane: cannot create crypto context "
			"for %s\n", name != NULL ? name : drv->name);
		return -1;
	}
	return 0;
}

/* A keypair made directly, as wg_noise_begin_session() would leave it
 * (we are the responder: no time-based rekey from the data path). */
static int
dp_keypair(struct wgd_peer *p)
{
	struct wg_keypair *kp = wg_keypair_alloc(wgd.dev);

	if (kp == NULL)
		return -1;
	kp->entry.peer = p->core;
	randombytes_buf(kp->send_key, sizeof(kp->send_key));
	randombytes_buf(kp->recv_key, sizeof(kp->recv_key));
	kp->remote_index = randombytes_random();
	wg_keypair_set_birthdate(kp, wgd_now());
	kp->i_am_initiator = false;
	atomic_store(&kp->send_counter, 0);
	atomic_store(&kp->sending_valid, true);
	atomic_store(&kp->receiving_valid, true);
	if (wg_index_add(wgd.dev, &kp->entry) == 0) {
		wg_keypair_free(kp);
		return -1;
	}
	/* The daemon's own hook puts it in the receiver-index hash. */
	wgd.dev->ops.index_update(wgd.dev->ops_arg, kp->entry.index, kp);
	atomic_store(&p->core->keypairs.current, kp);
	return 0;
}

static uint16_t dp_capture_cb(uint16_t port, uint16_t queue,
			      struct rte_mbuf **pkts, uint16_t n, void *arg);
static uint16_t dp_capq_cb(uint16_t port, uint16_t queue,
			   struct rte_mbuf **pkts, uint16_t n, void *arg);
static void *dp_tun_capq(unsigned int q);

static int
dp_setup(struct dp *d)
{
	char err[512], *text;
	uint32_t id;

	wgd.clock = &wg_clock_system;
	wgd.clock_scale = 1.0;
	wgd.name = "wgperf";
	wgd.conf_path = "(test-wg-perf)";
	wgd.nb_workers = d->nb_workers;
	if (!d->multi) {
		wgd.workers[0].lcore_id = rte_lcore_id();
	} else {
		/* Worker 0 on the main lcore, the others in lcore order. */
		unsigned int lcore, i = 1;

		wgd.workers[0].lcore_id = rte_get_main_lcore();
		RTE_LCORE_FOREACH_WORKER(lcore) {
			if (i == d->nb_workers)
				break;
			wgd.workers[i++].lcore_id = lcore;
		}
	}
	for (unsigned int i = 0; i < d->nb_workers; i++) {
		wgd.workers[i].index = i;
		wgd.workers[i].txq = (uint16_t)i;
	}
	if (dp_aead(d) != 0)
		return -1;
	text = dp_config(d->nb_uplinks, d->nb_peers);
	if (text == NULL)
		return -1;
	if (wg_conf_parse_string(wgd.conf_path, text, &wgd.conf, err,
				 sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		free(text);
		return -1;
	}
	sodium_memzero(text, strlen(text));
	free(text);
	wgd.listen_port_be = rte_cpu_to_be_16(wgd.conf->listen_port);

	if (wgd_ports_init() != 0)
		return -1;
	/* The TUN interface: one more net_null port instead of net_tun,
	 * with a queue per worker. */
	{
		char name[32];
		uint16_t nq = (uint16_t)d->nb_workers;
		bool ok;

		snprintf(name, sizeof(name), "net_null%u", d->nb_uplinks);
		ok = rte_eth_dev_get_port_by_name(name, &wgd.tun_port) == 0 &&
		     wgd_port_setup(wgd.tun_port, nq, nq, NULL, NULL) == 0;
		for (uint16_t q = 0; ok && q < nq; q++)
			ok = rte_eth_add_tx_callback(wgd.tun_port, q,
					d->multi ? dp_capq_cb : dp_capture_cb,
					d->multi ? dp_tun_capq(q) : NULL) != NULL;
		if (!ok) {
			fprintf(stderr, "cannot start %s as the TUN port\n",
				name);
			return -1;
		}
	}
	wgd.spread = d->o->spread;
	if (wgd_control_init() != 0 || wgd_neigh_init() != 0 ||
	    wgd_peers_init() != 0 || wgd_spread_init() != 0)
		return -1;
	for (id = 1; id <= wgd.nb_peers; id++) {
		const struct wgd_pathset *ps;

		if (dp_keypair(&wgd.peers[id]) != 0) {
			fprintf(stderr, "cannot create keypair\n");
			return -1;
		}
		ps = atomic_load(&wgd.peers[id].paths);
		if (ps == NULL || ps->nb_tx != d->nb_uplinks) {
			fprintf(stderr, "peer %u: %u of %u paths resolved\n",
				id, ps != NULL ? ps->nb_tx : 0, d->nb_uplinks);
			return -1;
		}
	}
	for (unsigned int u = 0; u < wgd.nb_uplinks; u++)
		d->port_multi_seg[u] = wgd.uplinks[u].tx_multi_seg;
	d->gen_counter = calloc(wgd.nb_peers + 1, sizeof(*d->gen_counter));
	return d->gen_counter != NULL ? 0 : -1;
}

static void
dp_teardown(struct dp *d)
{
	wgd_spread_free();
	wgd_peers_free();
	wgd_neigh_free();
	wgd_ports_close();
	if (wgd.aead_driver != NULL) {
		for (unsigned int i = 0; i < d->nb_workers; i++) {
			if (wgd.workers[i].aead != NULL)
				wgd.aead_driver->ctx_free(wgd.workers[i].aead);
			if (d->gen_aead_w[i] != NULL)
				wgd.aead_driver->ctx_free(d->gen_aead_w[i]);
		}
		if (wgd.ctrl_aead != NULL)
			wgd.aead_driver->ctx_free(wgd.ctrl_aead);
	}
	wg_conf_free(wgd.conf);
	free(d->gen_counter);
	free(d->tmpl);
	rte_eal_cleanup();
}

/*
 * Give every peer of a set k paths (its first k uplinks), as the control
 * lcore would after a configuration change: the real wgd_paths_init()
 * and wgd_peer_update_path() build and publish the new path sets.
 */
static int
dp_set_paths(struct dp *d, uint32_t set_idx, unsigned int k)
{
	const struct dp_set *set = &d->sets[set_idx];

	for (uint32_t id = set->first; id < set->first + set->n; id++) {
		struct wgd_peer *p = &wgd.peers[id];
		const struct wgd_pathset *ps;

		p->conf->nuplinks = k;
		memset(p->cand, 0, sizeof(p->cand));
		p->nb_cand = 0;
		wgd_paths_init(p);
		wgd_peer_update_path(p, -1, NULL);
		ps = atomic_load(&p->paths);
		if (ps == NULL || ps->nb_tx != k) {
			fprintf(stderr, "peer %u: %u paths, want %u\n", id,
				ps != NULL ? ps->nb_tx : 0, k);
			return -1;
		}
	}
	return 0;
}

/* ---- the worker's code -------------------------------------------------
 * The daemon's own wgd_uplink_rx() and wgd_tun_rx(). For the decap
 * self-check, a TX callback on the TUN port keeps what it is given
 * (an extra reference, so net_null's free leaves it alive). */

static struct rte_mbuf **dp_capture;
static unsigned int dp_ncapture;

static uint16_t
dp_capture_cb(uint16_t port, uint16_t queue, struct rte_mbuf **pkts,
	      uint16_t n, void *arg)
{
	(void)port;
	(void)queue;
	(void)arg;
	if (dp_capture != NULL) {
		for (uint16_t i = 0; i < n; i++) {
			rte_mbuf_refcnt_update(pkts[i], 1);
			dp_capture[dp_ncapture++] = pkts[i];
		}
	}
	return n;
}

/* ---- packets ----------------------------------------------------------- */

/* An inner IPv4/UDP packet of DP_MTU bytes; lengths are set per use. */
static int
dp_template(struct dp *d)
{
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;

	d->tmpl = calloc(1, DP_MTU);
	if (d->tmpl == NULL)
		return -ENOMEM;
	ip = (struct rte_ipv4_hdr *)d->tmpl;
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	udp = (struct rte_udp_hdr *)(ip + 1);
	udp->src_port = rte_cpu_to_be_16(5001);
	udp->dst_port = rte_cpu_to_be_16(5001);
	for (unsigned int i = DP_INNER_MIN; i < DP_MTU; i++)
		d->tmpl[i] = (uint8_t)i;
	return 0;
}

/* Write the inner packet of len bytes from src to dst at p. */
static void
dp_inner(const struct dp *d, uint8_t *p, uint32_t len, const uint8_t src[4],
	 const uint8_t dst[4])
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	rte_memcpy(p, d->tmpl, len);
	ip->total_length = rte_cpu_to_be_16((uint16_t)len);
	memcpy(&ip->src_addr, src, 4);
	memcpy(&ip->dst_addr, dst, 4);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(len - 20));
}

static uint32_t
dp_next_peer(const struct dp_set *set, uint64_t *rr)
{
	return set->first + (uint32_t)((*rr)++ % set->n);
}

/* Inner packets for the TUN side, fresh from the pool. */
static int
dp_encap_fill(const struct dp *d, const struct dp_set *set, uint32_t len,
	      struct rte_mbuf **m, unsigned int n, uint64_t *rr)
{
	uint8_t dst[4];

	if (rte_pktmbuf_alloc_bulk(wgd.pool, m, n) != 0)
		return -ENOMEM;
	for (unsigned int i = 0; i < n; i++) {
		uint8_t *p = (uint8_t *)rte_pktmbuf_append(m[i], (uint16_t)len);

		dp_peer_inner(dp_next_peer(set, rr), dst);
		dp_inner(d, p, len, dp_host_inner, dst);
		m[i]->port = wgd.tun_port;
	}
	return 0;
}

/* The way from peer id to us over uplink u (what its frames carry). */
static void
dp_rx_path(uint32_t id, unsigned int u, struct wg_net_path *path)
{
	const struct wgd_uplink *up = &wgd.uplinks[u];

	memset(path, 0, sizeof(*path));
	dp_gw_mac(u, path->src_mac);
	memcpy(path->dst_mac, up->mac.addr_bytes, RTE_ETHER_ADDR_LEN);
	path->src = wgd.conf->peers[id - 1].endpoints[0];
	path->dst.family = WG_AF_INET;
	path->dst.port = wgd.listen_port_be;
	memcpy(path->dst.addr.v4, up->addr4, 4);
}

/*
 * What k uplinks receive from the peers for n inner packets: sealed once
 * by the peer under its send key (our recv_key), one frame per path
 * (duplicate mode), frames[c] for uplink c.
 */
static int
dp_decap_fill(struct dp *d, const struct dp_set *set, uint32_t len,
	      unsigned int k, struct rte_mbuf *frames[][WGD_BURST],
	      unsigned int n, uint64_t *rr)
{
	uint32_t padded = wg_data_padded_len(len, wgd.conf->mtu);
	struct wg_aead_op ops[WGD_BURST];
	uint32_t ids[WGD_BURST];
	struct wg_net_path path;
	uint8_t src[4];
	unsigned int i, c;

	if (rte_pktmbuf_alloc_bulk(wgd.pool, frames[0], n) != 0)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		uint32_t id = dp_next_peer(set, rr);
		const struct wg_keypair *kp =
			atomic_load(&wgd.peers[id].core->keypairs.current);
		struct wg_msg_data *hdr = (struct wg_msg_data *)
			rte_pktmbuf_append(frames[0][i], (uint16_t)
				(WG_MSG_DATA_HEADER_LEN + padded +
				 WG_AEAD_TAG_LEN));
		uint64_t counter = d->gen_counter[id]++;

		ids[i] = id;
		hdr->header.type = wg_le32(WG_MSG_DATA);
		hdr->receiver_index = kp->entry.index;
		hdr->counter = wg_le64(counter);
		dp_peer_inner(id, src);
		dp_inner(d, hdr->encrypted_data, len, src, dp_host_inner);
		memset(hdr->encrypted_data + len, 0, padded - len);
		ops[i] = (struct wg_aead_op){
			.key = kp->recv_key,
			.counter = counter,
			.data = hdr->encrypted_data,
			.len = padded,
			.tag = hdr->encrypted_data + padded,
		};
	}
	wgd.aead_driver->seal(d->gen_aead, ops, n);
	for (c = 1; c < k; c++) {
		for (i = 0; i < n; i++) {
			frames[c][i] = rte_pktmbuf_copy(frames[0][i], wgd.pool,
							0, UINT32_MAX);
			if (frames[c][i] == NULL)
				return -ENOMEM;
		}
	}
	for (c = 0; c < k; c++) {
		for (i = 0; i < n; i++) {
			dp_rx_path(ids[i], c, &path);
			if (wg_net_encap(frames[c][i], &path, false) != 0)
				return -EINVAL;
			frames[c][i]->port = wgd.uplinks[c].port_id;
		}
	}
	return 0;
}

static const char *dp_tx_name(const struct dp *d, bool decap,
			      const struct dp_variant *v);

/* ---- self-checks: what is measured is right ----------------------------- */

/*
 * Encap: one burst through wgd_tx_burst(), the frames taken from the
 * control lcore's TX ring (txq -1), parsed and opened; every copy must be
 * there. wg_net_encap() documents the IPv4 ID as a sum over the message's
 * first bytes, the same for every copy of a packet: a difference is
 * reported (once), not fatal, since it does not change what is measured.
 */
static int
dp_check_encap(struct dp *d, uint32_t set_idx, uint32_t len,
	       const struct dp_variant *v)
{
	const struct dp_set *set = &d->sets[set_idx];
	struct wgd_worker *w = &wgd.workers[0];
	struct rte_mbuf *pkts[WGD_BURST], *f;
	unsigned int per_uplink[WGD_MAX_UPLINKS] = { 0 };
	unsigned int k = v->k, n = d->burst, got = 0, bad = 0, id_diff = 0;
	uint16_t id_ex[2] = { 0, 0 };
	uint64_t rr = 0, ctr_of[WGD_BURST];    /* receiver index, counter */
	uint16_t ip_id[WGD_BURST];
	unsigned int nid = 0;
	static bool id_reported[PERF_TX_COPY + 1];
	uint8_t want[DP_MTU], dst[4];

	if (dp_encap_fill(d, set, len, pkts, n, &rr) != 0)
		return -1;
	wgd_tun_rx(w, pkts, n, wgd_now(), -1);
	while (rte_ring_sc_dequeue(wgd.ctrl_tx_ring, (void **)&f) == 0) {
		struct wg_net_info info;
		const struct wg_msg_data *hdr;
		const struct wg_keypair *kp;
		uint32_t id = 0, mlen, clen;
		uint8_t nonce[12] = { 0 };
		uint8_t *plain;
		unsigned int u;

		got++;
		for (u = 0; u < wgd.nb_uplinks; u++)
			if (wgd.uplinks[u].port_id == f->port)
				per_uplink[u]++;
		if ((f->nb_segs > 1 && rte_pktmbuf_linearize(f) != 0) ||
		    wg_net_parse(f, &info) != WG_NET_UDP) {
			bad++;
			rte_pktmbuf_free(f);
			continue;
		}
		for (uint32_t i = set->first; i < set->first + set->n; i++)
			if (wg_endpoint_equal(&info.dst,
					      &wgd.conf->peers[i - 1].endpoints[0]))
				id = i;
		hdr = rte_pktmbuf_mtod_offset(f, const struct wg_msg_data *,
					      info.payload_off);
		mlen = info.payload_len;
		{
			const uint8_t *ip4 = rte_pktmbuf_mtod_offset(f,
					const uint8_t *, info.l3_off);
			uint16_t ipid = (uint16_t)(ip4[4] << 8 | ip4[5]);
			uint64_t ctr = wg_le64(hdr->counter) << 32 ^
				       hdr->receiver_index;
			unsigned int c;

			for (c = 0; c < nid && ctr_of[c] != ctr; c++)
				;
			if (c == nid && nid < RTE_DIM(ctr_of)) {
				ctr_of[nid] = ctr;
				ip_id[nid++] = ipid;
			} else if (c < nid && ip_id[c] != ipid) {
				if (id_diff++ == 0) {
					id_ex[0] = ip_id[c];
					id_ex[1] = ipid;
				}
			}
		}
		kp = id != 0 ?
		     atomic_load(&wgd.peers[id].core->keypairs.current) : NULL;
		clen = mlen - WG_MSG_DATA_MIN_LEN;
		plain = malloc(clen + 1);
		memcpy(nonce + 4, &hdr->counter, 8);
		dp_peer_inner(id, dst);
		dp_inner(d, want, len, dp_host_inner, dst);
		if (kp == NULL || plain == NULL ||
		    hdr->receiver_index != kp->remote_index ||
		    clen != wg_data_padded_len(len, wgd.conf->mtu) ||
		    crypto_aead_chacha20poly1305_ietf_decrypt_detached(plain,
			NULL, hdr->encrypted_data, clen,
			hdr->encrypted_data + clen, NULL, 0, nonce,
			kp->send_key) != 0 ||
		    memcmp(plain, want, len) != 0)
			bad++;
		free(plain);
		rte_pktmbuf_free(f);
	}
	for (unsigned int u = 0; u < k; u++)
		if (per_uplink[u] != n)
			bad++;
	if (got != n * k || bad != 0) {
		fprintf(stderr, "encap self-check, %u path(s), %u B: %u frames "
			"(want %u), %u bad\n", k, len, got, n * k, bad);
		return -1;
	}
	if (id_diff != 0 && !id_reported[v->tx]) {
		size_t l = strlen(d->notes);

		id_reported[v->tx] = true;
		snprintf(d->notes + l, sizeof(d->notes) - l,
			 "# note: with %s copies, %u of %u frames (%u paths) "
			 "carry another IPv4 ID than the first copy of their "
			 "packet (e.g. 0x%04x, then 0x%04x)\n",
			 dp_tx_name(d, false, v), id_diff, n * k, k, id_ex[0],
			 id_ex[1]);
	}
	return 0;
}

/* Decap: one burst, the opened packets compared with what was sealed. */
static int
dp_check_decap(struct dp *d, uint32_t set_idx, uint32_t len, unsigned int k)
{
	const struct dp_set *set = &d->sets[set_idx];
	struct wgd_worker *w = &wgd.workers[0];
	struct rte_mbuf *frames[WGD_MAX_UPLINKS][WGD_BURST];
	struct rte_mbuf *out[WGD_BURST * WGD_MAX_UPLINKS];
	unsigned int n = d->burst, nout = 0, bad = 0, c, i;
	uint64_t rr = 0, now = wgd_now();
	uint8_t want[DP_MTU], src[4];

	if (dp_decap_fill(d, set, len, k, frames, n, &rr) != 0)
		return -1;
	dp_capture = out;
	dp_ncapture = 0;
	for (c = 0; c < k; c++)
		wgd_uplink_rx(w, (uint16_t)c, frames[c], n, now);
	dp_capture = NULL;
	nout = dp_ncapture;
	rr = 0;
	for (i = 0; i < nout; i++) {
		dp_peer_inner(dp_next_peer(set, &rr), src);
		dp_inner(d, want, len, src, dp_host_inner);
		if (rte_pktmbuf_pkt_len(out[i]) != len ||
		    memcmp(rte_pktmbuf_mtod(out[i], void *), want, len) != 0)
			bad++;
		rte_pktmbuf_free(out[i]);
	}
	if (nout != n || bad != 0) {
		fprintf(stderr, "decap self-check, %u path(s), %u B: %u packets "
			"(want %u), %u bad\n", k, len, nout, n, bad);
		return -1;
	}
	return 0;
}

/* ---- measurement ------------------------------------------------------- */

static uint64_t
dp_drops(const struct wgd_lcore_stats *s, unsigned int except)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < WGD_DROP_MAX; i++)
		if (i != except)
			n += s->drops[i];
	return n;
}

/* One run of one cell: encap (decap false) or decap, k paths. */
static int
dp_run_once(struct dp *d, bool decap, uint32_t set_idx, uint32_t len,
	    unsigned int k, double seconds, uint64_t iterations,
	    struct dp_sample *s)
{
	const struct dp_set *set = &d->sets[set_idx];
	struct wgd_worker *w = &wgd.workers[0];
	struct wgd_lcore_stats before = w->stats, *st = &w->stats;
	struct rte_mbuf *frames[WGD_MAX_UPLINKS][WGD_BURST];
	uint64_t limit = (uint64_t)(seconds * (double)d->tsc_hz);
	uint64_t start = rte_rdtsc(), dp_cyc = 0, all_cyc = 0, bursts = 0;
	uint64_t rr = 0, pkts;
	unsigned int n = d->burst, c;
	bool ok;

	for (;;) {
		uint64_t t0 = rte_rdtsc(), t1, t2, now;

		if ((decap ? dp_decap_fill(d, set, len, k, frames, n, &rr) :
			     dp_encap_fill(d, set, len, frames[0], n, &rr)) != 0) {
			fprintf(stderr, "cannot build packets (mbuf pool)\n");
			return -1;
		}
		t1 = rte_rdtsc();
		/* The worker reads the clock once per poll loop. */
		now = wgd_now();
		if (decap)
			for (c = 0; c < k; c++)
				wgd_uplink_rx(w, (uint16_t)c, frames[c], n,
					      now);
		else
			wgd_tun_rx(w, frames[0], n, now, w->txq);
		t2 = rte_rdtsc();
		dp_cyc += t2 - t1;
		all_cyc += t2 - t0;
		bursts++;
		if (iterations != 0 ? bursts >= iterations :
		    t2 - start >= limit)
			break;
	}
	pkts = bursts * n;
	/* Everything measured went where it should, and nothing else. */
	if (decap)
		ok = st->uplink_rx_pkts - before.uplink_rx_pkts == pkts * k &&
		     st->decrypted - before.decrypted == pkts &&
		     st->tun_tx_pkts - before.tun_tx_pkts == pkts &&
		     st->drops[WG_DROP_REPLAY] - before.drops[WG_DROP_REPLAY] ==
		     pkts * (k - 1) &&
		     dp_drops(st, WG_DROP_REPLAY) ==
		     dp_drops(&before, WG_DROP_REPLAY);
	else
		ok = st->encrypted - before.encrypted == pkts &&
		     st->uplink_tx_pkts - before.uplink_tx_pkts == pkts * k &&
		     dp_drops(st, WGD_DROP_MAX) ==
		     dp_drops(&before, WGD_DROP_MAX);
	if (!ok) {
		fprintf(stderr, "%s, %u path(s), %u B: counters do not add up "
			"(%" PRIu64 " packets)\n", decap ? "decap" : "encap",
			k, len, pkts);
		wgd_stats_print();
		return -1;
	}
	s->mpps = (double)pkts / ((double)dp_cyc / (double)d->tsc_hz) / 1e6;
	s->loop_mpps = (double)pkts / ((double)all_cyc / (double)d->tsc_hz) /
		       1e6;
	return 0;
}

/*
 * Publish k paths for the set, and make copies as asked. Forcing chains
 * on a port that does not advertise RTE_ETH_TX_OFFLOAD_MULTI_SEGS is only
 * sound because net_null's TX reads nothing but pkt_len before freeing.
 */
static int
dp_use(struct dp *d, uint32_t set_idx, const struct dp_variant *v)
{
	for (unsigned int u = 0; u < wgd.nb_uplinks; u++)
		wgd.uplinks[u].tx_multi_seg = v->tx == PERF_TX_CHAIN ? true :
			v->tx == PERF_TX_COPY ? false : d->port_multi_seg[u];
	if (d->cur_set == set_idx && d->cur_paths == v->k)
		return 0;
	d->cur_set = set_idx;
	d->cur_paths = v->k;
	return dp_set_paths(d, set_idx, v->k);
}

/* The columns: every path count; for encap, each copy method asked for
 * with more than one path. */
static void
dp_variants(struct dp *d)
{
	static const unsigned int tx[] = { PERF_TX_AUTO, PERF_TX_CHAIN,
					   PERF_TX_COPY };
	const struct perf_opts *o = d->o;

	for (unsigned int p = 0; p < o->nb_paths; p++) {
		d->var[1][d->nb_var[1]++] = (struct dp_variant){ o->paths[p],
								 PERF_TX_AUTO };
		if (o->paths[p] == 1) {
			d->var[0][d->nb_var[0]++] = d->var[1][d->nb_var[1] - 1];
			continue;
		}
		for (unsigned int t = 0; t < RTE_DIM(tx); t++)
			if (o->tx_copies & tx[t])
				d->var[0][d->nb_var[0]++] = (struct dp_variant){
					o->paths[p], tx[t] };
	}
}

static const char *
dp_tx_name(const struct dp *d, bool decap, const struct dp_variant *v)
{
	if (decap || v->k == 1)
		return "-";
	if (v->tx == PERF_TX_CHAIN)
		return "chain";
	if (v->tx == PERF_TX_COPY)
		return "copy";
	return d->port_multi_seg[0] ? "auto:chain" : "auto:copy";
}

struct dp_cell {
	struct perf_stat mpps, loop, ratio;   /* ratio: paired, per round */
};

static void
dp_print_head(bool decap)
{
	printf("\n%-5s %5s %5s %5s %-10s %8s %17s %7s %7s %7s %5s %13s %6s "
	       "%7s\n", "dir", "peers", "size", "paths", "copies", "Mpps",
	       "[min max]", "Gbit/s", "ns/pkt", decap ? "rx Mpps" : "tx Mpps",
	       "vs1p", "[min max]", "vs1pr", decap ? "-" : "+fill");
}

static void
dp_print_row(const struct dp *d, bool decap, uint32_t peers, uint32_t len,
	     const struct dp_variant *v, const struct dp_cell *c,
	     const struct dp_cell *first_path,
	     const struct dp_cell *first_peers)
{
	char loop[16] = "-", vs_peers[16] = "-";

	if (!decap)
		snprintf(loop, sizeof(loop), "%.3f", c->loop.med);
	if (first_peers != NULL && first_peers->mpps.med > 0)
		snprintf(vs_peers, sizeof(vs_peers), "%.2f",
			 c->mpps.med / first_peers->mpps.med);
	/* A wide spread means something else ran on the core. */
	printf("%-5s %5u %5u %5u %-10s %8.3f [%7.3f %7.3f] %7.2f %7.1f %7.3f "
	       "%5.2f [%5.2f %5.2f] %6s %7s%s\n",
	       decap ? "decap" : "encap", peers, len, v->k,
	       dp_tx_name(d, decap, v), c->mpps.med, c->mpps.min, c->mpps.max,
	       c->mpps.med * len * 8 / 1e3, 1e3 / c->mpps.med,
	       c->mpps.med * v->k, c->mpps.med / first_path->mpps.med,
	       c->ratio.min, c->ratio.max, vs_peers, loop,
	       c->mpps.max - c->mpps.min > 0.1 * c->mpps.med ? " !" : "");
}

static struct dp_cell
dp_cells[2][PERF_MAX_LIST][PERF_MAX_SIZES][DP_MAX_VARIANTS];

/* Every variant of one (direction, peer set, size), side by side: a
 * self-check and a warm-up each, then rounds that run each variant once
 * in turn, so that they share whatever else the machine was doing. */
static int
dp_measure(struct dp *d, bool decap, uint32_t j, unsigned int si)
{
	const struct perf_opts *o = d->o;
	static double v[DP_MAX_VARIANTS][PERF_MAX_RUNS];
	static double loop[DP_MAX_VARIANTS][PERF_MAX_RUNS];
	static double ratio[DP_MAX_VARIANTS][PERF_MAX_RUNS];
	const struct dp_variant *var = d->var[decap];
	unsigned int nb = d->nb_var[decap], p, r;
	uint32_t len = d->sizes[si];
	struct dp_sample s;

	for (p = 0; p < nb; p++) {
		if (dp_use(d, j, &var[p]) != 0 ||
		    (decap ? dp_check_decap(d, j, len, var[p].k) :
			     dp_check_encap(d, j, len, &var[p])) != 0 ||
		    dp_run_once(d, decap, j, len, var[p].k, o->seconds / 2,
				o->iterations / 2 + (o->iterations != 0),
				&s) != 0)
			return -1;
	}
	for (r = 0; r < o->runs; r++) {
		for (p = 0; p < nb; p++) {
			if (dp_use(d, j, &var[p]) != 0 ||
			    dp_run_once(d, decap, j, len, var[p].k,
					o->seconds, o->iterations, &s) != 0)
				return -1;
			v[p][r] = s.mpps;
			loop[p][r] = s.loop_mpps;
		}
		for (p = 0; p < nb; p++)
			ratio[p][r] = v[p][r] / v[0][r];
	}
	for (p = 0; p < nb; p++) {
		struct dp_cell *c = &dp_cells[decap][j][si][p];

		c->mpps = perf_stat_of(v[p], o->runs);
		c->loop = perf_stat_of(loop[p], o->runs);
		c->ratio = perf_stat_of(ratio[p], o->runs);
		dp_print_row(d, decap, d->sets[j].n, len, &var[p], c,
			     &dp_cells[decap][j][si][0],
			     j > 0 ? &dp_cells[decap][0][si][p] : NULL);
	}
	fflush(stdout);
	return 0;
}

static void
dp_print_setup(const struct dp *d, int core)
{
	struct rte_eth_dev_info info;
	bool multi = false;

	if (rte_eth_dev_info_get(wgd.uplinks[0].port_id, &info) == 0)
		multi = (info.tx_offload_capa &
			 RTE_ETH_TX_OFFLOAD_MULTI_SEGS) != 0;
	printf("# test-wg-perf --dataplane: dpdk-wg's data path on one lcore "
	       "(CPU %d), burst %u, %u runs of ", core, d->burst, d->o->runs);
	if (d->o->iterations != 0)
		printf("%" PRIu64 " bursts", d->o->iterations);
	else
		printf("%.3f s", d->o->seconds);
	printf(" per path count, interleaved\n");
	printf("# crypto %s/%s; AllowedIPs rte_acl %s; memory: %s; TSC %.3f GHz\n",
	       wgd.aead_driver->name,
	       wgd.aead_driver->ctx_arch(wgd.workers[0].aead),
	       wg_allowedips_alg(atomic_load(&wgd.allowedips)),
	       d->huge ? "hugepages" : "no hugepages (4 KiB pages)",
	       (double)d->tsc_hz / 1e9);
	printf("# %u uplinks on net_null0..%u (tx_offload MULTI_SEGS: %s), "
	       "TUN on net_null%u; %u peers in all, Redundancy = duplicate\n",
	       d->nb_uplinks, d->nb_uplinks - 1, multi ? "yes" : "no",
	       d->nb_uplinks, wgd.nb_peers);
	printf("# copies for extra paths: chain = header mbuf + indirect "
	       "clone (tx_multi_seg), copy = rte_pktmbuf_copy();\n"
	       "# the daemon itself would use %s on these ports (auto)%s\n",
	       d->port_multi_seg[0] ? "chain" : "copy",
	       d->port_multi_seg[0] ? "" :
	       "; chain is forced here (net_null's TX only reads pkt_len)");
	printf("# Mpps: inner packets per second through the data path alone "
	       "(median [min max]); Gbit/s: inner bytes\n"
	       "# encap: tun_rx (AllowedIPs by destination) + wgd_tx_burst(), "
	       "each packet sent on every path (tx Mpps = frames)\n"
	       "# decap: each packet arrives once per path (rx Mpps = frames);"
	       " the copies after the first are replays\n"
	       "# vs1p: median / median of the first path count, [min max] of "
	       "per-round ratios; vs1pr: against the first peer count\n"
	       "# +fill: Mpps with mbuf allocation and inner packet writing "
	       "(the TUN RX side) counted too\n"
	       "# !: runs spread over more than 10 %% of the median (the "
	       "core was shared)\n");
}

/*
 * Staged packets under a keypair too old to send: wgd_flush_staged()
 * must leave them staged and return (it once looped for ever, dequeuing
 * what wgd_tx_burst() staged again onto the same ring), then send them
 * once the keypair may send again. Run once, before the measurements.
 */
#define DP_STAGED_CHECK 8

static int
dp_check_staged(const struct dp *d)
{
	struct wgd_peer *p = &wgd.peers[d->sets[0].first];
	struct wg_keypair *kp = atomic_load(&p->core->keypairs.current);
	const struct wgd_pathset *ps = atomic_load(&p->paths);
	struct rte_mbuf *m[DP_STAGED_CHECK];
	struct wgd_peer *peers[DP_STAGED_CHECK];
	unsigned int n = DP_STAGED_CHECK, staged0, stuck, sent, frames = 0;
	uint64_t now = wgd_now();
	uint8_t dst[4];
	void *f;

	if (rte_pktmbuf_alloc_bulk(wgd.pool, m, n) != 0)
		return -1;
	dp_peer_inner(d->sets[0].first, dst);
	for (unsigned int i = 0; i < n; i++) {
		dp_inner(d, (uint8_t *)rte_pktmbuf_append(m[i], 64), 64,
			 dp_host_inner, dst);
		peers[i] = p;
	}
	staged0 = rte_ring_count(p->staged);
	wg_keypair_set_birthdate(kp, now - WG_REJECT_AFTER_TIME - 1);
	wgd_tx_burst(wgd.workers[0].aead, &wgd.workers[0].stats, 0,
		     wgd.workers[0].txq, peers, m, n, now);
	/* A hang here is the bug: give it 10 s, then die with SIGALRM. */
	alarm(10);
	stuck = wgd_flush_staged(p);
	alarm(0);
	wg_keypair_set_birthdate(kp, wgd_now());
	if (rte_ring_count(p->staged) != staged0 + n || stuck != 0) {
		fprintf(stderr, "staged check: %u staged, %u flushed under an "
			"expired keypair (want %u, 0)\n",
			rte_ring_count(p->staged) - staged0, stuck, n);
		return -1;
	}
	sent = wgd_flush_staged(p);
	/* The control lcore's frames wait for worker 0: none runs here. */
	while (rte_ring_dequeue(wgd.ctrl_tx_ring, &f) == 0) {
		rte_pktmbuf_free(f);
		frames++;
	}
	/* Its handshake request is not for this benchmark. */
	while (rte_ring_dequeue_elem(wgd.event_ring, &(struct wgd_event){ 0 },
				     sizeof(struct wgd_event)) == 0)
		;
	atomic_store(&p->pending, 0);
	if (sent != n || rte_ring_count(p->staged) != staged0 ||
	    frames != n * ps->nb_tx) {
		fprintf(stderr, "staged check: %u of %u flushed, %u frames "
			"(want %u) once the keypair is young\n", sent, n,
			frames, n * ps->nb_tx);
		return -1;
	}
	return 0;
}

/* ---- several workers: --workers ----------------------------------------
 *
 * The same encap and decap on N worker lcores at once, as the daemon
 * runs them: worker i has queue i of every net_null port (RX, and TX for
 * its frames and its opened packets), its own crypto context and stats
 * slot. Worker 0 runs on the main lcore: no control loop is needed here,
 * so N lcores carry N workers (the daemon would use one more lcore).
 *
 * Each measured set of peers is spread over the workers as RSS spreads
 * many peers: worker w takes every N-th peer (ids first + w, first + w +
 * N, ...). With fewer peers than workers, every worker takes all of them
 * ("shared"): with one peer, N workers seal for the same keypair (its
 * send counter is an atomic) and open for it (its replay window is
 * lock-free). For shared decap, the peer's packets are cut into blocks
 * of one burst, taken in turn by whichever worker asks next (an atomic
 * sequence, so the workers stay within a few bursts of each other, as
 * queues drained at the same rate would), and the copy for path c of
 * block b arrives with the worker that takes block b + c: the copies of
 * a packet reach different workers, which race for it in the window. A
 * packet all of whose copies come after the window has moved on is lost
 * (counted, not an error); a copy that passes the window's peek and is
 * refused after opening (another worker took the packet meanwhile, or
 * the window moved past it) cost a decryption in vain ("wasted").
 *
 * The self-checks run the same way (one burst per worker, all at once):
 * encap frames captured on every uplink TX queue, opened with the peer's
 * key and compared, counters unique per peer and path; decap packets
 * captured on the TUN queues, compared, each packet exactly once. Each
 * inner packet carries a stamp (worker, index) behind its UDP header
 * when it is long enough (>= 36 bytes), which ties it to its peer.
 *
 * --spread adds rows ("spread") for 2 or more workers where all of the
 * traffic arrives on worker 0, as one large peer's does, and the daemon's
 * --spread shares it out (dp_mw_spread_main()); their scale is against
 * the first worker count's row, where each worker has its own traffic.
 */

#define DP_CAP_MAX (WGD_BURST * WGD_MAX_UPLINKS)
#define DP_STAMP_OFF DP_INNER_MIN
#define DP_STAMP_W 48                 /* worker index << 48 | index */

/* What one TX queue of a port was given while capturing. */
struct dp_capq {
	struct rte_mbuf *m[DP_CAP_MAX];
	unsigned int n;
	unsigned int overflow;
	bool on;
};

static struct dp_capq dp_tun_cap[WGD_MAX_WORKERS];
static struct dp_capq dp_up_cap[WGD_MAX_UPLINKS][WGD_MAX_WORKERS];

static void *
dp_tun_capq(unsigned int q)
{
	return &dp_tun_cap[q];
}

static uint16_t
dp_capq_cb(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n,
	   void *arg)
{
	struct dp_capq *c = arg;

	(void)port;
	(void)queue;
	if (!c->on)
		return n;
	for (uint16_t i = 0; i < n; i++) {
		if (c->n == DP_CAP_MAX) {
			c->overflow++;
			continue;
		}
		/* Freeing a chain frees each segment once: keep them all
		 * (chain copies are a header mbuf and an indirect one). */
		for (struct rte_mbuf *seg = pkts[i]; seg != NULL;
		     seg = seg->next)
			rte_mbuf_refcnt_update(seg, 1);
		c->m[c->n++] = pkts[i];
	}
	return n;
}

static void
dp_capq_reset(struct dp_capq *c, bool on)
{
	for (unsigned int i = 0; i < c->n; i++)
		rte_pktmbuf_free(c->m[i]);
	c->n = 0;
	c->overflow = 0;
	c->on = on;
}

/* One run (or self-check burst) of N workers. */
struct dp_job {
	struct dp *d;
	bool decap, check, shared, yield;
	uint32_t set_idx, len;
	unsigned int k, nw;
	uint64_t limit, iterations;   /* TSC cycles, or bursts per worker */
	uint64_t base;                /* decap: the counters start here */
	_Atomic uint64_t seq;         /* shared decap: the next block */
	_Atomic unsigned int ready;   /* start line */
	_Atomic bool stop;            /* a worker's time is up: all stop */
	bool spread;                  /* --spread: all arrives on worker 0 */
	_Atomic uint64_t done;        /* spread: packets taken off the ring */
};

/* A worker's side of a run. */
struct dp_wk {
	uint64_t g;                   /* encap: packets; decap: blocks */
	uint64_t bursts, frames, dp_cyc, all_cyc;
	int err;
} __rte_cache_aligned;

static struct dp_wk dp_wks[WGD_MAX_WORKERS];

static uint32_t
dp_mw_npeers(const struct dp_set *set, bool shared, unsigned int nw,
	     unsigned int w)
{
	return shared ? set->n : (set->n - w + nw - 1) / nw;
}

/* Worker w's peer for its g-th packet (shared: the g-th of the set). */
static uint32_t
dp_mw_peer(const struct dp_set *set, bool shared, unsigned int nw,
	   unsigned int w, uint64_t g)
{
	if (shared)
		return set->first + (uint32_t)(g % set->n);
	return set->first + w +
	       (uint32_t)(g % dp_mw_npeers(set, shared, nw, w)) * nw;
}

static void
dp_stamp(uint8_t *p, uint32_t len, uint64_t s)
{
	if (len >= DP_STAMP_OFF + 8)
		memcpy(p + DP_STAMP_OFF, &s, 8);
}

static bool
dp_stamp_get(const uint8_t *p, uint32_t len, uint64_t *s)
{
	if (len < DP_STAMP_OFF + 8)
		return false;
	memcpy(s, p + DP_STAMP_OFF, 8);
	return true;
}

/* Encap: inner packets for worker w's peers, fresh from the pool. */
static int
dp_mw_encap_fill(const struct dp *d, const struct dp_job *job,
		 unsigned int w, struct rte_mbuf **m, unsigned int n)
{
	const struct dp_set *set = &d->sets[job->set_idx];
	struct dp_wk *wk = &dp_wks[w];
	uint8_t dst[4];

	if (rte_pktmbuf_alloc_bulk(wgd.pool, m, n) != 0)
		return -ENOMEM;
	for (unsigned int i = 0; i < n; i++) {
		uint8_t *p = (uint8_t *)rte_pktmbuf_append(m[i],
						(uint16_t)job->len);
		uint64_t g = wk->g++;

		dp_peer_inner(dp_mw_peer(set, job->shared, job->nw, w, g), dst);
		dp_inner(d, p, job->len, dp_host_inner, dst);
		dp_stamp(p, job->len, (uint64_t)w << DP_STAMP_W | g);
		m[i]->port = wgd.tun_port;
	}
	return 0;
}

/*
 * Decap: block b of worker w's stream (shared: of the set's), n packets
 * sealed by their peers, as frames for uplink c. Packet g = b * n + i
 * goes to peer g mod (the stream's peers) under counter base + g / (the
 * stream's peers): every peer's counters rise with g.
 */
static int
dp_mw_block(const struct dp *d, const struct dp_job *job, unsigned int w,
	    uint64_t b, unsigned int c, struct rte_mbuf **f, unsigned int n)
{
	const struct dp_set *set = &d->sets[job->set_idx];
	uint32_t len = job->len, padded = wg_data_padded_len(len,
							     wgd.conf->mtu);
	uint32_t np = dp_mw_npeers(set, job->shared, job->nw, w);
	struct wg_aead_op ops[WGD_BURST];
	uint32_t ids[WGD_BURST];
	struct wg_net_path path;
	uint8_t src[4];
	unsigned int i;

	if (rte_pktmbuf_alloc_bulk(wgd.pool, f, n) != 0)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		uint64_t g = b * n + i;
		uint32_t id = dp_mw_peer(set, job->shared, job->nw, w, g);
		const struct wg_keypair *kp =
			atomic_load(&wgd.peers[id].core->keypairs.current);
		struct wg_msg_data *hdr = (struct wg_msg_data *)
			rte_pktmbuf_append(f[i], (uint16_t)
				(WG_MSG_DATA_HEADER_LEN + padded +
				 WG_AEAD_TAG_LEN));
		uint64_t counter = job->base + g / np;

		ids[i] = id;
		hdr->header.type = wg_le32(WG_MSG_DATA);
		hdr->receiver_index = kp->entry.index;
		hdr->counter = wg_le64(counter);
		dp_peer_inner(id, src);
		dp_inner(d, hdr->encrypted_data, len, src, dp_host_inner);
		dp_stamp(hdr->encrypted_data, len,
			 job->shared ? g : (uint64_t)w << DP_STAMP_W | g);
		memset(hdr->encrypted_data + len, 0, padded - len);
		ops[i] = (struct wg_aead_op){
			.key = kp->recv_key,
			.counter = counter,
			.data = hdr->encrypted_data,
			.len = padded,
			.tag = hdr->encrypted_data + padded,
		};
	}
	wgd.aead_driver->seal(d->gen_aead_w[w], ops, n);
	for (i = 0; i < n; i++) {
		dp_rx_path(ids[i], c, &path);
		if (wg_net_encap(f[i], &path, false) != 0)
			return -EINVAL;
		f[i]->port = wgd.uplinks[c].port_id;
	}
	return 0;
}

/* What worker w's uplinks receive for one burst: nf[c] frames on c. */
static int
dp_mw_decap_fill(const struct dp *d, struct dp_job *job, unsigned int w,
		 struct rte_mbuf *frames[][WGD_BURST], unsigned int nf[],
		 unsigned int n)
{
	uint64_t b = job->shared ? atomic_fetch_add(&job->seq, 1) :
				   dp_wks[w].g++;

	for (unsigned int c = 0; c < job->k; c++) {
		nf[c] = 0;
		/* Shared: path c carries block b - c's copies. */
		if (job->shared && b < c)
			continue;
		if (dp_mw_block(d, job, w, job->shared ? b - c : b, c,
				frames[c], n) != 0)
			return -ENOMEM;
		nf[c] = n;
	}
	return 0;
}

/* Wait a moment: lcores that share a CPU give it away. */
static void
dp_mw_idle(const struct dp_job *job)
{
	if (job->yield)
		sched_yield();
	else
		rte_pause();
}

/* The worker this lcore plays in job, its counters cleared, once every
 * worker has arrived (all start together); -1: the lcore has no part. */
static int
dp_mw_join(struct dp_job *job)
{
	unsigned int w;

	for (w = 0; w < job->nw; w++)
		if (wgd.workers[w].lcore_id == rte_lcore_id())
			break;
	if (w == job->nw)
		return -1;
	memset(&dp_wks[w], 0, sizeof(dp_wks[w]));
	atomic_fetch_add(&job->ready, 1);
	while (atomic_load(&job->ready) < job->nw)
		dp_mw_idle(job);
	return (int)w;
}

static int
dp_mw_main(void *arg)
{
	struct dp_job *job = arg;
	struct dp *d = job->d;
	struct rte_mbuf *frames[WGD_MAX_UPLINKS][WGD_BURST];
	unsigned int nf[WGD_MAX_UPLINKS];
	unsigned int w, c, n = d->burst;
	struct wgd_worker *ww;
	struct dp_wk *wk;
	uint64_t start;
	int j = dp_mw_join(job);

	if (j < 0)
		return 0;
	w = (unsigned int)j;
	ww = &wgd.workers[w];
	wk = &dp_wks[w];
	start = rte_rdtsc();
	for (;;) {
		uint64_t t0 = rte_rdtsc(), t1, t2, now;

		if ((job->decap ? dp_mw_decap_fill(d, job, w, frames, nf, n) :
		     dp_mw_encap_fill(d, job, w, frames[0], n)) != 0) {
			wk->err = -ENOMEM;
			atomic_store(&job->stop, true);
			break;
		}
		t1 = rte_rdtsc();
		/* The worker reads the clock once per poll loop. */
		now = wgd_now();
		if (job->decap) {
			for (c = 0; c < job->k; c++) {
				if (nf[c] == 0)
					continue;
				wgd_uplink_rx(ww, (uint16_t)c, frames[c],
					      nf[c], now);
				wk->frames += nf[c];
			}
		} else {
			wgd_tun_rx(ww, frames[0], n, now, ww->txq);
			wk->frames += n;
		}
		t2 = rte_rdtsc();
		wk->dp_cyc += t2 - t1;
		wk->all_cyc += t2 - t0;
		wk->bursts++;
		if (job->check)
			break;
		if (job->iterations != 0) {
			if (wk->bursts >= job->iterations)
				break;
		} else if (t2 - start >= job->limit ||
			   atomic_load_explicit(&job->stop,
						memory_order_relaxed)) {
			/* The measured windows end together. */
			atomic_store(&job->stop, true);
			break;
		}
	}
	return 0;
}

/*
 * --spread: all of the traffic arrives on worker 0's queues, as RSS puts
 * one large peer's, and the daemon's spreading shares it out: worker 0
 * calls wgd_worker_rx() as its poll loop does (the second half of each
 * full burst goes to the spread ring), the others take bursts from the
 * ring with wgd_spread_poll(), and worker 0 polls the ring too when it
 * has not just handed some out. Worker 0 builds DP_SPREAD_BURSTS bursts
 * first, untimed (a NIC would have written them); the clock runs from
 * its first wgd_worker_rx() until every packet handed out has been
 * handled, so the helpers work only inside the timed windows.
 */
#define DP_SPREAD_BURSTS 64

static void
dp_spread_help(struct dp_job *job, struct wgd_worker *ww, struct dp_wk *wk)
{
	while (!atomic_load_explicit(&job->stop, memory_order_relaxed)) {
		uint64_t t0 = rte_rdtsc();
		unsigned int got = wgd_spread_poll(ww, wgd_now());

		if (got == 0) {
			dp_mw_idle(job);
			continue;
		}
		atomic_fetch_add(&job->done, got);
		wk->dp_cyc += rte_rdtsc() - t0;
	}
}

/* Worker 0's timed window over one batch. */
static void
dp_spread_batch(struct dp_job *job, struct wgd_worker *ww,
		struct rte_mbuf *batch[][WGD_MAX_UPLINKS][WGD_BURST],
		unsigned int nf[][WGD_MAX_UPLINKS], struct dp_wk *wk)
{
	uint64_t out0 = ww->stats.spread_out, handed, done0, t1, now;
	unsigned int b, c;

	done0 = atomic_load(&job->done);
	t1 = rte_rdtsc();
	for (b = 0; b < DP_SPREAD_BURSTS; b++) {
		bool gave = false;

		now = wgd_now();
		for (c = 0; c < (job->decap ? job->k : 1); c++) {
			if (nf[b][c] == 0)
				continue;
			gave |= wgd_worker_rx(ww, job->decap ?
					      wgd.uplinks[c].port_id :
					      wgd.tun_port,
					      job->decap ? (int)c : -1,
					      batch[b][c], (uint16_t)nf[b][c],
					      now);
			wk->frames += nf[b][c];
		}
		if (!gave)
			atomic_fetch_add(&job->done,
					 wgd_spread_poll(ww, now));
	}
	/* Until the others have handled all that was handed out. */
	handed = ww->stats.spread_out - out0;
	while (atomic_load(&job->done) - done0 < handed) {
		unsigned int got = wgd_spread_poll(ww, wgd_now());

		atomic_fetch_add(&job->done, got);
		/* Lcores sharing a CPU: let the one holding the rest run. */
		if (got == 0)
			dp_mw_idle(job);
	}
	wk->dp_cyc += rte_rdtsc() - t1;
	wk->bursts += DP_SPREAD_BURSTS;
}

/* The first nb bursts of a batch, built but not handled (no memory). */
static void
dp_spread_free(const struct dp_job *job,
	       struct rte_mbuf *batch[][WGD_MAX_UPLINKS][WGD_BURST],
	       unsigned int nf[][WGD_MAX_UPLINKS], unsigned int nb)
{
	for (unsigned int b = 0; b < nb; b++)
		for (unsigned int c = 0; c < (job->decap ? job->k : 1); c++)
			rte_pktmbuf_free_bulk(batch[b][c], nf[b][c]);
}

static int
dp_mw_spread_main(void *arg)
{
	static struct rte_mbuf *batch[DP_SPREAD_BURSTS][WGD_MAX_UPLINKS]
				     [WGD_BURST];
	static unsigned int nf[DP_SPREAD_BURSTS][WGD_MAX_UPLINKS];
	struct dp_job *job = arg;
	struct dp *d = job->d;
	unsigned int w, b, n = d->burst;
	struct wgd_worker *ww;
	struct dp_wk *wk;
	uint64_t start;
	int j = dp_mw_join(job);

	if (j < 0)
		return 0;
	w = (unsigned int)j;
	ww = &wgd.workers[w];
	wk = &dp_wks[w];
	if (w != 0) {
		dp_spread_help(job, ww, wk);
		return 0;
	}
	start = rte_rdtsc();
	for (;;) {
		uint64_t t0 = rte_rdtsc();

		for (b = 0; b < DP_SPREAD_BURSTS; b++) {
			if ((job->decap ?
			     dp_mw_decap_fill(d, job, 0, batch[b], nf[b], n) :
			     dp_mw_encap_fill(d, job, 0, batch[b][0], n)) != 0) {
				dp_spread_free(job, batch, nf, b);
				wk->err = -ENOMEM;
				atomic_store(&job->stop, true);
				return 0;
			}
			if (!job->decap)
				nf[b][0] = n;
		}
		dp_spread_batch(job, ww, batch, nf, wk);
		wk->all_cyc += rte_rdtsc() - t0;
		if (job->iterations != 0 ?
		    wk->bursts >= job->iterations :
		    rte_rdtsc() - start >= job->limit)
			break;
	}
	atomic_store(&job->stop, true);
	return 0;
}

/* One run of one cell, all workers. */
struct dp_mw_sample {
	double mpps;        /* sum of the workers' data-path rates */
	double loop_mpps;   /* the same with filling */
	double wmin, wmax;  /* slowest and fastest worker */
	uint64_t pkts;      /* inner packets offered */
	uint64_t lost;      /* decap: none of their copies accepted */
	uint64_t wasted;    /* decap: opened, then refused by the window */
};

/* Authenticated frames of the set's peers in the workers' path stats. */
static uint64_t
dp_mw_opened(const struct dp *d, uint32_t set_idx, unsigned int nw)
{
	const struct dp_set *set = &d->sets[set_idx];
	uint64_t n = 0;

	for (uint32_t id = set->first; id < set->first + set->n; id++)
		for (unsigned int w = 0; w < nw; w++)
			for (unsigned int s = 0; s < WGD_MAX_PATHS; s++)
				n += wgd.peers[id].pstats[w][s].rx_pkts;
	return n;
}

/* The sum over workers 0..nw-1 of after - before. */
static void
dp_mw_delta(struct wgd_lcore_stats *dst, const struct wgd_lcore_stats *before,
	    unsigned int nw)
{
	memset(dst, 0, sizeof(*dst));
	for (unsigned int w = 0; w < nw; w++) {
		const struct wgd_lcore_stats *a = &wgd.workers[w].stats;
		const struct wgd_lcore_stats *b = &before[w];

		dst->uplink_rx_pkts += a->uplink_rx_pkts - b->uplink_rx_pkts;
		dst->uplink_tx_pkts += a->uplink_tx_pkts - b->uplink_tx_pkts;
		dst->tun_rx_pkts += a->tun_rx_pkts - b->tun_rx_pkts;
		dst->tun_tx_pkts += a->tun_tx_pkts - b->tun_tx_pkts;
		dst->decrypted += a->decrypted - b->decrypted;
		dst->encrypted += a->encrypted - b->encrypted;
		for (unsigned int i = 0; i < WGD_DROP_MAX; i++)
			dst->drops[i] += a->drops[i] - b->drops[i];
	}
}

/* Keypairs stay young however long the benchmark runs (the data path
 * refuses them REJECT_AFTER_TIME after their birth). */
static void
dp_mw_refresh(const struct dp *d, uint32_t set_idx)
{
	const struct dp_set *set = &d->sets[set_idx];
	uint64_t now = wgd_now();

	for (uint32_t id = set->first; id < set->first + set->n; id++)
		wg_keypair_set_birthdate(
			atomic_load(&wgd.peers[id].core->keypairs.current),
			now);
}

/* Do lcores 0..nw-1's workers share CPUs? */
static bool
dp_mw_oversub(unsigned int nw)
{
	rte_cpuset_t all;

	CPU_ZERO(&all);
	for (unsigned int w = 0; w < nw; w++) {
		rte_cpuset_t s = rte_lcore_cpuset(wgd.workers[w].lcore_id);

		CPU_OR(&all, &all, &s);
	}
	return (unsigned int)CPU_COUNT(&all) < nw;
}

static int
dp_mw_run(struct dp *d, bool decap, uint32_t set_idx, uint32_t len,
	  unsigned int k, unsigned int nw, bool check, double seconds,
	  uint64_t iterations, bool spread, struct dp_mw_sample *s)
{
	static struct dp_job job;
	const struct dp_set *set = &d->sets[set_idx];
	struct wgd_lcore_stats before[WGD_MAX_WORKERS], dl;
	uint64_t opened0 = decap ? dp_mw_opened(d, set_idx, nw) : 0;
	uint64_t pkts = 0, frames = 0, bursts = 0, other;
	unsigned int w;
	bool ok;

	memset(&job, 0, sizeof(job));
	job.d = d;
	job.decap = decap;
	job.check = check;
	/* Spread: every peer's traffic arrives on worker 0. */
	job.shared = set->n < nw || spread;
	job.spread = spread;
	job.yield = dp_mw_oversub(nw);
	job.set_idx = set_idx;
	job.len = len;
	job.k = k;
	job.nw = nw;
	job.limit = (uint64_t)(seconds * (double)d->tsc_hz);
	job.iterations = iterations;
	job.base = d->set_base[set_idx];
	for (w = 0; w < nw; w++)
		before[w] = wgd.workers[w].stats;
	dp_mw_refresh(d, set_idx);
	rte_eal_mp_remote_launch(spread ? dp_mw_spread_main : dp_mw_main,
				 &job, CALL_MAIN);
	rte_eal_mp_wait_lcore();

	memset(s, 0, sizeof(*s));
	s->wmin = 1e300;
	for (w = 0; w < nw; w++) {
		const struct dp_wk *wk = &dp_wks[w];
		double r, lr;

		if (wk->err != 0) {
			fprintf(stderr, "worker %u: cannot build packets "
				"(mbuf pool)\n", w);
			return -1;
		}
		r = wk->dp_cyc == 0 ? 0 : (double)(wk->bursts * d->burst) /
			((double)wk->dp_cyc / (double)d->tsc_hz) / 1e6;
		lr = wk->all_cyc == 0 ? 0 : (double)(wk->bursts * d->burst) /
			((double)wk->all_cyc / (double)d->tsc_hz) / 1e6;
		if (spread) {
			/* Worker 0's windows are the run's; each worker's
			 * share of the packets, over that time. */
			const struct wgd_lcore_stats *a = &wgd.workers[w].stats;
			uint64_t mine = decap ?
				a->decrypted - before[w].decrypted :
				a->encrypted - before[w].encrypted;

			r = dp_wks[0].dp_cyc == 0 ? 0 : (double)mine /
				((double)dp_wks[0].dp_cyc /
				 (double)d->tsc_hz) / 1e6;
			lr = 0;
		}
		s->mpps += r;
		s->loop_mpps += lr;
		s->wmin = RTE_MIN(s->wmin, r);
		s->wmax = RTE_MAX(s->wmax, r);
		bursts += wk->bursts;
		frames += wk->frames;
	}
	if (spread && dp_wks[0].dp_cyc != 0) {
		/* Every packet came in on worker 0, in its windows. */
		s->mpps = (double)(bursts * d->burst) /
			  ((double)dp_wks[0].dp_cyc / (double)d->tsc_hz) / 1e6;
		s->loop_mpps = (double)(bursts * d->burst) /
			       ((double)dp_wks[0].all_cyc /
				(double)d->tsc_hz) / 1e6;
	}
	pkts = bursts * d->burst;
	s->pkts = pkts;
	/* Counters never go back: the next run starts above this one. */
	d->set_base[set_idx] += pkts + 1;

	dp_mw_delta(&dl, before, nw);
	if (decap) {
		other = 0;
		for (unsigned int i = 0; i < WGD_DROP_MAX; i++)
			if (i != WG_DROP_REPLAY && i != WG_DROP_TOO_OLD)
				other += dl.drops[i];
		s->wasted = dp_mw_opened(d, set_idx, nw) - opened0 -
			    dl.decrypted;
		ok = dl.uplink_rx_pkts == frames && dl.decrypted <= pkts &&
		     dl.tun_tx_pkts == dl.decrypted && other == 0 &&
		     dl.drops[WG_DROP_REPLAY] + dl.drops[WG_DROP_TOO_OLD] ==
		     frames - dl.decrypted;
		if (ok)
			s->lost = pkts - dl.decrypted;
		/* Own peers: exactly what one lcore does, nothing lost. */
		if (ok && (!job.shared || check))
			ok = dl.decrypted == pkts &&
			     (job.shared || (frames == pkts * k &&
			      dl.drops[WG_DROP_REPLAY] == pkts * (k - 1)));
	} else {
		other = 0;
		for (unsigned int i = 0; i < WGD_DROP_MAX; i++)
			other += dl.drops[i];
		ok = dl.encrypted == pkts && dl.uplink_tx_pkts == pkts * k &&
		     other == 0;
	}
	if (!ok) {
		fprintf(stderr, "%s, %u worker(s), %u path(s), %u B: counters "
			"do not add up (%" PRIu64 " packets, %" PRIu64
			" frames; decrypted %" PRIu64 ", encrypted %" PRIu64
			", uplink rx %" PRIu64 " tx %" PRIu64 ", tun tx %"
			PRIu64 ", replay %" PRIu64 ", too old %" PRIu64
			", other drops %" PRIu64 ")\n",
			decap ? "decap" : "encap", nw, k, len, pkts, frames,
			dl.decrypted, dl.encrypted, dl.uplink_rx_pkts,
			dl.uplink_tx_pkts, dl.tun_tx_pkts,
			dl.drops[WG_DROP_REPLAY], dl.drops[WG_DROP_TOO_OLD],
			other);
		wgd_stats_print();
		return -1;
	}
	return 0;
}

static int
dp_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts v: how many values repeat one before them. */
static unsigned int
dp_repeats(uint64_t *v, unsigned int n)
{
	unsigned int r = 0;

	qsort(v, n, sizeof(*v), dp_cmp_u64);
	for (unsigned int i = 1; i < n; i++)
		r += v[i] == v[i - 1];
	return r;
}

/*
 * Encap with nw workers: one burst each, all at once, the frames taken
 * from every uplink TX queue (callbacks added for the check only), each
 * opened with its peer's key and compared with what its worker sent; per
 * uplink, each worker's burst complete on its own queue and no (peer,
 * counter) twice.
 */
static int
dp_mw_check_encap(struct dp *d, uint32_t set_idx, uint32_t len,
		  const struct dp_variant *v, unsigned int nw)
{
	static uint64_t pairs[DP_CAP_MAX * WGD_MAX_WORKERS];
	const struct rte_eth_rxtx_callback *cb[WGD_MAX_UPLINKS][WGD_MAX_WORKERS];
	const struct dp_set *set = &d->sets[set_idx];
	bool shared = set->n < nw;
	unsigned int n = d->burst, bad = 0, dup = 0, u, q, i;
	unsigned int got[WGD_MAX_UPLINKS] = { 0 };
	uint8_t want[DP_MTU], dst[4];
	struct dp_mw_sample s;
	int ret = 0;

	memset(cb, 0, sizeof(cb));
	for (u = 0; u < wgd.nb_uplinks; u++) {
		for (q = 0; q < nw; q++) {
			dp_capq_reset(&dp_up_cap[u][q], true);
			cb[u][q] = rte_eth_add_tx_callback(
				wgd.uplinks[u].port_id, (uint16_t)q,
				dp_capq_cb, &dp_up_cap[u][q]);
			if (cb[u][q] == NULL)
				ret = -1;
		}
	}
	if (ret == 0)
		ret = dp_mw_run(d, false, set_idx, len, v->k, nw, true, 0, 1,
				false,
				&s);
	for (u = 0; u < wgd.nb_uplinks; u++) {
		for (q = 0; q < nw; q++) {
			dp_up_cap[u][q].on = false;
			/* Nothing sends now: the callback can go. */
			if (cb[u][q] != NULL &&
			    rte_eth_remove_tx_callback(wgd.uplinks[u].port_id,
				(uint16_t)q, cb[u][q]) == 0)
				rte_free((void *)(uintptr_t)cb[u][q]);
		}
	}
	if (ret != 0)
		goto out;

	for (u = 0; u < wgd.nb_uplinks; u++) {
		unsigned int np = 0;

		for (q = 0; q < nw; q++) {
			struct dp_capq *cq = &dp_up_cap[u][q];

			bad += cq->overflow;
			if (u < v->k && cq->n != n)
				bad++;
			for (i = 0; i < cq->n; i++) {
				struct rte_mbuf *f = cq->m[i];
				struct wg_net_info info;
				const struct wg_msg_data *hdr;
				const struct wg_keypair *kp;
				uint32_t id = 0, clen;
				uint8_t nonce[12] = { 0 };
				uint8_t plain[DP_MTU + 16];
				uint64_t stamp;

				got[u]++;
				if ((f->nb_segs > 1 &&
				     rte_pktmbuf_linearize(f) != 0) ||
				    wg_net_parse(f, &info) != WG_NET_UDP) {
					bad++;
					continue;
				}
				for (uint32_t p = set->first;
				     p < set->first + set->n; p++)
					if (wg_endpoint_equal(&info.dst,
						&wgd.conf->peers[p - 1].endpoints[0]))
						id = p;
				if (id == 0) {
					bad++;
					continue;
				}
				hdr = rte_pktmbuf_mtod_offset(f,
					const struct wg_msg_data *,
					info.payload_off);
				kp = atomic_load(
					&wgd.peers[id].core->keypairs.current);
				clen = info.payload_len - WG_MSG_DATA_MIN_LEN;
				memcpy(nonce + 4, &hdr->counter, 8);
				dp_peer_inner(id, dst);
				dp_inner(d, want, len, dp_host_inner, dst);
				if (hdr->receiver_index != kp->remote_index ||
				    clen != wg_data_padded_len(len,
							       wgd.conf->mtu) ||
				    clen > sizeof(plain) ||
				    crypto_aead_chacha20poly1305_ietf_decrypt_detached(
					plain, NULL, hdr->encrypted_data, clen,
					hdr->encrypted_data + clen, NULL, 0,
					nonce, kp->send_key) != 0) {
					bad++;
					continue;
				}
				/* The stamp says which worker sent it and
				 * for which peer. */
				if (dp_stamp_get(plain, len, &stamp)) {
					unsigned int sw = (unsigned int)
						(stamp >> DP_STAMP_W);
					uint64_t g = stamp &
						((1ULL << DP_STAMP_W) - 1);

					if (sw != q || dp_mw_peer(set, shared,
						nw, sw, g) != id)
						bad++;
					dp_stamp(want, len, stamp);
				}
				if (memcmp(plain, want, len) != 0)
					bad++;
				/* One nonce per peer and counter. */
				pairs[np++] = (uint64_t)id << 48 ^
					      wg_le64(hdr->counter);
			}
			dp_capq_reset(cq, false);
		}
		dup += dp_repeats(pairs, np);
		if (got[u] != (u < v->k ? n * nw : 0))
			bad++;
	}
	if (bad != 0 || dup != 0) {
		fprintf(stderr, "encap self-check, %u worker(s), %u path(s), "
			"%u B: %u frames on uplink 0 (want %u), %u bad, %u "
			"counters used twice\n", nw, v->k, len, got[0], n * nw,
			bad, dup);
		ret = -1;
	}
out:
	for (u = 0; u < wgd.nb_uplinks; u++)
		for (q = 0; q < nw; q++)
			dp_capq_reset(&dp_up_cap[u][q], false);
	return ret;
}

/*
 * Decap with nw workers: one burst each, all at once, the opened packets
 * taken from the TUN queues and compared; every packet exactly once,
 * on the queue of the worker whose stream it is (own peers), or on any
 * (shared: the copies race).
 */
static int
dp_mw_check_decap(struct dp *d, uint32_t set_idx, uint32_t len,
		  unsigned int k, unsigned int nw)
{
	static uint64_t stamps[DP_CAP_MAX * WGD_MAX_WORKERS];
	const struct dp_set *set = &d->sets[set_idx];
	bool shared = set->n < nw;
	unsigned int n = d->burst, got = 0, bad = 0, dup, ns = 0, q, i;
	uint8_t want[DP_MTU], src[4];
	struct dp_mw_sample s;
	int ret;

	for (q = 0; q < nw; q++)
		dp_capq_reset(&dp_tun_cap[q], true);
	ret = dp_mw_run(d, true, set_idx, len, k, nw, true, 0, 1, false, &s);
	for (q = 0; q < nw; q++)
		dp_tun_cap[q].on = false;
	for (q = 0; q < nw && ret == 0; q++) {
		struct dp_capq *cq = &dp_tun_cap[q];

		bad += cq->overflow;
		for (i = 0; i < cq->n; i++) {
			struct rte_mbuf *m = cq->m[i];
			const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
			uint32_t id;
			uint64_t stamp;

			got++;
			if (rte_pktmbuf_pkt_len(m) != len || m->nb_segs != 1) {
				bad++;
				continue;
			}
			/* The peer, from the inner source 10.(1 + id / 256)
			 * .(id % 256).2 */
			id = (uint32_t)(p[13] - 1) * 256 + p[14];
			if (id < set->first || id >= set->first + set->n) {
				bad++;
				continue;
			}
			dp_peer_inner(id, src);
			dp_inner(d, want, len, src, dp_host_inner);
			if (dp_stamp_get(p, len, &stamp)) {
				unsigned int sw = shared ? 0 : (unsigned int)
					(stamp >> DP_STAMP_W);
				uint64_t g = shared ? stamp : stamp &
					((1ULL << DP_STAMP_W) - 1);

				if ((!shared && sw != q) ||
				    dp_mw_peer(set, shared, nw, sw, g) != id)
					bad++;
				dp_stamp(want, len, stamp);
				stamps[ns++] = stamp;
			}
			if (memcmp(p, want, len) != 0)
				bad++;
		}
	}
	dup = dp_repeats(stamps, ns);
	if (ret == 0 && (got != n * nw || bad != 0 || dup != 0)) {
		fprintf(stderr, "decap self-check, %u worker(s), %u path(s), "
			"%u B: %u packets (want %u), %u bad, %u twice\n", nw,
			k, len, got, n * nw, bad, dup);
		ret = -1;
	}
	for (q = 0; q < nw; q++)
		dp_capq_reset(&dp_tun_cap[q], false);
	return ret;
}

/* Columns of a measurement: the worker counts, and again with --spread. */
#define DP_MW_COLS (2 * PERF_MAX_LIST)

struct dp_mw_cell {
	struct perf_stat mpps, loop, scale;   /* scale: paired, per round */
	double wmin, wmax;
	uint64_t pkts, lost, wasted;          /* over the measured runs */
};

static void
dp_mw_print_head(bool decap)
{
	printf("\n%-5s %5s %6s %5s %5s %-10s %4s %8s %17s %7s %7s %15s %5s "
	       "%13s %4s %7s", "dir", "peers", "per-w", "size", "paths",
	       "copies", "wkrs", "Mpps", "[min max]", "Gbit/s", "Mpps/w",
	       "[wmin wmax]", "scale", "[min max]", "eff",
	       decap ? "-" : "+fill");
	if (decap)
		printf(" %9s %9s", "lost", "wasted");
	printf("\n");
}

static void
dp_mw_print_row(const struct dp *d, bool decap, uint32_t set_idx,
		uint32_t len, const struct dp_variant *v, unsigned int nw,
		unsigned int nw0, bool spread, const struct dp_mw_cell *c)
{
	const struct dp_set *set = &d->sets[set_idx];
	char perw[16], loop[16] = "-";

	if (spread)
		snprintf(perw, sizeof(perw), "spread");
	else if (set->n < nw)
		snprintf(perw, sizeof(perw), "shared");
	else
		snprintf(perw, sizeof(perw), "%u", (set->n + nw - 1) / nw);
	if (!decap)
		snprintf(loop, sizeof(loop), "%.3f", c->loop.med);
	printf("%-5s %5u %6s %5u %5u %-10s %4u %8.3f [%7.3f %7.3f] %7.2f "
	       "%7.3f [%6.3f %6.3f] %5.2f [%5.2f %5.2f] %4.2f %7s",
	       decap ? "decap" : "encap", set->n, perw, len, v->k,
	       dp_tx_name(d, decap, v), nw, c->mpps.med, c->mpps.min,
	       c->mpps.max, c->mpps.med * len * 8 / 1e3, c->mpps.med / nw,
	       c->wmin, c->wmax, c->scale.med, c->scale.min, c->scale.max,
	       c->scale.med * nw0 / nw, loop);
	if (decap)
		printf(" %9" PRIu64 " %9" PRIu64, c->lost, c->wasted);
	printf("%s\n", c->mpps.max - c->mpps.min > 0.1 * c->mpps.med ?
		       " !" : "");
}

/*
 * Every variant and worker count of one (direction, peer set, size):
 * self-checks and a warm-up each, then rounds that run each (variant,
 * worker count) once in turn.
 */
static int
dp_mw_measure(struct dp *d, bool decap, uint32_t j, unsigned int si)
{
	const struct perf_opts *o = d->o;
	static double v[DP_MAX_VARIANTS][DP_MW_COLS][PERF_MAX_RUNS];
	static double loop[DP_MAX_VARIANTS][DP_MW_COLS][PERF_MAX_RUNS];
	static double scale[DP_MAX_VARIANTS][DP_MW_COLS][PERF_MAX_RUNS];
	const struct dp_variant *var = d->var[decap];
	unsigned int nb = d->nb_var[decap], p, x, r, ncol = 0;
	uint32_t len = d->sizes[si];
	struct dp_mw_cell cells[DP_MAX_VARIANTS][DP_MW_COLS];
	unsigned int col_nw[DP_MW_COLS];
	bool col_spread[DP_MW_COLS];
	struct dp_mw_sample s;

	/* The worker counts, then (--spread) those of 2 or more again,
	 * with all of the traffic arriving on worker 0. */
	for (x = 0; x < o->nb_workers; x++) {
		col_nw[ncol] = o->workers[x];
		col_spread[ncol++] = false;
	}
	for (x = 0; wgd.spread_ring != NULL && x < o->nb_workers; x++) {
		if (o->workers[x] < 2)
			continue;
		col_nw[ncol] = o->workers[x];
		col_spread[ncol++] = true;
	}
	memset(cells, 0, sizeof(cells));
	for (p = 0; p < nb; p++) {
		for (x = 0; x < ncol; x++) {
			unsigned int nw = col_nw[x];

			if (dp_use(d, j, &var[p]) != 0 ||
			    (!col_spread[x] &&
			     (decap ? dp_mw_check_decap(d, j, len, var[p].k,
							nw) :
				      dp_mw_check_encap(d, j, len, &var[p],
							nw)) != 0) ||
			    dp_mw_run(d, decap, j, len, var[p].k, nw, false,
				      o->seconds / 2, o->iterations / 2 +
				      (o->iterations != 0), col_spread[x],
				      &s) != 0)
				return -1;
			cells[p][x].wmin = 1e300;
		}
	}
	for (r = 0; r < o->runs; r++) {
		for (p = 0; p < nb; p++) {
			if (dp_use(d, j, &var[p]) != 0)
				return -1;
			for (x = 0; x < ncol; x++) {
				struct dp_mw_cell *c = &cells[p][x];

				if (dp_mw_run(d, decap, j, len, var[p].k,
					      col_nw[x], false, o->seconds,
					      o->iterations, col_spread[x],
					      &s) != 0)
					return -1;
				v[p][x][r] = s.mpps;
				loop[p][x][r] = s.loop_mpps;
				c->wmin = RTE_MIN(c->wmin, s.wmin);
				c->wmax = RTE_MAX(c->wmax, s.wmax);
				c->pkts += s.pkts;
				c->lost += s.lost;
				c->wasted += s.wasted;
			}
			for (x = 0; x < ncol; x++)
				scale[p][x][r] = v[p][x][r] / v[p][0][r];
		}
	}
	for (p = 0; p < nb; p++) {
		for (x = 0; x < ncol; x++) {
			struct dp_mw_cell *c = &cells[p][x];

			c->mpps = perf_stat_of(v[p][x], o->runs);
			c->loop = perf_stat_of(loop[p][x], o->runs);
			c->scale = perf_stat_of(scale[p][x], o->runs);
			dp_mw_print_row(d, decap, j, len, &var[p], col_nw[x],
					o->workers[0], col_spread[x], c);
		}
	}
	fflush(stdout);
	return 0;
}

/*
 * The CPUs lcores may use: main() pinned this thread to one, so widen
 * the affinity again (the kernel keeps it within the cpuset), then list
 * them, first the one we were pinned to.
 */
static unsigned int
dp_mw_cpus(int first, int *cpus, unsigned int max)
{
	cpu_set_t set;
	unsigned int n = 0;

	CPU_ZERO(&set);
	for (int c = 0; c < CPU_SETSIZE; c++)
		CPU_SET(c, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0 ||
	    sched_getaffinity(0, sizeof(set), &set) != 0) {
		cpus[0] = first;
		return 1;
	}
	if (first >= 0 && CPU_ISSET(first, &set))
		cpus[n++] = first;
	for (int c = 0; c < CPU_SETSIZE && n < max; c++)
		if (CPU_ISSET(c, &set) && c != first)
			cpus[n++] = c;
	return n;
}

/* EAL options after -- that place lcores themselves. */
static bool
dp_mw_user_lcores(const struct perf_opts *o)
{
	for (int i = 0; i < o->extra_argc; i++) {
		const char *a = o->extra_argv[i];

		if (strncmp(a, "-l", 2) == 0 || strncmp(a, "-c", 2) == 0 ||
		    strncmp(a, "--lcores", 8) == 0)
			return true;
	}
	return false;
}

static void
dp_mw_print_setup(const struct dp *d)
{
	const struct perf_opts *o = d->o;
	unsigned int w, cpus, maxw = 0;
	rte_cpuset_t all;

	CPU_ZERO(&all);
	for (w = 0; w < d->nb_workers; w++) {
		rte_cpuset_t s = rte_lcore_cpuset(wgd.workers[w].lcore_id);

		CPU_OR(&all, &all, &s);
	}
	cpus = (unsigned int)CPU_COUNT(&all);
	printf("# test-wg-perf --dataplane --workers: dpdk-wg's data path on "
	       "up to %u worker lcores at once, burst %u, %u runs of ",
	       d->nb_workers, d->burst, o->runs);
	if (o->iterations != 0)
		printf("%" PRIu64 " bursts per worker", o->iterations);
	else
		printf("%.3f s", o->seconds);
	printf(" per cell, interleaved\n# workers (lcore@CPU):");
	for (w = 0; w < d->nb_workers; w++) {
		rte_cpuset_t s = rte_lcore_cpuset(wgd.workers[w].lcore_id);
		int c;

		for (c = 0; c < CPU_SETSIZE && !CPU_ISSET(c, &s); c++)
			;
		printf(" %u@%d%s", wgd.workers[w].lcore_id, c,
		       CPU_COUNT(&s) > 1 ? "+" : "");
	}
	printf("; %u CPU(s) online\n", (unsigned int)sysconf(_SC_NPROCESSORS_ONLN));
	printf("# crypto %s/%s; AllowedIPs rte_acl %s; memory: %s; TSC %.3f GHz\n",
	       wgd.aead_driver->name,
	       wgd.aead_driver->ctx_arch(wgd.workers[0].aead),
	       wg_allowedips_alg(atomic_load(&wgd.allowedips)),
	       d->huge ? "hugepages" : "no hugepages (4 KiB pages)",
	       (double)d->tsc_hz / 1e9);
	printf("# %u uplinks on net_null0..%u, TUN on net_null%u, %u queues "
	       "each (worker i: queue i); %u peers in all, Redundancy = "
	       "duplicate\n", d->nb_uplinks, d->nb_uplinks - 1,
	       d->nb_uplinks, d->nb_workers, wgd.nb_peers);
	printf("# copies for extra paths: chain = header mbuf + indirect "
	       "clone, copy = rte_pktmbuf_copy(); the daemon would use %s "
	       "(auto)\n", d->port_multi_seg[0] ? "chain" : "copy");
	printf("# per-w: each worker's own peers (every N-th of the set, as "
	       "RSS spreads peers);\n"
	       "#   shared: fewer peers than workers, all workers send and "
	       "receive for all of them\n"
	       "#   (one keypair: atomic send counter, lock-free replay "
	       "window); decap: blocks of a\n"
	       "#   burst go to the worker that asks next, path c's copy of "
	       "block b with block b + c\n"
	       "# Mpps: inner packets per second through the data path, the "
	       "sum of the workers' rates\n"
	       "#   (median [min max]); Mpps/w: per worker, [wmin wmax] the "
	       "slowest and fastest worker\n"
	       "#   of any run; Gbit/s: inner bytes\n"
	       "# scale: Mpps / Mpps of the first worker count (%u), median "
	       "and [min max] of per-round\n"
	       "#   ratios; eff: scale per worker added (1.00: linear)\n"
	       "# +fill: Mpps with mbuf allocation and inner packet writing "
	       "counted too\n"
	       "# lost: packets none of whose copies the replay window took "
	       "(too old); wasted: frames\n"
	       "#   opened, then refused by the window (another worker took "
	       "the packet, or the window\n"
	       "#   moved past it, between the peek and the check); sums over "
	       "the measured runs\n"
	       "# !: runs spread over more than 10 %% of the median\n",
	       o->workers[0]);
	for (unsigned int x = 0; x < o->nb_workers; x++)
		maxw = RTE_MAX(maxw, o->workers[x]);
	if (maxw > cpus)
		printf("# NOTE: up to %u workers on %u CPU(s): lcores share "
		       "CPUs, so aggregate rates and\n# scaling above %u "
		       "worker(s) are meaningless here (run on a machine with "
		       ">= %u CPUs)\n", maxw, cpus, cpus, maxw);
}

/* --workers: the measurement of perf_dataplane_run() on N workers. */
static int
dp_mw_setup_lcores(struct dp *d, int core)
{
	const struct perf_opts *o = d->o;
	int cpus[WGD_MAX_WORKERS];
	unsigned int maxw = 0, n, len = 0;

	for (unsigned int x = 0; x < o->nb_workers; x++)
		maxw = RTE_MAX(maxw, o->workers[x]);
	if (maxw > WGD_MAX_WORKERS) {
		fprintf(stderr, "--dataplane: at most %u workers (the "
			"daemon's WGD_MAX_WORKERS)\n", WGD_MAX_WORKERS);
		return -1;
	}
	d->multi = true;
	d->nb_workers = maxw;
	if (dp_mw_user_lcores(o))
		return 0;
	n = dp_mw_cpus(core, cpus, RTE_DIM(cpus));
	d->ncpus = n;
	for (unsigned int w = 0; w < maxw; w++)
		len += (unsigned int)snprintf(d->lcores + len,
			sizeof(d->lcores) - len, "%s%u@%d", w ? "," : "", w,
			cpus[w % n]);
	return 0;
}

int
perf_dataplane_run(const struct perf_opts *o)
{
	static struct dp d;
	unsigned int i, j, max_paths = 0;
	int core = o->core >= 0 ? o->core : sched_getcpu();
	int ret = 1;

	d.o = o;
	d.burst = o->batch;
	if (d.burst > WGD_BURST) {
		fprintf(stderr, "--dataplane: --batch is at most %u\n",
			WGD_BURST);
		return 2;
	}
	if (o->sizes_given) {
		memcpy(d.sizes, o->sizes, sizeof(d.sizes));
		d.nb_sizes = o->nb_sizes;
	} else {
		memcpy(d.sizes, dp_default_sizes, sizeof(dp_default_sizes));
		d.nb_sizes = RTE_DIM(dp_default_sizes);
	}
	for (i = 0; i < d.nb_sizes; i++) {
		if (d.sizes[i] < DP_INNER_MIN || d.sizes[i] > DP_MTU) {
			fprintf(stderr, "--dataplane: sizes are inner IPv4/UDP "
				"packets, %u..%u bytes\n", DP_INNER_MIN, DP_MTU);
			return 2;
		}
	}
	for (i = 0; i < o->nb_paths; i++)
		max_paths = RTE_MAX(max_paths, o->paths[i]);
	d.nb_uplinks = max_paths;
	for (j = 0; j < o->nb_peers; j++) {
		d.sets[j].first = d.nb_peers + 1;
		d.sets[j].n = o->peers[j];
		d.nb_peers += o->peers[j];
	}
	if (d.nb_peers > DP_MAX_PEERS) {
		fprintf(stderr, "--dataplane: at most %u peers in all\n",
			DP_MAX_PEERS);
		return 2;
	}
	d.cur_set = UINT32_MAX;
	dp_variants(&d);
	d.nb_workers = 1;
	if (o->nb_workers > 0 && dp_mw_setup_lcores(&d, core) != 0)
		return 2;

	if (dp_eal_init(&d, core) != 0)
		return 1;
	if (d.multi && rte_lcore_count() < d.nb_workers) {
		fprintf(stderr, "--dataplane: %u workers need %u lcores, EAL "
			"has %u\n", d.nb_workers, d.nb_workers,
			rte_lcore_count());
		rte_eal_cleanup();
		return 1;
	}
	d.tsc_hz = rte_get_tsc_hz();
	if (dp_template(&d) != 0 || dp_setup(&d) != 0 ||
	    dp_check_staged(&d) != 0)
		goto out;
	if (d.multi)
		dp_mw_print_setup(&d);
	else
		dp_print_setup(&d, core);
	for (int dir = 0; dir < 2; dir++) {
		bool decap = dir == 1;

		if (decap ? !o->decap : !o->encap)
			continue;
		if (d.multi)
			dp_mw_print_head(decap);
		else
			dp_print_head(decap);
		for (j = 0; j < o->nb_peers; j++)
			for (i = 0; i < d.nb_sizes; i++)
				if ((d.multi ? dp_mw_measure(&d, decap, j, i) :
				     dp_measure(&d, decap, j, i)) != 0)
					goto out;
	}
	if (d.notes[0] != '\0')
		printf("\n%s", d.notes);
	ret = 0;
out:
	dp_teardown(&d);
	return ret;
}
