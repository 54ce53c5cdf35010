/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * wg-impair [EAL options] -- [impairments] [--pair A:B [impairments]]...
 *           [--seed N] [--stats-interval S] [--idle-us N] [--spin-us N]
 *           [--rt-prio N]
 *
 * A bump in the wire: forwards between the ports of each pair and applies
 * per-direction delay, jitter, loss, reordering and a rate limit (see
 * doc/impair.md). One lcore, the main one, serves every pair: the test
 * machines have two cores and dpdk-wg wants them too.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_pause.h>

#include "impair_model.h"
#include "impair_opts.h"

#define BURST 32
/* Bursts sent per direction per loop turn: the rest waits a turn, so a
 * backlog that fell due at once cannot keep the RX side unpolled. */
#define TX_BURSTS_PER_TURN 8
#define RX_DESC 1024
#define TX_DESC 1024
#define POOL_CACHE 256
/* Empty turns before the loop may sleep: bursts of a train come with
 * short gaps. Few, though: under load the loop must still sleep now and
 * then, or at SCHED_FIFO it would hold the core until the kernel's
 * real-time limit stops it for tens of milliseconds. */
#define IDLE_SPIN_TURNS 8

struct dir_rt {
	struct impair_dir model;
	uint16_t rx_port;
	uint16_t tx_port;
	unsigned int pair;
	enum impair_dir_id id;
	uint64_t tx;			/* handed to the PMD and taken */
	struct rte_mbuf *pend[BURST];	/* released, PMD was full */
	unsigned int npend;
	uint64_t prev_rx;		/* at the last stats print */
	uint64_t prev_tx;
};

static struct impair_opts opts;
static struct dir_rt dirs[2 * IMPAIR_MAX_PAIRS];
static unsigned int ndirs;
static struct rte_mempool *pool;
static uint64_t hz;
static uint64_t spin_ticks;	/* --spin-us */
static volatile sig_atomic_t quit;
static bool started[RTE_MAX_ETHPORTS];	/* to stop and close */

static const char *const dir_names[] = { "a2b", "b2a" };

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static double
ticks_ms(uint64_t t)
{
	return (double)t * 1000.0 / (double)hz;
}

/* ---------------------------------------------------------- set-up */

static int
port_setup(uint16_t port)
{
	struct rte_eth_conf conf = { 0 };
	uint16_t nb_rxd = RX_DESC, nb_txd = TX_DESC;
	int socket = rte_eth_dev_socket_id(port);
	int ret;

	if (socket < 0)
		socket = 0;
	ret = rte_eth_dev_configure(port, 1, 1, &conf);
	if (ret == 0)
		ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
	if (ret == 0)
		ret = rte_eth_rx_queue_setup(port, 0, nb_rxd, socket, NULL,
					     pool);
	if (ret == 0)
		ret = rte_eth_tx_queue_setup(port, 0, nb_txd, socket, NULL);
	if (ret == 0)
		ret = rte_eth_dev_start(port);
	if (ret == 0)
		started[port] = true;
	if (ret != 0) {
		fprintf(stderr, "wg-impair: port %u: set-up failed: %s\n",
			port, rte_strerror(-ret));
		return -1;
	}
	/* A bump in the wire passes frames for any MAC; a PMD without
	 * the knob (or a veth that gets everything anyway) is fine. */
	rte_eth_promiscuous_enable(port);
	return 0;
}

/* Every queued mbuf, plus RX bursts and held-back TX in flight. */
static unsigned int
pool_size(void)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < opts.npairs; i++)
		n += (uint64_t)opts.pair[i].dir[IMPAIR_A2B].queue_pkts +
			opts.pair[i].dir[IMPAIR_B2A].queue_pkts;
	n += (uint64_t)opts.npairs * 2 * (RX_DESC + 2 * BURST) +
		POOL_CACHE * 2;
	/* no rounding up to 2^n - 1: with several pairs that could double
	 * a pool of hugepages that other test processes need too */
	return (unsigned int)RTE_MIN(n, (uint64_t)UINT32_MAX);
}

static int
ports_setup(void)
{
	unsigned int n = pool_size();

	for (unsigned int i = 0; i < opts.npairs; i++) {
		for (int k = 0; k < 2; k++) {
			uint16_t port = opts.pair[i].port[k];

			if (!rte_eth_dev_is_valid_port(port)) {
				fprintf(stderr, "wg-impair: pair %u:%u: no port "
					"%u (%u ports; give one --vdev or device "
					"per port)\n", opts.pair[i].port[0],
					opts.pair[i].port[1], port,
					rte_eth_dev_count_avail());
				return -1;
			}
		}
	}
	pool = rte_pktmbuf_pool_create("impair_pool", n, POOL_CACHE, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE,
				       (int)rte_socket_id());
	if (pool == NULL) {
		fprintf(stderr, "wg-impair: mbuf pool of %u: %s\n", n,
			rte_strerror(rte_errno));
		return -1;
	}
	for (unsigned int i = 0; i < opts.npairs; i++) {
		if (port_setup(opts.pair[i].port[0]) != 0 ||
		    port_setup(opts.pair[i].port[1]) != 0)
			return -1;
	}
	return 0;
}

static const char *
port_name(uint16_t port)
{
	static char names[2][RTE_ETH_NAME_MAX_LEN];
	static unsigned int turn;
	char *buf = names[turn++ % 2];

	if (rte_eth_dev_get_name_by_port(port, buf) != 0)
		snprintf(buf, RTE_ETH_NAME_MAX_LEN, "?");
	return buf;
}

/* Each direction its own stream, derived from the one seed: two pairs
 * with the same settings must not lose the same packets in lockstep. */
static uint64_t
dir_seed(unsigned int index)
{
	return opts.seed ^ (0x9e3779b97f4a7c15ull * (index + 1));
}

static int
dirs_setup(void)
{
	uint64_t now = rte_rdtsc();
	char err[160], desc[256];

	for (unsigned int i = 0; i < opts.npairs; i++) {
		const struct impair_pair_opts *p = &opts.pair[i];

		for (int d = IMPAIR_A2B; d <= IMPAIR_B2A; d++) {
			struct dir_rt *r = &dirs[ndirs];

			r->pair = i;
			r->id = (enum impair_dir_id)d;
			r->rx_port = p->port[d == IMPAIR_A2B ? 0 : 1];
			r->tx_port = p->port[d == IMPAIR_A2B ? 1 : 0];
			if (impair_dir_init(&r->model, &p->dir[d], hz,
					    dir_seed(ndirs), now, err,
					    sizeof(err)) != 0) {
				fprintf(stderr, "wg-impair: %s\n", err);
				return -1;
			}
			ndirs++;
			impair_conf_describe(&p->dir[d], desc, sizeof(desc));
			printf("wg-impair: pair %u %s port %u (%s) -> %u (%s): "
			       "%s\n", i, dir_names[d], r->rx_port,
			       port_name(r->rx_port), r->tx_port,
			       port_name(r->tx_port), desc);
		}
	}
	return 0;
}

/* ------------------------------------------------------ forwarding */

static unsigned int
rx_dir(struct dir_rt *r)
{
	struct rte_mbuf *pkts[BURST];
	uint16_t n = rte_eth_rx_burst(r->rx_port, 0, pkts, BURST);
	uint64_t now;

	if (n == 0)
		return 0;
	/* after the burst: the arrival time is when we could see it */
	now = rte_rdtsc();
	for (uint16_t i = 0; i < n; i++) {
		if (impair_enqueue(&r->model, pkts[i],
				   rte_pktmbuf_pkt_len(pkts[i]), now) !=
		    IMPAIR_QUEUED)
			rte_pktmbuf_free(pkts[i]);
	}
	return n;
}

/* Send, keeping what the PMD did not take for the next turn (in order,
 * before anything newer). */
static unsigned int
tx_send(struct dir_rt *r, struct rte_mbuf **pkts, unsigned int n)
{
	uint16_t k = rte_eth_tx_burst(r->tx_port, 0, pkts, (uint16_t)n);

	r->tx += k;
	if (k < n) {
		memmove(r->pend, pkts + k, (n - k) * sizeof(*pkts));
		r->npend = n - k;
	}
	return k;
}

static unsigned int
tx_dir(struct dir_rt *r, uint64_t now)
{
	struct rte_mbuf *pkts[BURST];
	unsigned int sent = 0, n;

	if (r->npend != 0) {
		memcpy(pkts, r->pend, r->npend * sizeof(*pkts));
		n = r->npend;
		r->npend = 0;
		sent += tx_send(r, pkts, n);
		if (r->npend != 0)
			return sent;
	}
	for (int i = 0; i < TX_BURSTS_PER_TURN; i++) {
		n = impair_dequeue(&r->model, now, (void **)pkts, BURST);
		if (n == 0)
			break;
		sent += tx_send(r, pkts, n);
		if (r->npend != 0 || n < BURST)
			break;
	}
	return sent;
}

static uint64_t
next_event(uint64_t now)
{
	uint64_t next = UINT64_MAX;

	for (unsigned int i = 0; i < ndirs; i++) {
		uint64_t t = dirs[i].npend ? now :
			impair_next_event(&dirs[i].model, now);

		next = RTE_MIN(next, t);
	}
	return next;
}

/* Nothing moved this turn. Poll on for a few turns, then sleep for
 * --idle-us, but never past the next release, and not at all while one
 * is due within --spin-us (a SCHED_OTHER wake-up can be late). */
static void
idle_wait(uint64_t now, unsigned int *idle)
{
	uint64_t next, wait_ns;
	struct timespec ts;

	if (++*idle < IDLE_SPIN_TURNS || opts.idle_us == 0) {
		rte_pause();
		return;
	}
	next = next_event(now);
	if (next <= now)
		return;
	if (next - now < spin_ticks) {
		rte_pause();
		return;
	}
	wait_ns = (uint64_t)((double)(next - now) * 1e9 / (double)hz);
	wait_ns = RTE_MIN(wait_ns, (uint64_t)opts.idle_us * 1000);
	ts.tv_sec = 0;
	ts.tv_nsec = (long)wait_ns;
	nanosleep(&ts, NULL);
}

/* ----------------------------------------------------------- stats */

static void
print_dir(const struct dir_rt *r, const char *tag, double dt)
{
	const struct impair_stats *st = &r->model.st;
	double mean = st->released ?
		ticks_ms(st->delay_sum) / (double)st->released : 0;

	printf("wg-impair: %s pair %u %s port %u->%u: rx %" PRIu64
	       " tx %" PRIu64 " dropped_loss %" PRIu64 " dropped_queue %"
	       PRIu64 " reordered %" PRIu64 " queued %u delay_mean_ms %.3f"
	       " late_max_ms %.3f", tag, r->pair, dir_names[r->id],
	       r->rx_port, r->tx_port, st->rx, r->tx, st->dropped_loss,
	       st->dropped_queue, st->reordered,
	       impair_queued(&r->model) + r->npend, mean,
	       ticks_ms(st->late_max));
	if (dt > 0)
		printf(" rx_pps %.0f tx_pps %.0f",
		       (double)(st->rx - r->prev_rx) / dt,
		       (double)(r->tx - r->prev_tx) / dt);
	printf("\n");
}

static void
print_stats(const char *tag, double dt)
{
	for (unsigned int i = 0; i < ndirs; i++) {
		print_dir(&dirs[i], tag, dt);
		dirs[i].prev_rx = dirs[i].model.st.rx;
		dirs[i].prev_tx = dirs[i].tx;
	}
	fflush(stdout);
}

/* Drops below us: the PMD's counters (af_packet: kernel ring overflow
 * shows as imissed) say whether the figures above are the whole story. */
static void
print_ports(void)
{
	for (unsigned int i = 0; i < opts.npairs; i++) {
		for (int k = 0; k < 2; k++) {
			uint16_t port = opts.pair[i].port[k];
			struct rte_eth_stats s;

			if (rte_eth_stats_get(port, &s) != 0)
				continue;
			printf("wg-impair: port %u: ipackets %" PRIu64
			       " imissed %" PRIu64 " ierrors %" PRIu64
			       " rx_nombuf %" PRIu64 " opackets %" PRIu64
			       " oerrors %" PRIu64 "\n", port, s.ipackets,
			       s.imissed, s.ierrors, s.rx_nombuf, s.opackets,
			       s.oerrors);
		}
	}
}

/* The share of the time spent in loop turns that moved packets: the
 * headroom left, which pps alone does not tell. */
static void
print_busy(uint64_t busy, uint64_t span)
{
	printf("wg-impair: lcore busy %.1f%%\n",
	       span ? 100.0 * (double)busy / (double)span : 0.0);
}

static void
forward_loop(void)
{
	uint64_t interval = (uint64_t)(opts.stats_interval * (double)hz);
	uint64_t last_stats = rte_rdtsc(), busy = 0;
	unsigned int idle = 0;

	while (!quit) {
		uint64_t start = rte_rdtsc(), now;
		unsigned int work = 0;

		for (unsigned int i = 0; i < ndirs; i++)
			work += rx_dir(&dirs[i]);
		now = rte_rdtsc();
		for (unsigned int i = 0; i < ndirs; i++)
			work += tx_dir(&dirs[i], now);
		if (work != 0)
			busy += rte_rdtsc() - start;
		if (interval != 0 && now - last_stats >= interval) {
			print_stats("stats", (double)(now - last_stats) /
				    (double)hz);
			print_busy(busy, now - last_stats);
			busy = 0;
			last_stats = now;
		}
		if (work != 0)
			idle = 0;
		else
			idle_wait(now, &idle);
	}
}

/* -------------------------------------------------------- shutdown */

static void
free_queued(void)
{
	void *pkts[BURST];
	unsigned int n;

	for (unsigned int i = 0; i < ndirs; i++) {
		struct dir_rt *r = &dirs[i];

		rte_pktmbuf_free_bulk(r->pend, r->npend);
		r->npend = 0;
		while ((n = impair_drain(&r->model, pkts, BURST)) > 0)
			rte_pktmbuf_free_bulk((struct rte_mbuf **)pkts, n);
		impair_dir_free(&r->model);
	}
}

static void
shutdown_ports(void)
{
	for (unsigned int i = 0; i < opts.npairs; i++) {
		for (int k = 0; k < 2; k++) {
			uint16_t port = opts.pair[i].port[k];

			if (port >= RTE_MAX_ETHPORTS || !started[port])
				continue;
			rte_eth_dev_stop(port);
			rte_eth_dev_close(port);
			started[port] = false;
		}
	}
	if (pool == NULL)
		return;
	/* every mbuf back: a leak here would be a leak while running */
	if (rte_mempool_avail_count(pool) != pool->size)
		fprintf(stderr, "wg-impair: %u mbufs not returned\n",
			pool->size - rte_mempool_avail_count(pool));
	rte_mempool_free(pool);
	pool = NULL;
}

/* Real time, on request: a SCHED_OTHER wake-up next to busy-polling
 * processes can wait milliseconds for the CPU. */
static void
set_rt(void)
{
	struct sched_param sp = { .sched_priority = (int)opts.rt_prio };

	if (opts.rt_prio == 0)
		return;
	/* A container may forbid it: forwarding still works, only less
	 * accurately, so say so and go on. */
	if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0) {
		fprintf(stderr, "wg-impair: warning: SCHED_FIFO %u: %s; "
			"continuing as SCHED_OTHER\n", opts.rt_prio,
			strerror(errno));
		return;
	}
	printf("wg-impair: SCHED_FIFO priority %u\n", opts.rt_prio);
}

static uint64_t
clock_seed(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec) ^
		((uint64_t)getpid() << 32);
}

static int
parse_args(int argc, char **argv)
{
	char err[256];
	int ret = impair_opts_parse(&opts, argc, argv, err, sizeof(err));

	if (ret < 0)
		fprintf(stderr, "wg-impair: %s\n", err);
	if (ret != 0)
		return ret;
	if (!opts.seed_given)
		opts.seed = clock_seed();
	return 0;
}

int
main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int ret, rc = 1;

	/* Stats go to files in tests: whole lines, as they happen. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "wg-impair: EAL init: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	argv[ret] = argv[0];
	ret = parse_args(argc - ret, argv + ret);
	if (ret != 0) {
		rte_eal_cleanup();
		return ret > 0 ? 0 : 1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* nanosleep's default 50 us slack would eat the accuracy budget */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	hz = rte_get_tsc_hz();
	spin_ticks = hz / 1000000 * opts.spin_us;
	if (rte_lcore_count() > 1)
		printf("wg-impair: only the main lcore forwards; %u others "
		       "stay idle\n", rte_lcore_count() - 1);
	printf("wg-impair: seed %" PRIu64 "\n", opts.seed);
	if (ports_setup() == 0 && dirs_setup() == 0) {
		set_rt();
		printf("wg-impair: forwarding on lcore %u\n", rte_lcore_id());
		forward_loop();
		print_stats("final", 0);
		print_ports();
		rc = 0;
	}
	free_queued();
	shutdown_ports();
	rte_eal_cleanup();
	return rc;
}
