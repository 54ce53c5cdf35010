/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef WGD_H
#define WGD_H

/**
 * @file
 * dpdk-wg: the daemon's shared state.
 *
 * The main lcore is the control lcore: handshakes, timers, neighbours,
 * stats. Every other lcore is a worker polling its share of the uplink RX
 * queues and of the exception (TUN) interface. Workers read peers,
 * keypairs and paths without locks: the control lcore publishes changes
 * with atomics and frees what it replaced after an RCU grace period.
 */

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_log.h>
#include <rte_hash.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "wg_aead.h"
#include "wg_conf.h"
#include "wg_device.h"
#include "wg_net.h"

#define WGD_BURST 32
#define WGD_MAX_WORKERS 16
#define WGD_MAX_UPLINKS 8
#define WGD_STAGED_PER_PEER 128
#define WGD_CTRL_RING_SIZE 1024
#define WGD_EVENT_RING_SIZE 4096

/* Data-path drop reasons, after the protocol core's. */
enum wgd_drop {
	WGD_DROP_NOT_FOR_US = WG_DROP_REASON_MAX,  /**< uplink traffic not ours */
	WGD_DROP_MALFORMED,        /**< frame that does not parse */
	WGD_DROP_CTRL_RING_FULL,   /**< control lcore overloaded */
	WGD_DROP_BAD_INNER,        /**< decrypted packet is not IP */
	WGD_DROP_ALLOWEDIPS_RX,    /**< inner source not the peer's */
	WGD_DROP_NO_PEER,          /**< inner destination in no AllowedIPs */
	WGD_DROP_STAGED_FULL,      /**< queue waiting for a handshake full */
	WGD_DROP_NO_ROUTE,         /**< peer has no usable path */
	WGD_DROP_NO_HEADROOM,
	WGD_DROP_TX_FULL,          /**< port did not take the packet */
	WGD_DROP_MAX,
};

const char *wgd_drop_name(unsigned int reason);

/** Per-lcore counters: one writer each, read by the stats printer. */
struct wgd_lcore_stats {
	uint64_t uplink_rx_pkts, uplink_rx_bytes;
	uint64_t uplink_tx_pkts, uplink_tx_bytes;
	uint64_t tun_rx_pkts, tun_tx_pkts;
	uint64_t decrypted, encrypted;
	uint64_t crypto_batches;
	uint64_t spread_out;       /**< received, handed to other workers */
	uint64_t spread_in;        /**< taken from the spread ring */
	uint64_t drops[WGD_DROP_MAX];
} __rte_cache_aligned;

void wgd_stats_sum(struct wgd_lcore_stats *sum);
/** sum += s, counter by counter. */
void wgd_stats_add(struct wgd_lcore_stats *sum,
		   const struct wgd_lcore_stats *s);

struct wgd_uplink {
	const struct wg_conf_uplink *conf;
	uint16_t port_id;
	uint16_t nb_rxq, nb_txq;
	struct rte_ether_addr mac;
	bool tx_cksum_offload;
	bool tx_multi_seg;         /**< can send mbuf chains */
	uint8_t addr4[4];          /**< first IPv4 address, if has4 */
	uint8_t addr6[16];
	bool has4, has6;
	/* Control lcore: an uplink is usable while its link is up and no
	 * one has set it down by hand (prompt: set uplink NAME down). */
	char kernel_iface[16];     /**< af_packet/af_xdp: the interface */
	bool link_down;
	bool admin_down;
	uint64_t link_checked_ns;
};

#define WGD_MAX_PATHS 8
/** Failover probes lost in a row that take a path down (and restart its
 * FailbackHold); fewer are loss, not an outage. */
#define WGD_PROBES_LOST_DOWN 3
#define WGD_ARRIVALS 1024          /**< duplicate mode: first-arrival times */

/** One way to a peer: an uplink, our address on it, an endpoint. */
struct wgd_path {
	uint16_t uplink;           /**< index in wgd.uplinks */
	bool resolved;             /**< next hop known: can send */
	bool learnt;               /**< seen, not configured */
	struct wg_net_path net;
};

/**
 * Every path of a peer and those its data goes out on, published as one
 * immutable set (RCU). A path's index is its stats slot: stable while the
 * peer lives, except that a new learnt path may take an old learnt one's.
 */
struct wgd_pathset {
	unsigned int nb_paths;
	unsigned int nb_tx;        /**< 0: nowhere to send yet */
	uint8_t tx[WGD_MAX_PATHS]; /**< indices into path[] */
	struct wgd_path path[WGD_MAX_PATHS];
	/** path[i].net's outer headers, built before the set is published
	 * (it never changes after); apart, so that matching a packet to its
	 * path (decap) reads only path[]. */
	struct wg_net_hdr hdr[WGD_MAX_PATHS];
};

/** Per path, per lcore (one writer each). */
struct wgd_path_stats {
	/* What every packet sent or received writes: one line. */
	uint64_t tx_pkts, tx_bytes;
	uint64_t tx_data;          /**< tx_pkts that were not keepalives */
	uint64_t rx_pkts, rx_bytes;
	uint64_t first;            /**< packets this path delivered first */
	uint64_t dup;              /**< copies the replay window dropped */
	uint64_t max_counter;      /**< highest counter seen on the path */
	/* The rarer cases. */
	uint64_t too_old;          /**< copies that came after the window */
	uint64_t delay_sum_ns;     /**< duplicates: sum of lag behind first */
	uint64_t delay_n;
	/* Two lines in all: in a row that starts a line (pstats), each
	 * path's first line holds what every packet writes. Padding, not
	 * an alignment attribute: copies elsewhere need no aligned memory. */
	uint64_t pad[5];
};
_Static_assert(sizeof(struct wgd_path_stats) == 128,
	       "wgd_path_stats: 128 bytes, so that each path's hot counters "
	       "start a 64-byte line of a row that starts one");

/**
 * What one lcore did for a peer, written once per run of the peer's
 * packets in a burst: when it last received an authenticated packet and
 * one with data, when it last sent (monotonic ns; the control lcore turns
 * the latest of all lcores into timer events), and the bytes received and
 * sent (as WireGuard counts them: messages, once however many paths carry
 * them). One line per lcore with one writer: stores and plain adds, no
 * locked add that would wait for the store buffer to drain, and no line
 * that lcores working for one peer would pass back and forth.
 */
struct wgd_peer_lcore {
	_Atomic uint64_t rx_auth_ns, rx_data_ns, tx_auth_ns, tx_data_ns;
	_Atomic uint64_t rx_bytes, tx_bytes;
} __rte_cache_aligned;

/** The lcores' lines of a peer, summed (bytes) and latest (stamps). */
struct wgd_peer_activity {
	uint64_t rx_auth_ns, rx_data_ns, tx_auth_ns, tx_data_ns;
	uint64_t rx_bytes, tx_bytes;
};

/** count += n, by its only writer. */
static inline void
wgd_count_add(_Atomic uint64_t *count, uint64_t n)
{
	atomic_store_explicit(count, atomic_load_explicit(count,
			      memory_order_relaxed) + n, memory_order_relaxed);
}

/** When a counter first arrived, and on which path (duplicate mode).
 * Workers share the ring (copies of one packet may reach two workers):
 * relaxed atomics, as it only feeds the lag estimate. */
struct wgd_arrival {
	_Atomic uint64_t counter;
	_Atomic uint64_t ns;
	_Atomic uint8_t slot;
};

/* Events a worker raises for the control lcore, on the event ring; a
 * per-peer bit keeps one of each kind in flight. */
enum wgd_event_type {
	WGD_EV_CONFIRM = 1 << 0,   /**< a keypair in next authenticated data */
	WGD_EV_ROAM = 1 << 1,      /**< authenticated packet from a new source */
	WGD_EV_HANDSHAKE = 1 << 2, /**< no usable keypair, or time to rekey */
	WGD_EV_FLUSH = 1 << 3,     /**< packets staged with a keypair ready */
};

struct wgd_event {
	uint32_t type;
	uint32_t peer_id;
	struct wg_keypair *kp;     /**< CONFIRM */
	uint16_t uplink;           /**< ROAM: where it came from */
	uint16_t pad;
	struct wg_net_path back;   /**< ROAM: the way back to the sender */
};

/* Ring elements are a multiple of 4 bytes. */
_Static_assert(sizeof(struct wgd_event) % 4 == 0, "event size");

/** The way back to whoever sent frame m (parsed into info). */
void wgd_reverse_path(const struct wg_net_info *info,
		      const struct rte_mbuf *m, struct wg_net_path *path);

/** A peer as the data path sees it. */
struct wgd_peer {
	/* Read by every lcore, changed by the control lcore only. */
	uint32_t id;                          /**< 1-based, AllowedIPs userdata */
	struct wg_peer *core;
	/** conf->redundancy, fixed for the peer's life: workers read
	 * this, never conf, which the control lcore replaces. */
	enum wg_conf_redundancy redundancy;
	/** Its paths, or NULL: swapped by the control lcore, the old set
	 * freed after a grace period. */
	_Atomic(struct wgd_pathset *) paths;
	/** Packets waiting for a keypair or a path (MP/SC). */
	struct rte_ring *staged;
	/** [lcore slot][path]: workers 0..n-1, then the control lcore. */
	struct wgd_path_stats (*pstats)[WGD_MAX_PATHS];
	struct wgd_arrival *arrivals;         /**< duplicate mode only */
	/** [lcore slot]: activity stamps and byte counts, read together by
	 * wgd_peer_activity_get(). */
	struct wgd_peer_lcore *lc;

	/** Events in flight (enum wgd_event_type bits): set by the worker
	 * that raises one, cleared by the control lcore when handled. */
	alignas(RTE_CACHE_LINE_SIZE) _Atomic uint32_t pending;

	/** Its settings, owned by the peer (the UAPI changes them);
	 * control lcore only. */
	struct wg_conf_peer *conf;
	bool removing;                        /**< being removed (UAPI) */
	uint64_t seen_rx_auth, seen_rx_data, seen_tx_auth, seen_tx_data;
	/* Control lcore only. */
	int16_t uplink_hint;                  /**< where the endpoint was seen */
	bool has_pending_hs;                  /**< initiation waiting for a path */
	uint8_t pending_hs[WG_MSG_INITIATION_LEN];
	struct wgd_path cand[WGD_MAX_PATHS];  /**< every known path */
	unsigned int nb_cand;
	struct {
		uint64_t rx, max_counter;
	} prev[WGD_MAX_PATHS];                /**< at the last stats print */
	uint64_t skew_ns, skew_counter;       /**< rate at the last print */
	/* Failover (control lcore, real time). */
	struct wgd_path_health {
		uint64_t rx_pkts, tx_pkts;    /**< counters at the last tick */
		uint64_t last_rx_ns;          /**< authenticated packet on it */
		uint64_t unanswered_ns;       /**< data sent, nothing back since */
		uint64_t up_since_ns;         /**< live since; 0: not live */
		uint64_t hold_until_ns;       /**< not preferred before */
		unsigned int probes_lost;     /**< probes in a row unanswered */
		unsigned int failures;        /**< died while active */
	} health[WGD_MAX_PATHS];
	int active;                           /**< failover: data path, -1 */
	uint64_t active_since_ns;
	uint64_t next_probe_ns;
	unsigned int probe_rr;                /**< next path in turn */
	unsigned int probe_turns;             /**< turns with a failback path */
	int probe_slot;                       /**< probe being sent, or -1 */
	/** The path the last initiation went out on, if it was a probe;
	 * else -1: its response proves that path. */
	int probe_last;
};

struct wgd_worker {
	unsigned int lcore_id;
	unsigned int index;                   /**< 0..nb_workers-1 */
	uint16_t nb_rx;
	struct {
		uint16_t port_id;
		uint16_t queue_id;
		int16_t uplink;                 /**< -1: the TUN port */
	} rx[WGD_MAX_UPLINKS * 4 + 4];
	uint16_t txq;                         /**< our TX queue on every port */
	bool idle;                            /**< own queues empty (spread) */
	struct wg_aead_ctx *aead;
	struct wgd_lcore_stats stats;
};

struct wgd {
	const char *name;
	const char *conf_path;
	struct wg_conf *conf;
	struct wg_device *dev;
	const struct wg_clock *clock;
	double clock_scale;
	uint16_t listen_port_be;

	struct rte_mempool *pool;
	struct wgd_uplink uplinks[WGD_MAX_UPLINKS];
	unsigned int nb_uplinks;
	uint16_t tun_port;

	/** Slots 1..nb_peer_slots ([0] unused: ids are 1-based); a slot is
	 * live while its core is set (wgd_peer_live()). Peers come and go at
	 * run time through the UAPI; a freed slot is reused only after a
	 * grace period. */
	struct wgd_peer *peers;
	unsigned int nb_peer_slots;
	unsigned int nb_peers;                /**< live ones */
	struct wg_allowedips *_Atomic allowedips;
	struct rte_hash *index_hash;          /**< receiver index -> keypair */

	struct rte_rcu_qsbr *qsbr;
	struct rte_ring *ctrl_ring;           /**< handshake, ARP, ND mbufs */
	struct rte_ring *ctrl_tx_ring;        /**< control lcore's frames out */
	struct rte_ring *event_ring;          /**< struct wgd_event elements */
	struct rte_rcu_qsbr_dq *defer_queue;  /**< keypairs, after a grace period */
	struct rte_rcu_qsbr_dq *path_defer_queue;

	const struct wg_aead_driver *aead_driver;
	struct wgd_worker workers[WGD_MAX_WORKERS];
	unsigned int nb_workers;
	struct wg_aead_ctx *ctrl_aead;
	struct wgd_lcore_stats ctrl_stats;

	/** Spreading (--spread): bursts a busy worker hands to idle ones,
	 * whatever queue they came from; NULL: off. */
	struct rte_ring *spread_ring;
	bool spread;                          /**< asked for (default: off) */
	/** Workers whose own queues were empty at their last poll: only
	 * while one is, is a burst worth handing over. A line of its own:
	 * workers write it, and read what is around it every loop. */
	alignas(RTE_CACHE_LINE_SIZE) _Atomic unsigned int spread_idle;

	unsigned int stats_interval;
	unsigned int idle_us;                 /**< worker sleep on empty polls */
	/** Held by the control lcore for each turn of its loop; other
	 * threads (telemetry) take it to read control state consistently. */
	pthread_mutex_t ctl_lock;
	const char *uapi_dir;
	volatile bool quit;
};

extern struct wgd wgd;

/** dpdk-wg's log type, "wg": --log-level=wg:debug. Keys never go in. */
extern int wgd_logtype;
#define WGD_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, wgd_logtype, "%s: " fmt "\n", \
		wgd.name != NULL ? wgd.name : "dpdk-wg", ## __VA_ARGS__)

/** Monotonic ns on the daemon's (possibly scaled) clock. */
static inline uint64_t
wgd_now(void)
{
	return wgd.clock->monotonic_ns(wgd.clock->arg);
}

static inline bool
wgd_peer_live(const struct wgd_peer *p)
{
	return p->core != NULL && !p->removing;
}

/** Peer p's id-th slot, or NULL if id names no live peer. */
static inline struct wgd_peer *
wgd_peer_get(uint32_t id)
{
	if (id == 0 || id > wgd.nb_peer_slots ||
	    !wgd_peer_live(&wgd.peers[id]))
		return NULL;
	return &wgd.peers[id];
}

#define WGD_FOREACH_PEER(p) \
	for (unsigned int wgd_i_ = 1; wgd_i_ <= wgd.nb_peer_slots; wgd_i_++) \
		if (((p) = &wgd.peers[wgd_i_]), wgd_peer_live(p))

/* wgd_port.c */
int wgd_ports_init(void);
/** The uplink's link is down (carrier lost, or its interface down). */
bool wgd_port_link_down(const struct wgd_uplink *up);
void wgd_ports_close(void);

/* wgd_tun.c */
int wgd_tun_create(void);

/* wgd_peer.c */
int wgd_peers_init(void);
void wgd_peers_free(void);
struct wgd_peer *wgd_peer_of(const struct wg_peer *core);
/** A peer's activity: the latest stamps and the bytes of all lcores. */
void wgd_peer_activity_get(const struct wgd_peer *p,
			   struct wgd_peer_activity *a);
/** A peer's bytes received and sent, summed over the lcores. */
void wgd_peer_bytes_sum(const struct wgd_peer *p, uint64_t *rx, uint64_t *tx);
/** The live peer with this public key, or NULL. */
struct wgd_peer *wgd_peer_find(const uint8_t public_key[WG_KEY_LEN]);

/*
 * Run-time changes (the UAPI), control lcore only. A change is made of
 * steps that cannot fail once the new AllowedIPs table is built:
 * wgd_peer_add() the new peers, wgd_allowedips_publish() the table,
 * wgd_peer_set_conf() the changed ones, wgd_peers_remove() the removed.
 */
/** A free slot above after (0: the lowest), or 0 when all are taken. */
uint32_t wgd_peer_free_slot(uint32_t after);
/** Create a peer in slot id with conf (the peer takes it over). */
int wgd_peer_add(uint32_t id, struct wg_conf_peer *conf);
/** Give a peer new settings (it takes conf over; the old are freed). */
void wgd_peer_set_conf(struct wgd_peer *p, struct wg_conf_peer *conf,
		       const struct wg_endpoint *endpoint);
/** Remove peers the published AllowedIPs no longer name: their keys are
 * wiped at once, the rest after one grace period. */
void wgd_peers_remove(struct wgd_peer *const ps[], unsigned int n);
/** An AllowedIPs table from conf[id] for ids 1..nb_peer_slots (NULL:
 * no peer), or NULL with a message in err. */
struct wg_allowedips *wgd_allowedips_build(
		const struct wg_conf_peer *const conf[], char *err,
		size_t errlen);
/** Make a table the workers' and free the old one after a grace period. */
void wgd_allowedips_publish(struct wg_allowedips *a);

/* wgd_tx.c */
/**
 * Seal n inner packets for their peers and send them: pads, seals in one
 * batch, adds outer headers and transmits on queue txq of each uplink
 * (-1: through the control lcore's ring), on every path the peer's data
 * takes. lslot is the caller's stats slot (worker index; nb_workers for
 * the control lcore). Packets with no keypair or path are staged and a
 * handshake is asked for.
 */
void wgd_tx_burst(struct wg_aead_ctx *aead, struct wgd_lcore_stats *st,
		  unsigned int lslot, int txq, struct wgd_peer *const peers[],
		  struct rte_mbuf *pkts[], unsigned int n, uint64_t now);
/** Send one sealed message m on the tx paths of ps (copies share its
 * data); out: NULL to send at once. */
void wgd_send_sealed(struct wgd_lcore_stats *st, unsigned int lslot, int txq,
		     struct wgd_peer *p, const struct wgd_pathset *ps,
		     struct rte_mbuf *m, uint32_t inner_len, uint64_t now,
		     void *out);
/** Raise an event for the control lcore unless one of its kind is in
 * flight for the peer. */
void wgd_event_raise(struct wgd_lcore_stats *st, struct wgd_peer *p,
		     const struct wgd_event *ev);
void wgd_drop(struct wgd_lcore_stats *st, struct rte_mbuf *m,
	      unsigned int reason);

/* wgd_worker.c */
int wgd_worker_main(void *arg);
/** One burst from an uplink: open transport data, pass handshakes, ARP
 * and ND to the control lcore; opened packets go to the TUN port. */
void wgd_uplink_rx(struct wgd_worker *w, uint16_t uplink,
		   struct rte_mbuf **pkts, unsigned int n, uint64_t now);
/** One burst from the TUN port: map to peers and seal (txq as
 * wgd_tx_burst() takes it). */
void wgd_tun_rx(struct wgd_worker *w, struct rte_mbuf **pkts, unsigned int n,
		uint64_t now, int txq);
/**
 * A burst a worker received on port_id (uplink index, or -1: the TUN),
 * as its poll loop handles it: with spreading, the second half of a full
 * burst may go to the spread ring (true), the rest is opened or sealed.
 */
bool wgd_worker_rx(struct wgd_worker *w, uint16_t port_id, int uplink,
		   struct rte_mbuf **pkts, uint16_t n, uint64_t now);
/** Take one burst from the spread ring and handle it as if it had come
 * in on the worker's own queues; returns how many packets. */
unsigned int wgd_spread_poll(struct wgd_worker *w, uint64_t now);
/** The spread ring, with 2 or more workers and wgd.spread. */
int wgd_spread_init(void);
/** Free the ring and the packets still on it (workers stopped). */
void wgd_spread_free(void);

/* wgd_control.c */
int wgd_control_init(void);
/** Send a ready frame on an uplink from the control lcore. */
void wgd_ctrl_send_raw(uint16_t uplink, struct rte_mbuf *m);
/** Send a WireGuard message on a path from the control lcore. */
void wgd_ctrl_send(uint16_t uplink, const struct wg_net_path *path,
		   struct rte_mbuf *m);
/** A copy of a WireGuard message in a new mbuf, or NULL. */
struct rte_mbuf *wgd_msg_mbuf(const void *msg, size_t len);
/** Seal and send what waited for a keypair or a path. */
unsigned int wgd_flush_staged(struct wgd_peer *p);

/* wgd_path.c */
/** The configured paths of a peer: its uplinks times its endpoints. */
void wgd_paths_init(struct wgd_peer *p);
/**
 * Rebuild and publish a peer's path set. seen (may be NULL) is the way
 * back to a sender that just authenticated on seen_uplink: its endpoint
 * becomes a path, and its MAC serves until the neighbour resolves.
 */
void wgd_peer_update_path(struct wgd_peer *p, int seen_uplink,
			  const struct wg_net_path *seen);
/** Rebuild every peer's paths (a neighbour's MAC changed or resolved). */
void wgd_paths_refresh(void);
/** Keep the neighbour entries of the paths in use alive. */
void wgd_paths_keepalive(void);
/** The path a frame from src on uplink came by, or -1. */
int wgd_path_find(const struct wgd_pathset *ps, uint16_t uplink,
		  const struct wg_endpoint *src);
/** rte_rcu_qsbr_dq free callback for path sets. */
void wgd_pathset_free(void *arg, void *entries, unsigned int n);
/** Failover: liveness, switching, failback and probes; every tick. */
void wgd_paths_tick(void);
/** A handshake answer from src on uplink: the path is alive; and so is
 * the path the probe it answers went out on. */
void wgd_path_heard(struct wgd_peer *p, uint16_t uplink,
		    const struct wg_endpoint *src);
/** A new initiation replaces the probe in flight: that probe is lost. */
void wgd_path_probe_superseded(struct wgd_peer *p);
/** Slot i takes a new path: its liveness, failures, hold and probe go. */
void wgd_path_health_reset(struct wgd_peer *p, unsigned int i);
/** Print a peer's paths (stats table). */
void wgd_paths_print(struct wgd_peer *p);
/** Set an uplink down or up by hand (its paths die or come back). */
void wgd_uplink_set_admin(unsigned int uplink, bool up);
/** Uplink index by name, or -1. */
int wgd_uplink_by_name(const char *name);
void wgd_control_loop(void);
/** Handle every event workers have raised so far (after a grace
 * period, no worker raises one for a removed peer). */
void wgd_events_drain(void);

/* wgd_stats.c */
void wgd_stats_print(void);
/** Zero what the prompt and the stats table show (clear stats). */
void wgd_stats_clear(void);

/* wgd_uapi.c: the WireGuard UAPI socket, served by the control lcore. */
int wgd_uapi_init(void);
void wgd_uapi_poll(void);
void wgd_uapi_close(void);

/* wgd_telemetry.c: /wg/... commands for dpdk-telemetry.py. */
int wgd_telemetry_init(void);

/* wgd_cli.c: the -i prompt and --cmdline-file, polled by the control
 * lcore. */
int wgd_cli_init(bool interactive, const char *script);
void wgd_cli_poll(void);
void wgd_cli_close(void);

#endif /* WGD_H */
