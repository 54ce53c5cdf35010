/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The prompt (-i) and --cmdline-file, on rte_cmdline as in dpdk-testpmd:
 * the file's commands run first, one line per turn of the control loop,
 * then the prompt reads the terminal (or whatever stdin is). Everything
 * runs on the control lcore from wgd_cli_poll(), with wgd.ctl_lock held,
 * and never blocks: the loop turns every ~100 us when idle.
 *
 * cmdline_poll() is not used for the prompt: it reads one byte per call
 * and cannot tell end of input from a byte (at EOF it feeds 0xff forever).
 * We poll stdin ourselves and feed what is there to cmdline_in().
 *
 * Nothing here prints a private or preshared key: show config writes
 * "(hidden)" in their place.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmdline.h>
#include <cmdline_parse.h>
#include <cmdline_parse_string.h>
#include <cmdline_rdline.h>
#include <cmdline_socket.h>
#include <rte_byteorder.h>
#include <rte_lcore.h>

#include "wg_crypto.h"
#include "wgd.h"
#include "wgd_stats.h"

#define PROMPT "dpdk-wg> "
#define LINE_MAX_LEN 512       /**< as the prompt's line editor */

static struct {
	bool interactive;          /**< -i: a prompt once the file is done */
	bool tty;                  /**< stdin is a terminal (raw mode) */
	struct cmdline *prompt;
	struct cmdline *script_cl; /**< parses the file's lines, no I/O */
	FILE *script;
	const char *script_path;
	unsigned int script_line;
	uint64_t cleared_ns;       /**< clear stats, real monotonic; 0: never */
	/** show paths: each path's counters at the previous show. */
	struct wgd_loss_mark (*marks)[WGD_MAX_PATHS];
} cli;

static uint64_t
real_ns(void)
{
	return wg_clock_system.monotonic_ns(NULL);
}

/* ---- show peers ---- */

static void
print_list_sep(unsigned int i)
{
	if (i > 0)
		printf(", ");
}

static void
show_peer(const struct wgd_peer *p, uint64_t real_now)
{
	const struct wg_conf_peer *cp = p->conf;
	const struct wg_peer *core = p->core;
	const struct wgd_pathset *ps = atomic_load(&p->paths);
	char key[45], buf[WG_CONF_ENDPOINT_STRLEN];
	uint64_t rx, tx;
	unsigned int i;

	wg_key_to_base64(key, core->public_key);
	printf("peer: %s\n  id: %u\n", key, p->id);
	if (cp->has_psk)
		printf("  preshared key: (hidden)\n");
	if (core->endpoint.family != WG_AF_NONE &&
	    wg_conf_format_endpoint(&core->endpoint, buf, sizeof(buf)) != NULL)
		printf("  endpoint: %s\n", buf);
	else
		printf("  endpoint: (none)\n");
	printf("  allowed ips: ");
	for (i = 0; i < cp->nallowed; i++) {
		print_list_sep(i);
		printf("%s", wg_conf_format_prefix(&cp->allowed_ips[i], buf,
						    sizeof(buf)));
	}
	printf("%s\n", cp->nallowed == 0 ? "(none)" : "");
	if (core->last_handshake_realtime != 0)
		printf("  latest handshake: %" PRIu64 " s ago\n",
		       (uint64_t)((real_now - core->last_handshake_realtime) /
				  WG_NS_PER_SEC));
	else
		printf("  latest handshake: never\n");
	wgd_peer_bytes_get(p, &rx, &tx, true);
	printf("  transfer: %" PRIu64 " B received, %" PRIu64 " B sent\n",
	       rx, tx);
	if (core->persistent_keepalive_interval != 0)
		printf("  persistent keepalive: every %u s\n",
		       core->persistent_keepalive_interval);
	else
		printf("  persistent keepalive: off\n");
	printf("  redundancy: %s\n  uplinks: ",
	       wg_conf_redundancy_name(cp->redundancy));
	for (i = 0; i < cp->nuplinks; i++) {
		print_list_sep(i);
		printf("%s", wgd.uplinks[cp->uplinks[i]].conf->name);
	}
	printf("\n  paths: %u (%u active)\n  staged: %u\n",
	       ps != NULL ? ps->nb_paths : 0, ps != NULL ? ps->nb_tx : 0,
	       rte_ring_count(p->staged));
}

static void
show_peers(void)
{
	uint64_t now = wgd.clock->realtime_ns(wgd.clock->arg);
	struct wgd_peer *p;

	if (wgd.nb_peers == 0)
		printf("no peers\n");
	WGD_FOREACH_PEER(p)
		show_peer(p, now);
}

/* ---- show paths ---- */

static void
show_path(const struct wgd_peer *p, const struct wgd_pathset *ps,
	  unsigned int i)
{
	const struct wgd_path *path = &ps->path[i];
	char src[WG_CONF_ENDPOINT_STRLEN] = "?", dst[WG_CONF_ENDPOINT_STRLEN];
	char loss[16] = "n/a";
	struct wgd_path_stats st;
	int32_t ppm = -1;

	if (path->net.src.family != WG_AF_NONE)
		wg_conf_format_endpoint(&path->net.src, src, sizeof(src));
	wg_conf_format_endpoint(&path->net.dst, dst, sizeof(dst));
	wgd_path_stats_get(p, i, &st, true);
	if (cli.marks == NULL)
		cli.marks = calloc(wgd.nb_peer_slots + 1, sizeof(*cli.marks));
	if (cli.marks != NULL)
		ppm = wgd_path_loss_ppm(&cli.marks[p - wgd.peers][i], &st);
	if (ppm >= 0)
		snprintf(loss, sizeof(loss), "%.1f%%", (double)ppm / 1e4);
	printf("  path %u: %s %s -> %s%s %s: tx %" PRIu64 " pkts %" PRIu64
	       " B, rx %" PRIu64 " pkts %" PRIu64 " B, first %" PRIu64
	       ", dup %" PRIu64 ", too_old %" PRIu64 ", lag %.2f ms, loss %s\n",
	       i, wgd.uplinks[path->uplink].conf->name, src, dst,
	       path->learnt ? " (learnt)" : "", wgd_path_state(p, ps, i),
	       st.tx_pkts, st.tx_bytes, st.rx_pkts, st.rx_bytes, st.first,
	       st.dup, st.too_old, (double)wgd_path_lag_ns(&st) / 1e6, loss);
}

static void
show_paths(void)
{
	struct wgd_peer *p;
	char key[45];

	if (wgd.nb_peers == 0)
		printf("no peers\n");
	WGD_FOREACH_PEER(p) {
		const struct wgd_pathset *ps = atomic_load(&p->paths);

		wg_key_to_base64(key, p->core->public_key);
		printf("peer %u %s (%s)\n", p->id, key,
		       wg_conf_redundancy_name(p->conf->redundancy));
		if (ps == NULL || ps->nb_paths == 0)
			printf("  (no paths)\n");
		for (unsigned int i = 0; ps != NULL && i < ps->nb_paths; i++)
			show_path(p, ps, i);
	}
}

/* ---- show stats ---- */

static void
print_counters(const char *who, const struct wgd_lcore_stats *st,
	       bool dev)
{
	bool any = false;

	printf("%s: uplink rx %" PRIu64 " pkts %" PRIu64 " B, tx %" PRIu64
	       " pkts %" PRIu64 " B; tun rx %" PRIu64 " tx %" PRIu64
	       "; decrypted %" PRIu64 " encrypted %" PRIu64 " in %" PRIu64
	       " batches; spread out %" PRIu64 " in %" PRIu64 "\n  drops:",
	       who, st->uplink_rx_pkts,
	       st->uplink_rx_bytes, st->uplink_tx_pkts, st->uplink_tx_bytes,
	       st->tun_rx_pkts, st->tun_tx_pkts, st->decrypted, st->encrypted,
	       st->crypto_batches, st->spread_out, st->spread_in);
	for (unsigned int i = 1; i < WGD_DROP_MAX; i++) {
		uint64_t n = st->drops[i];

		/* The device's (handshake) drops happen on the control
		 * lcore. */
		if (dev && i < WG_DROP_REASON_MAX)
			n += wgd_dev_drops_get(i, true);
		if (n == 0)
			continue;
		printf(" %s=%" PRIu64, wgd_drop_name(i), n);
		any = true;
	}
	printf("%s\n", any ? "" : " none");
}

static void
show_stats(void)
{
	struct wgd_lcore_stats st[WGD_MAX_WORKERS + 1], sum;
	unsigned int l;
	char who[64];

	if (cli.cleared_ns != 0)
		printf("since clear stats %.1f s ago\n",
		       (double)(real_ns() - cli.cleared_ns) / 1e9);
	else
		printf("since start\n");
	/* One read of each lcore: the total is the sum of the lines. */
	memset(&sum, 0, sizeof(sum));
	for (l = 0; l <= wgd.nb_workers; l++) {
		wgd_lcore_stats_get(l, &st[l], true);
		wgd_stats_add(&sum, &st[l]);
	}
	print_counters("total", &sum, true);
	for (l = 0; l <= wgd.nb_workers; l++) {
		if (l < wgd.nb_workers)
			snprintf(who, sizeof(who), "lcore %u (worker %u)",
				 wgd.workers[l].lcore_id, l);
		else
			snprintf(who, sizeof(who), "lcore %u (control)",
				 rte_get_main_lcore());
		print_counters(who, &st[l], l == wgd.nb_workers);
	}
}

/* ---- show config ---- */

static const char *
addr_str(uint8_t family, const uint8_t *addr, char *buf, size_t len)
{
	return inet_ntop(family == WG_AF_INET ? AF_INET : AF_INET6, addr, buf,
			 (socklen_t)len);
}

static void
print_prefixes(const char *key, const struct wg_conf_prefix *p,
	       unsigned int n)
{
	char buf[WG_CONF_PREFIX_STRLEN];

	if (n == 0)
		return;
	printf("%s = ", key);
	for (unsigned int i = 0; i < n; i++) {
		print_list_sep(i);
		printf("%s", wg_conf_format_prefix(&p[i], buf, sizeof(buf)));
	}
	printf("\n");
}

/* Milliseconds as the file writes durations: seconds, up to 3 decimals. */
static void
print_duration(const char *key, uint32_t ms)
{
	char frac[8];

	snprintf(frac, sizeof(frac), ".%03u", ms % 1000);
	while (frac[strlen(frac) - 1] == '0')
		frac[strlen(frac) - 1] = '\0';
	printf("%s = %u%s\n", key, ms / 1000, strcmp(frac, ".") == 0 ? "" : frac);
}

static void
config_interface(void)
{
	const struct wg_conf *c = wgd.conf;

	printf("[Interface]\n# Name = %s\nPrivateKey = (hidden)\n"
	       "ListenPort = %u\n", wgd.name,
	       rte_be_to_cpu_16(wgd.listen_port_be));
	print_prefixes("Address", c->addrs, c->naddrs);
	printf("MTU = %u\nReplayWindow = %u\n", c->mtu,
	       wgd.dev->replay_window);
	if (c->fwmark != 0)
		printf("FwMark = 0x%x\n", c->fwmark);
}

static void
config_uplink(const struct wgd_uplink *up)
{
	const struct wg_conf_uplink *c = up->conf;
	char buf[INET6_ADDRSTRLEN];

	printf("\n[Uplink]\nName = %s\nPort = %s\n", c->name, c->port);
	print_prefixes("Address", c->addrs, c->naddrs);
	if (c->has_gateway4)
		printf("Gateway = %s\n",
		       addr_str(WG_AF_INET, c->gateway4, buf, sizeof(buf)));
	if (c->has_gateway6)
		printf("Gateway = %s\n",
		       addr_str(WG_AF_INET6, c->gateway6, buf, sizeof(buf)));
	for (unsigned int i = 0; i < c->nneighbors; i++) {
		const struct wg_conf_neighbor *n = &c->neighbors[i];

		printf("Neighbor = %s %02x:%02x:%02x:%02x:%02x:%02x\n",
		       addr_str(n->family, n->addr, buf, sizeof(buf)),
		       n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4],
		       n->mac[5]);
	}
	if (c->priority != 0)
		printf("Priority = %u\n", c->priority);
	if (c->vlan != 0)
		printf("Vlan = %u\n", c->vlan);
	printf("# link %s, admin %s\n", up->link_down ? "down" : "up",
	       up->admin_down ? "down" : "up");
}

static void
config_peer(const struct wgd_peer *p)
{
	const struct wg_conf_peer *cp = p->conf;
	const struct wg_peer *core = p->core;
	char buf[WG_CONF_ENDPOINT_STRLEN];
	bool configured = false;
	unsigned int i;

	wg_key_to_base64(buf, core->public_key);
	printf("\n[Peer]\nPublicKey = %s\n", buf);
	if (cp->has_psk)
		printf("PresharedKey = (hidden)\n");
	print_prefixes("AllowedIPs", cp->allowed_ips, cp->nallowed);
	if (cp->nendpoints > 0) {
		printf("Endpoint = ");
		for (i = 0; i < cp->nendpoints; i++) {
			print_list_sep(i);
			printf("%s", wg_conf_format_endpoint(&cp->endpoints[i],
							     buf, sizeof(buf)));
			configured |= wg_endpoint_equal(&cp->endpoints[i],
							&core->endpoint);
		}
		printf("\n");
	}
	/* Where it is now, when it roamed or was learnt: not config. */
	if (!configured && core->endpoint.family != WG_AF_NONE)
		printf("# endpoint now %s\n",
		       wg_conf_format_endpoint(&core->endpoint, buf,
					       sizeof(buf)));
	if (core->persistent_keepalive_interval != 0)
		printf("PersistentKeepalive = %u\n",
		       core->persistent_keepalive_interval);
	if (!cp->uplinks_all) {
		printf("Uplinks = ");
		for (i = 0; i < cp->nuplinks; i++) {
			print_list_sep(i);
			printf("%s", wgd.uplinks[cp->uplinks[i]].conf->name);
		}
		printf("\n");
	}
	if (cp->redundancy != WG_CONF_SINGLE)
		printf("Redundancy = %s\n",
		       wg_conf_redundancy_name(cp->redundancy));
	if (cp->redundancy == WG_CONF_FAILOVER) {
		print_duration("FailbackHold", cp->failback_hold_ms);
		print_duration("ProbeInterval", cp->probe_interval_ms);
	}
}

static void
show_config(void)
{
	struct wgd_peer *p;

	config_interface();
	for (unsigned int u = 0; u < wgd.nb_uplinks; u++)
		config_uplink(&wgd.uplinks[u]);
	WGD_FOREACH_PEER(p)
		config_peer(p);
}

/* ---- commands ---- */

struct cmd_show_result {
	cmdline_fixed_string_t show;
	cmdline_fixed_string_t what;
};

static void
cmd_show_parsed(void *parsed, struct cmdline *cl, void *data)
{
	const struct cmd_show_result *res = parsed;

	(void)cl;
	(void)data;
	if (strcmp(res->what, "peers") == 0)
		show_peers();
	else if (strcmp(res->what, "paths") == 0)
		show_paths();
	else if (strcmp(res->what, "stats") == 0)
		show_stats();
	else
		show_config();
	fflush(stdout);
}

static cmdline_parse_token_string_t cmd_show_show =
	TOKEN_STRING_INITIALIZER(struct cmd_show_result, show, "show");
static cmdline_parse_token_string_t cmd_show_what =
	TOKEN_STRING_INITIALIZER(struct cmd_show_result, what,
				 "peers#paths#stats#config");

static cmdline_parse_inst_t cmd_show = {
	.f = cmd_show_parsed,
	.help_str = "show peers|paths|stats|config: peers, paths and their "
		    "counters, packet counters, the running config",
	.tokens = {
		(void *)&cmd_show_show,
		(void *)&cmd_show_what,
		NULL,
	},
};

struct cmd_set_uplink_result {
	cmdline_fixed_string_t set;
	cmdline_fixed_string_t uplink;
	cmdline_fixed_string_t name;
	cmdline_fixed_string_t state;
};

static void
cmd_set_uplink_parsed(void *parsed, struct cmdline *cl, void *data)
{
	const struct cmd_set_uplink_result *res = parsed;
	const struct wgd_uplink *up;
	int u = wgd_uplink_by_name(res->name);

	(void)cl;
	(void)data;
	if (u < 0) {
		printf("no uplink '%s'; uplinks:", res->name);
		for (unsigned int i = 0; i < wgd.nb_uplinks; i++)
			printf(" %s", wgd.uplinks[i].conf->name);
		printf("\n");
		fflush(stdout);
		return;
	}
	wgd_uplink_set_admin((unsigned int)u, strcmp(res->state, "up") == 0);
	up = &wgd.uplinks[u];
	printf("uplink %s: admin %s, link %s\n", up->conf->name,
	       up->admin_down ? "down" : "up", up->link_down ? "down" : "up");
	fflush(stdout);
}

static cmdline_parse_token_string_t cmd_set_uplink_set =
	TOKEN_STRING_INITIALIZER(struct cmd_set_uplink_result, set, "set");
static cmdline_parse_token_string_t cmd_set_uplink_uplink =
	TOKEN_STRING_INITIALIZER(struct cmd_set_uplink_result, uplink,
				 "uplink");
static cmdline_parse_token_string_t cmd_set_uplink_name =
	TOKEN_STRING_INITIALIZER(struct cmd_set_uplink_result, name, NULL);
static cmdline_parse_token_string_t cmd_set_uplink_state =
	TOKEN_STRING_INITIALIZER(struct cmd_set_uplink_result, state,
				 "up#down");

static cmdline_parse_inst_t cmd_set_uplink = {
	.f = cmd_set_uplink_parsed,
	.help_str = "set uplink NAME up|down: take an uplink's paths down "
		    "by hand, or give them back",
	.tokens = {
		(void *)&cmd_set_uplink_set,
		(void *)&cmd_set_uplink_uplink,
		(void *)&cmd_set_uplink_name,
		(void *)&cmd_set_uplink_state,
		NULL,
	},
};

struct cmd_clear_stats_result {
	cmdline_fixed_string_t clear;
	cmdline_fixed_string_t stats;
};

static void
cmd_clear_stats_parsed(void *parsed, struct cmdline *cl, void *data)
{
	(void)parsed;
	(void)cl;
	(void)data;
	wgd_stats_clear();
	cli.cleared_ns = real_ns();
	printf("stats cleared\n");
	fflush(stdout);
}

static cmdline_parse_token_string_t cmd_clear_stats_clear =
	TOKEN_STRING_INITIALIZER(struct cmd_clear_stats_result, clear, "clear");
static cmdline_parse_token_string_t cmd_clear_stats_stats =
	TOKEN_STRING_INITIALIZER(struct cmd_clear_stats_result, stats, "stats");

static cmdline_parse_inst_t cmd_clear_stats = {
	.f = cmd_clear_stats_parsed,
	.help_str = "clear stats: count from zero on the prompt and in the "
		    "stats table (telemetry keeps the raw counters)",
	.tokens = {
		(void *)&cmd_clear_stats_clear,
		(void *)&cmd_clear_stats_stats,
		NULL,
	},
};

struct cmd_word_result {
	cmdline_fixed_string_t word;
};

static void
cmd_quit_parsed(void *parsed, struct cmdline *cl, void *data)
{
	(void)parsed;
	(void)data;
	wgd.quit = true;
	/* Nothing typed after quit runs. */
	cmdline_quit(cl);
}

static cmdline_parse_token_string_t cmd_quit_quit =
	TOKEN_STRING_INITIALIZER(struct cmd_word_result, word, "quit");

static cmdline_parse_inst_t cmd_quit = {
	.f = cmd_quit_parsed,
	.help_str = "quit: stop dpdk-wg",
	.tokens = {
		(void *)&cmd_quit_quit,
		NULL,
	},
};

/* Every command, NULL-terminated (defined below, after help). */
static cmdline_parse_ctx_t main_ctx[6];

static void
cmd_help_parsed(void *parsed, struct cmdline *cl, void *data)
{
	(void)parsed;
	(void)cl;
	(void)data;
	for (unsigned int i = 0; main_ctx[i] != NULL; i++)
		printf("  %s\n", main_ctx[i]->help_str);
	fflush(stdout);
}

static cmdline_parse_token_string_t cmd_help_help =
	TOKEN_STRING_INITIALIZER(struct cmd_word_result, word, "help");

static cmdline_parse_inst_t cmd_help = {
	.f = cmd_help_parsed,
	.help_str = "help: this list",
	.tokens = {
		(void *)&cmd_help_help,
		NULL,
	},
};

static cmdline_parse_ctx_t main_ctx[6] = {
	&cmd_show, &cmd_set_uplink, &cmd_clear_stats, &cmd_quit, &cmd_help,
	NULL,
};

/* ---- the file ---- */

static const char *
parse_error(int ret)
{
	switch (ret) {
	case CMDLINE_PARSE_AMBIGUOUS:
		return "ambiguous command";
	case CMDLINE_PARSE_NOMATCH:
		return "command not found";
	case CMDLINE_PARSE_BAD_ARGS:
		return "bad arguments";
	default:
		return NULL;
	}
}

/* One line of the file per turn: a long file does not hold the control
 * lcore (and the data path's handshakes) for long. */
static void
script_step(void)
{
	char line[LINE_MAX_LEN + 2];
	size_t n;
	char first;
	int ret;

	if (fgets(line, sizeof(line), cli.script) == NULL) {
		fclose(cli.script);
		cli.script = NULL;
		return;
	}
	cli.script_line++;
	n = strcspn(line, "\r\n");
	if (line[n] == '\0' && !feof(cli.script)) {
		fprintf(stderr, "dpdk-wg: %s:%u: line too long\n",
			cli.script_path, cli.script_line);
		/* The rest of it is not a command either. */
		while (fgets(line, sizeof(line), cli.script) != NULL &&
		       line[strcspn(line, "\n")] != '\n')
			;
		return;
	}
	line[n] = '\0';
	first = line[strspn(line, " \t")];
	if (first == '\0' || first == '#')
		return;
	/* A transcript: each command before its output. */
	printf(PROMPT "%s\n", line);
	fflush(stdout);
	strcat(line, "\n");
	ret = cmdline_parse(cli.script_cl, line);
	if (parse_error(ret) != NULL) {
		line[n] = '\0';
		fprintf(stderr, "dpdk-wg: %s:%u: %s: %s\n", cli.script_path,
			cli.script_line, parse_error(ret), line);
	}
	if (wgd.quit) {
		fclose(cli.script);
		cli.script = NULL;
	}
}

/* ---- the prompt ---- */

static void
prompt_start(void)
{
	cli.tty = isatty(STDIN_FILENO);
	/* On a terminal, raw mode (restored by cmdline_stdin_exit); from a
	 * pipe, the same line editor without touching termios. */
	if (cli.tty)
		cli.prompt = cmdline_stdin_new(main_ctx, PROMPT);
	else
		cli.prompt = cmdline_new(main_ctx, PROMPT, STDIN_FILENO,
					 STDOUT_FILENO);
	if (cli.prompt == NULL)
		fprintf(stderr, "dpdk-wg: cannot start the prompt\n");
}

static void
prompt_eof(void)
{
	printf("\n");
	WGD_LOG(NOTICE, "end of input on the prompt: quitting");
	wgd.quit = true;
}

static void
prompt_step(void)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	char buf[256];
	ssize_t n;

	if (poll(&pfd, 1, 0) <= 0)
		return;
	n = read(STDIN_FILENO, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* End of input (or Ctrl-D on an empty line) ends the daemon, as
	 * in testpmd; quit does too, and stops the rest of the input. */
	if (n <= 0 || cmdline_in(cli.prompt, buf, (int)n) < 0) {
		if (!wgd.quit)
			prompt_eof();
	}
}

int
wgd_cli_init(bool interactive, const char *script)
{
	cli.interactive = interactive;
	if (script == NULL)
		return 0;
	cli.script_path = script;
	cli.script = fopen(script, "r");
	if (cli.script == NULL) {
		fprintf(stderr, "dpdk-wg: --cmdline-file %s: %s\n", script,
			strerror(errno));
		goto fail;
	}
	/* No I/O of its own: errors and output are ours. */
	cli.script_cl = cmdline_new(main_ctx, PROMPT, -1, -1);
	if (cli.script_cl != NULL)
		return 0;
	fprintf(stderr, "dpdk-wg: --cmdline-file: out of memory\n");
fail:
	/* Telemetry must not read what main() now frees. */
	wgd.quit = true;
	return -1;
}

void
wgd_cli_poll(void)
{
	if (cli.script != NULL) {
		script_step();
		return;
	}
	if (wgd.quit)
		return;
	/* The prompt comes after the daemon's "up" line, or the file. */
	if (cli.interactive && cli.prompt == NULL) {
		prompt_start();
		cli.interactive = cli.prompt != NULL;
		return;
	}
	if (cli.prompt != NULL)
		prompt_step();
}

void
wgd_cli_close(void)
{
	if (cli.script != NULL) {
		fclose(cli.script);
		cli.script = NULL;
	}
	cmdline_free(cli.script_cl);
	cli.script_cl = NULL;
	if (cli.prompt != NULL) {
		if (cli.tty) {
			/* The shell's prompt on a line of its own. */
			printf("\n");
			fflush(stdout);
			cmdline_stdin_exit(cli.prompt);
		} else {
			cmdline_free(cli.prompt);
		}
		cli.prompt = NULL;
	}
	free(cli.marks);
	cli.marks = NULL;
}
