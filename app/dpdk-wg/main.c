/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpdk-wg [EAL options] -- -c FILE [--name NAME] [--stats-interval S]
 *                          [--uapi-dir DIR] [--aead NAME] [--clock-scale K]
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>

#include "wgd.h"
#include "wgd_neigh.h"

struct wgd wgd;

static const char *conf_path;
static char name_buf[WG_CONF_IFNAME_LEN];
static const char *uapi_dir = "/var/run/wireguard";
static const char *aead_name;
static bool interactive;
static const char *cmdline_file;

static void
usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [EAL options] -- -c FILE [options]\n"
		"  -c, --config FILE       wg-quick style config with [Uplink] sections\n"
		"  --name NAME             interface name (default: FILE's base name)\n"
		"  --stats-interval S      print stats every S seconds (0: never)\n"
		"  --uapi-dir DIR          WireGuard UAPI socket directory\n"
		"                          (default /var/run/wireguard; \"none\": no socket)\n"
		"  -i, --interactive       a command prompt on the terminal\n"
		"  --cmdline-file FILE     run the prompt's commands from FILE first\n"
		"  --aead NAME             crypto backend: avx512_mb (default with\n"
		"                          AVX-512), ipsec_mb, sodium or avx2_mb\n"
		"  --clock-scale K         run protocol timers K times faster (tests)\n"
		"  --idle-us N             workers sleep N us when a poll finds nothing\n"
		"                          (0, the default: busy-poll; for shared cores)\n"
		"  --spread on|off         on: a worker falling behind hands half its\n"
		"                          bursts to idle workers, so one peer larger\n"
		"                          than a core is not held to one (its flows'\n"
		"                          packets may be reordered by up to a burst);\n"
		"                          default off\n",
		prog);
}

/* Parse a positive number fully; false on garbage. */
static bool
parse_double(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno == 0 && end != s && *end == '\0' && *out > 0;
}

static int
parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "name", required_argument, NULL, 'n' },
		{ "stats-interval", required_argument, NULL, 's' },
		{ "uapi-dir", required_argument, NULL, 'u' },
		{ "aead", required_argument, NULL, 'a' },
		{ "clock-scale", required_argument, NULL, 'k' },
		{ "idle-us", required_argument, NULL, 'I' },
		{ "spread", required_argument, NULL, 'S' },
		{ "interactive", no_argument, NULL, 'i' },
		{ "cmdline-file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double v;
	int opt;

	wgd.clock_scale = 1.0;
	while ((opt = getopt_long(argc, argv, "c:hi", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			conf_path = optarg;
			break;
		case 'n':
			if (strlen(optarg) == 0 ||
			    strlen(optarg) >= sizeof(name_buf)) {
				fprintf(stderr, "dpdk-wg: bad --name '%s'\n",
					optarg);
				return -1;
			}
			snprintf(name_buf, sizeof(name_buf), "%s", optarg);
			break;
		case 's':
			if (strcmp(optarg, "0") == 0) {
				wgd.stats_interval = 0;
				break;
			}
			if (!parse_double(optarg, &v) || v != (unsigned int)v) {
				fprintf(stderr, "dpdk-wg: bad --stats-interval '%s'\n",
					optarg);
				return -1;
			}
			wgd.stats_interval = (unsigned int)v;
			break;
		case 'u':
			uapi_dir = optarg;
			break;
		case 'a':
			aead_name = optarg;
			break;
		case 'k':
			if (!parse_double(optarg, &v) || v < 1 || v > 1000) {
				fprintf(stderr, "dpdk-wg: bad --clock-scale '%s' (1..1000)\n",
					optarg);
				return -1;
			}
			wgd.clock_scale = v;
			break;
		case 'i':
			interactive = true;
			break;
		case 'f':
			cmdline_file = optarg;
			break;
		case 'S':
			if (strcmp(optarg, "on") != 0 &&
			    strcmp(optarg, "off") != 0) {
				fprintf(stderr, "dpdk-wg: bad --spread '%s' (on or off)\n",
					optarg);
				return -1;
			}
			wgd.spread = strcmp(optarg, "on") == 0;
			break;
		case 'I':
			if (!parse_double(optarg, &v) || v > 100000 ||
			    v != (unsigned int)v) {
				fprintf(stderr, "dpdk-wg: bad --idle-us '%s' (1..100000)\n",
					optarg);
				return -1;
			}
			wgd.idle_us = (unsigned int)v;
			break;
		default:
			usage(argv[0]);
			return -1;
		}
	}
	if (optind != argc || conf_path == NULL) {
		usage(argv[0]);
		return -1;
	}
	return 0;
}

/* A clock running clock_scale times faster than the system's, from now:
 * lets tests see 120-second rekeys in seconds. Realtime is scaled too, so
 * handshake timestamps keep increasing. */
static uint64_t scaled_mono0, scaled_real0;

static uint64_t
scaled(uint64_t now, uint64_t start)
{
	return start + (uint64_t)((double)(now - start) * wgd.clock_scale);
}

static uint64_t
scaled_monotonic(void *arg)
{
	return scaled(wg_clock_system.monotonic_ns(arg), scaled_mono0);
}

static uint64_t
scaled_realtime(void *arg)
{
	return scaled(wg_clock_system.realtime_ns(arg), scaled_real0);
}

static const struct wg_clock scaled_clock = {
	.monotonic_ns = scaled_monotonic,
	.realtime_ns = scaled_realtime,
};

static void
clock_init(void)
{
	if (wgd.clock_scale == 1.0) {
		wgd.clock = &wg_clock_system;
		return;
	}
	scaled_mono0 = wg_clock_system.monotonic_ns(NULL);
	scaled_real0 = wg_clock_system.realtime_ns(NULL);
	wgd.clock = &scaled_clock;
}

#define STOP_DEADLINE_S 5

/* The stop did not finish: something in user space is blocked. Say so and
 * leave; async-signal-safe only. (A thread the kernel holds, such as the
 * main thread closing af_packet sockets in packet_release(), which waits
 * for an RCU grace period, takes no signal: this cannot cut that short.) */
static void
on_stop_deadline(int sig)
{
	static const char msg[] = "dpdk-wg: still running 5 s after the "
				  "stop signal: exiting\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(0);
}

static void
on_signal(int sig)
{
	(void)sig;
	if (!wgd.quit) {
		signal(SIGALRM, on_stop_deadline);
		alarm(STOP_DEADLINE_S);
	}
	wgd.quit = true;
}

static int
load_config(void)
{
	char err[512];
	char *copy;

	if (wg_conf_parse_file(conf_path, &wgd.conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	for (unsigned int i = 0; i < wgd.conf->nwarnings; i++)
		fprintf(stderr, "warning: %s\n", wgd.conf->warnings[i]);
	if (name_buf[0] == '\0') {
		copy = strdup(conf_path);
		if (copy == NULL)
			return -1;
		snprintf(name_buf, sizeof(name_buf), "%.*s",
			 (int)strcspn(basename(copy), "."), basename(copy));
		free(copy);
	}
	wgd.name = name_buf;
	wgd.conf_path = conf_path;
	wgd.listen_port_be = rte_cpu_to_be_16(wgd.conf->listen_port);
	return 0;
}

/* Worker i polls queue i of every uplink and of the TUN port, and sends
 * on queue i; the control lcore has the last TX queue of each uplink. */
static void
assign_queues(void)
{
	for (unsigned int i = 0; i < wgd.nb_workers; i++) {
		struct wgd_worker *w = &wgd.workers[i];

		for (unsigned int u = 0; u < wgd.nb_uplinks; u++) {
			w->rx[w->nb_rx].port_id = wgd.uplinks[u].port_id;
			w->rx[w->nb_rx].queue_id = (uint16_t)i;
			w->rx[w->nb_rx++].uplink = (int16_t)u;
		}
		w->rx[w->nb_rx].port_id = wgd.tun_port;
		w->rx[w->nb_rx].queue_id = (uint16_t)i;
		w->rx[w->nb_rx++].uplink = -1;
		w->txq = (uint16_t)i;
	}
}

static int
setup(void)
{
	const struct wg_aead_driver *drv = wg_aead_driver_find(aead_name);

	if (drv == NULL) {
		fprintf(stderr, "dpdk-wg: no usable crypto backend '%s'\n",
			aead_name ? aead_name : "(default)");
		return -1;
	}
	wgd.aead_driver = drv;
	for (unsigned int i = 0; i < wgd.nb_workers; i++) {
		wgd.workers[i].aead = drv->ctx_create();
		if (wgd.workers[i].aead == NULL)
			return -1;
	}
	wgd.ctrl_aead = drv->ctx_create();
	if (wgd.ctrl_aead == NULL)
		return -1;
	WGD_LOG(INFO, "crypto: %s/%s", drv->name,
		drv->ctx_arch(wgd.ctrl_aead));

	if (wgd_ports_init() != 0 || wgd_tun_create() != 0 ||
	    wgd_control_init() != 0 || wgd_neigh_init() != 0 ||
	    wgd_peers_init() != 0 || wgd_spread_init() != 0)
		return -1;
	assign_queues();
	return 0;
}

#define WORKER_STOP_MS 2000

/*
 * Workers see wgd.quit after their current burst. One that does not stop
 * is blocked in a driver (net_af_packet's transmit waits without a
 * timeout for the kernel to free its ring): it is named, and the daemon
 * exits without it rather than hang.
 */
static bool
workers_stopped(unsigned int ms)
{
	for (unsigned int t = 0; t <= ms; t++) {
		unsigned int running = 0;

		for (unsigned int i = 0; i < wgd.nb_workers; i++)
			running += rte_eal_get_lcore_state(
					wgd.workers[i].lcore_id) == RUNNING;
		if (running == 0)
			return true;
		usleep(1000);
	}
	for (unsigned int i = 0; i < wgd.nb_workers; i++)
		if (rte_eal_get_lcore_state(wgd.workers[i].lcore_id) ==
		    RUNNING)
			WGD_LOG(WARNING, "worker %u (lcore %u) did not stop "
				"within %u ms: exiting without it", i,
				wgd.workers[i].lcore_id, ms);
	return false;
}

static void
assign_workers(void)
{
	unsigned int lcore, n = 0;

	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (n == WGD_MAX_WORKERS)
			break;
		wgd.workers[n].lcore_id = lcore;
		wgd.workers[n].index = n;
		n++;
	}
	wgd.nb_workers = n;
}

int
main(int argc, char **argv)
{
	unsigned int i;
	int ret;

	/* The stats table and the logs reach a file or pipe line by line. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "dpdk-wg: cannot initialise EAL: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	/* From here the daemon's log (rte_log, type "wg") goes to stdout
	 * with the stats table, in order; what stops the start goes to
	 * stderr. */
	rte_openlog_stream(stdout);
	argc -= ret;
	argv += ret;
	argv[0] = "dpdk-wg";
	if (parse_args(argc, argv) != 0 || load_config() != 0)
		goto fail;

	assign_workers();
	if (wgd.nb_workers == 0) {
		fprintf(stderr, "dpdk-wg: needs at least 2 lcores (-l 0-1): "
			"one control, one worker\n");
		goto fail;
	}
	clock_init();
	wgd.uapi_dir = strcmp(uapi_dir, "none") == 0 ? NULL : uapi_dir;
	pthread_mutex_init(&wgd.ctl_lock, NULL);
	if (setup() != 0)
		goto fail;

	if (wgd_uapi_init() != 0 || wgd_telemetry_init() != 0 ||
	    wgd_cli_init(interactive, cmdline_file) != 0)
		goto fail;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (i = 0; i < wgd.nb_workers; i++)
		rte_eal_remote_launch(wgd_worker_main, &wgd.workers[i],
				      wgd.workers[i].lcore_id);
	/* Scripts wait for this line: its form is fixed. */
	rte_log(RTE_LOG_NOTICE, wgd_logtype,
		"dpdk-wg: %s up, %u worker(s), %u uplink(s), %u peer(s)\n",
		wgd.name, wgd.nb_workers, wgd.nb_uplinks, wgd.nb_peers);

	wgd_control_loop();

	if (!workers_stopped(WORKER_STOP_MS)) {
		/* Freeing what a running worker uses would crash it, and
		 * closing its ports could wait as long: leave both to the
		 * process exit. */
		wgd_cli_close();
		wgd_uapi_close();
		wgd_stats_print();
		return 0;
	}
	rte_eal_mp_wait_lcore();
	wgd_cli_close();
	wgd_uapi_close();
	wgd_stats_print();
	wgd_spread_free();
	wgd_peers_free();
	wgd_neigh_free();
	wgd_ports_close();
	wg_conf_free(wgd.conf);
	rte_eal_cleanup();
	return 0;
fail:
	wgd_cli_close();
	wgd_uapi_close();
	wgd_ports_close();
	wg_conf_free(wgd.conf);
	rte_eal_cleanup();
	return 1;
}
