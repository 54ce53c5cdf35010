/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The WireGuard UAPI socket (<uapi-dir>/<name>.sock), so that the stock
 * `wg` tool drives dpdk-wg as it drives wireguard-go. The control lcore
 * serves it between its other work: non-blocking sockets, a bounded
 * number of clients, each with a bounded buffer and an idle timeout.
 *
 * A set transaction is parsed and checked whole (lib/uapi), then planned:
 * the settings every touched peer will have and the AllowedIPs table
 * they give are built aside. Only when all of that succeeded is anything
 * changed, in steps that cannot fail, so a failed set changes nothing.
 * Peers the transaction does not touch keep their sessions and traffic.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "wg_allowedips.h"
#include "wg_crypto.h"
#include "wg_uapi.h"
#include "wgd.h"

#define UAPI_MAX_CLIENTS 32
#define UAPI_BACKLOG 128
#define UAPI_IDLE_NS (10 * WG_NS_PER_SEC)
#define UAPI_READ_CHUNK 4096

struct uapi_client {
	int fd;
	struct wg_uapi_conn in;
	char *out;                 /**< answer not yet written */
	size_t out_len, out_off;
	bool closing;              /**< close once out is written */
	uint64_t last_ns;
};

static int listen_fd = -1;
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static struct uapi_client clients[UAPI_MAX_CLIENTS];
static unsigned int nb_clients;

static uint64_t
real_ns(void)
{
	return wg_clock_system.monotonic_ns(NULL);
}

/* ---- get ---- */

static char *
uapi_get(size_t *len)
{
	struct wg_uapi_device_info info = { 0 };
	struct wg_uapi_peer_info *peers;
	struct wgd_peer *p;
	unsigned int n = 0;
	char *text;

	peers = calloc(wgd.nb_peers + 1, sizeof(*peers));
	if (peers == NULL)
		return NULL;
	info.has_private_key = wgd.dev->has_identity;
	memcpy(info.private_key, wgd.dev->static_private, WG_KEY_LEN);
	info.listen_port = wgd.conf->listen_port;
	info.fwmark = wgd.conf->fwmark;
	WGD_FOREACH_PEER(p) {
		struct wg_uapi_peer_info *pi = &peers[n++];
		const struct wg_peer *core = p->core;

		memcpy(pi->public_key, core->public_key, WG_KEY_LEN);
		memcpy(pi->psk, core->handshake.preshared_key, WG_KEY_LEN);
		pi->has_psk = !wg_crypto_is_zero(pi->psk, WG_KEY_LEN);
		pi->has_endpoint = core->endpoint.family != WG_AF_NONE;
		pi->endpoint = core->endpoint;
		pi->keepalive = p->conf->keepalive;
		pi->allowed_ips = p->conf->allowed_ips;
		pi->nallowed = p->conf->nallowed;
		pi->last_handshake_sec = core->last_handshake_realtime /
					 WG_NS_PER_SEC;
		pi->last_handshake_nsec = core->last_handshake_realtime %
					  WG_NS_PER_SEC;
		wgd_peer_bytes_sum(p, &pi->rx_bytes, &pi->tx_bytes);
	}
	info.peers = peers;
	info.npeers = n;
	text = wg_uapi_format_get(&info, len);
	wg_memzero(&info, sizeof(info));
	wg_memzero(peers, (wgd.nb_peers + 1) * sizeof(*peers));
	free(peers);
	return text;
}

/* ---- set: the plan ---- */

struct plan {
	/** What each slot will hold: NULL for none. Entries for touched
	 * slots point into own[]; the others at the live peers' conf. */
	const struct wg_conf_peer **conf;
	struct wg_conf_peer **own;   /**< copies and new peers, by slot */
	bool *created, *removed, *listed;
	bool replace_peers;         /**< the set replaces the peer list */
	struct wg_endpoint *endpoint; /**< by slot: endpoint= given */
	struct wgd_peer **gone;      /**< live peers to remove */
	unsigned int nb_gone;
};

static void
plan_free(struct plan *pl)
{
	for (unsigned int id = 0; pl->own != NULL && id <= wgd.nb_peer_slots;
	     id++) {
		if (pl->own[id] != NULL) {
			wg_conf_peer_clear(pl->own[id]);
			free(pl->own[id]);
		}
	}
	free(pl->conf);
	free(pl->own);
	free(pl->created);
	free(pl->removed);
	free(pl->listed);
	free(pl->endpoint);
	free(pl->gone);
}

static int
plan_init(struct plan *pl)
{
	size_t n = wgd.nb_peer_slots + 1;

	memset(pl, 0, sizeof(*pl));
	pl->conf = calloc(n, sizeof(*pl->conf));
	pl->own = calloc(n, sizeof(*pl->own));
	pl->created = calloc(n, sizeof(bool));
	pl->removed = calloc(n, sizeof(bool));
	pl->listed = calloc(n, sizeof(bool));
	pl->endpoint = calloc(n, sizeof(*pl->endpoint));
	pl->gone = calloc(n, sizeof(*pl->gone));
	if (pl->conf == NULL || pl->own == NULL || pl->created == NULL ||
	    pl->removed == NULL || pl->listed == NULL ||
	    pl->endpoint == NULL || pl->gone == NULL)
		return -ENOMEM;
	for (uint32_t id = 1; id <= wgd.nb_peer_slots; id++)
		if (wgd_peer_live(&wgd.peers[id]))
			pl->conf[id] = wgd.peers[id].conf;
	return 0;
}

/* The slot's settings, copied for change on first touch. */
static struct wg_conf_peer *
plan_touch(struct plan *pl, uint32_t id)
{
	struct wg_conf_peer *c;

	if (pl->own[id] != NULL)
		return pl->own[id];
	c = malloc(sizeof(*c));
	if (c == NULL || wg_conf_peer_copy(c, pl->conf[id]) != 0) {
		free(c);
		return NULL;
	}
	pl->own[id] = c;
	pl->conf[id] = c;
	return c;
}

/* The slot of a key: a live peer's, or one this transaction created. */
static uint32_t
plan_find(const struct plan *pl, const uint8_t key[WG_KEY_LEN])
{
	for (uint32_t id = 1; id <= wgd.nb_peer_slots; id++)
		if (pl->conf[id] != NULL && !pl->removed[id] &&
		    memcmp(pl->conf[id]->public_key, key, WG_KEY_LEN) == 0)
			return id;
	return 0;
}

static uint32_t
plan_create(struct plan *pl, const uint8_t key[WG_KEY_LEN])
{
	uint32_t id = 0;
	struct wg_conf_peer *c;

	/* A slot neither live nor planned (nor freed by this very
	 * transaction: workers may still see it until it is removed). */
	do {
		id = wgd_peer_free_slot(id);
	} while (id != 0 && (pl->conf[id] != NULL || pl->removed[id]));
	if (id == 0)
		return 0;
	c = malloc(sizeof(*c));
	if (c == NULL || wg_conf_peer_init(c, wgd.conf, key) != 0) {
		free(c);
		return 0;
	}
	pl->own[id] = c;
	pl->conf[id] = c;
	pl->created[id] = true;
	return id;
}

static void
plan_remove(struct plan *pl, uint32_t id)
{
	if (pl->own[id] != NULL) {
		wg_conf_peer_clear(pl->own[id]);
		free(pl->own[id]);
		pl->own[id] = NULL;
	}
	pl->conf[id] = NULL;
	if (!pl->created[id])
		pl->removed[id] = true;
	pl->created[id] = false;
}

static bool
prefix_equal(const struct wg_conf_prefix *a, const struct wg_conf_prefix *b)
{
	return a->family == b->family && a->len == b->len &&
	       memcmp(a->addr, b->addr, a->family == WG_AF_INET ? 4 : 16) == 0;
}

/* A prefix belongs to one peer: giving it to id takes it from others. */
static int
plan_add_allowed(struct plan *pl, uint32_t id, const struct wg_conf_prefix *pf)
{
	struct wg_conf_peer *c;
	struct wg_conf_prefix *a;

	for (uint32_t o = 1; o <= wgd.nb_peer_slots; o++) {
		const struct wg_conf_peer *oc = pl->conf[o];

		for (unsigned int j = 0; oc != NULL && j < oc->nallowed; j++) {
			if (!prefix_equal(&oc->allowed_ips[j], pf))
				continue;
			if (o == id)
				return 0;
			c = plan_touch(pl, o);
			if (c == NULL)
				return -ENOMEM;
			memmove(&c->allowed_ips[j], &c->allowed_ips[j + 1],
				(c->nallowed - j - 1) * sizeof(*pf));
			c->nallowed--;
			break;
		}
	}
	c = plan_touch(pl, id);
	if (c == NULL)
		return -ENOMEM;
	a = realloc(c->allowed_ips, (c->nallowed + 1) * sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	a[c->nallowed++] = *pf;
	c->allowed_ips = a;
	return 0;
}

static int
plan_endpoint(struct plan *pl, uint32_t id, const struct wg_endpoint *ep)
{
	struct wg_conf_peer *c = plan_touch(pl, id);

	if (c == NULL)
		return -ENOMEM;
	pl->endpoint[id] = *ep;
	/* One endpoint or none: the UAPI's is the peer's endpoint. With
	 * several from the config file, those stay its paths and this one
	 * is where the peer is now, as if it had roamed there. */
	if (c->nendpoints <= 1) {
		struct wg_endpoint *e = realloc(c->endpoints, sizeof(*e));

		if (e == NULL)
			return -ENOMEM;
		e[0] = *ep;
		c->endpoints = e;
		c->nendpoints = 1;
	}
	return 0;
}

static int
plan_peer(struct plan *pl, const struct wg_uapi_peer_set *ps)
{
	struct wg_conf_peer *c;
	uint32_t id;
	int ret;

	/* Our own key names no peer (wireguard-go skips it too). */
	if (wgd.dev->has_identity &&
	    memcmp(ps->public_key, wgd.dev->static_public, WG_KEY_LEN) == 0)
		return 0;
	id = plan_find(pl, ps->public_key);
	if (ps->remove) {
		if (id != 0)
			plan_remove(pl, id);
		return 0;
	}
	if (id == 0) {
		if (ps->update_only)
			return 0;
		id = plan_create(pl, ps->public_key);
		if (id == 0)
			return -ENOSPC;
	}
	c = plan_touch(pl, id);
	if (c == NULL)
		return -ENOMEM;
	if (!pl->listed[id] && !pl->created[id] && pl->replace_peers) {
		/* replace_peers: a peer that stays gets what the
		 * transaction gives it, as if made anew (but keeps its
		 * session, paths and counters). */
		c->has_psk = false;
		wg_memzero(c->psk, sizeof(c->psk));
		c->keepalive = 0;
		c->nallowed = 0;
	}
	pl->listed[id] = true;
	if (ps->has_psk) {
		c->has_psk = !wg_crypto_is_zero(ps->psk, WG_KEY_LEN);
		memcpy(c->psk, ps->psk, WG_KEY_LEN);
	}
	if (ps->has_keepalive)
		c->keepalive = ps->keepalive;
	if (ps->has_endpoint && (ret = plan_endpoint(pl, id, &ps->endpoint)) != 0)
		return ret;
	if (ps->replace_allowed_ips)
		c->nallowed = 0;
	for (unsigned int j = 0; j < ps->nallowed; j++)
		if ((ret = plan_add_allowed(pl, id, &ps->allowed_ips[j])) != 0)
			return ret;
	return 0;
}

static int
plan_build(struct plan *pl, const struct wg_uapi_set *set)
{
	uint8_t pub[WG_KEY_LEN];
	uint32_t id;
	int ret;

	pl->replace_peers = set->replace_peers;
	if (set->has_private_key &&
	    !wg_crypto_is_zero(set->private_key, WG_KEY_LEN)) {
		/* A peer with our new public key could never handshake:
		 * it goes, as the kernel and wireguard-go do. */
		if (!wg_dh_public(pub, set->private_key))
			return -EINVAL;
		id = plan_find(pl, pub);
		if (id != 0)
			plan_remove(pl, id);
	}
	for (unsigned int i = 0; i < set->npeers; i++)
		if ((ret = plan_peer(pl, &set->peers[i])) != 0)
			return ret;
	if (set->replace_peers)
		for (id = 1; id <= wgd.nb_peer_slots; id++)
			if (pl->conf[id] != NULL && !pl->listed[id])
				plan_remove(pl, id);
	for (id = 1; id <= wgd.nb_peer_slots; id++)
		if (pl->removed[id])
			pl->gone[pl->nb_gone++] = &wgd.peers[id];
	return 0;
}

/* ---- set: commit (nothing below fails but creating peers, done first) */

static void
undo_created(struct plan *pl, uint32_t upto)
{
	struct wgd_peer *gone[1];

	for (uint32_t id = 1; id < upto; id++) {
		if (!pl->created[id] || !wgd_peer_live(&wgd.peers[id]))
			continue;
		/* Not yet in any published table: no worker has it. */
		gone[0] = &wgd.peers[id];
		pl->own[id] = NULL;  /* the peer owns it now */
		wgd_peers_remove(gone, 1);
	}
}

static int
commit_created(struct plan *pl)
{
	for (uint32_t id = 1; id <= wgd.nb_peer_slots; id++) {
		if (!pl->created[id])
			continue;
		if (wgd_peer_add(id, pl->own[id]) != 0) {
			undo_created(pl, id);
			return -ENOMEM;
		}
		pl->own[id] = NULL;
	}
	return 0;
}

static void
commit_device(const struct wg_uapi_set *set)
{
	if (set->has_private_key)
		wg_device_set_private_key(wgd.dev,
			wg_crypto_is_zero(set->private_key, WG_KEY_LEN) ?
			NULL : set->private_key);
	if (set->has_fwmark)
		wgd.conf->fwmark = set->fwmark;
	if (set->has_listen_port && set->listen_port != 0 &&
	    set->listen_port != wgd.conf->listen_port) {
		wgd.conf->listen_port = set->listen_port;
		wgd.listen_port_be = rte_cpu_to_be_16(set->listen_port);
		wgd_paths_refresh();
	}
}

static int
uapi_set(const struct wg_uapi_set *set)
{
	struct wg_allowedips *aips;
	struct plan pl;
	char err[256];
	int ret;

	ret = plan_init(&pl);
	if (ret == 0)
		ret = plan_build(&pl, set);
	if (ret != 0)
		goto out;
	aips = wgd_allowedips_build(pl.conf, err, sizeof(err));
	if (aips == NULL) {
		fprintf(stderr, "%s: uapi: AllowedIPs: %s\n", wgd.name, err);
		ret = -ENOMEM;
		goto out;
	}
	ret = commit_created(&pl);
	if (ret != 0) {
		wg_allowedips_free(aips);
		goto out;
	}
	/* From here on nothing fails. The removed peers' keys go before
	 * the device key changes: the core would free a peer with our
	 * new public key under the workers' feet. */
	wgd_allowedips_publish(aips);
	wgd_peers_remove(pl.gone, pl.nb_gone);
	commit_device(set);
	for (uint32_t id = 1; id <= wgd.nb_peer_slots; id++) {
		struct wgd_peer *p = &wgd.peers[id];

		if (pl.own[id] == NULL || !wgd_peer_live(p))
			continue;
		wgd_peer_set_conf(p, pl.own[id], pl.endpoint[id].family ?
				  &pl.endpoint[id] : NULL);
		pl.own[id] = NULL;
	}
out:
	plan_free(&pl);
	return ret;
}

/* ---- sockets ---- */

static void
out_drop(struct uapi_client *c)
{
	if (c->out != NULL) {
		wg_memzero(c->out, c->out_len);
		free(c->out);
	}
	c->out = NULL;
	c->out_len = c->out_off = 0;
}

static void
client_close(struct uapi_client *c)
{
	close(c->fd);
	wg_uapi_conn_fini(&c->in);
	out_drop(c);
	*c = clients[--nb_clients];
	memset(&clients[nb_clients], 0, sizeof(clients[nb_clients]));
}

static void
client_queue(struct uapi_client *c, const char *text, size_t len)
{
	char *out = realloc(c->out, c->out_len + len);

	if (out == NULL) {
		c->closing = true;
		return;
	}
	memcpy(out + c->out_len, text, len);
	c->out = out;
	c->out_len += len;
}

static void
client_request(struct uapi_client *c, enum wg_uapi_op op, const char *body,
	       size_t body_len)
{
	struct wg_uapi_set *set = NULL;
	char line[32], err[256];
	size_t len;
	char *text;
	int ret;

	if (op == WG_UAPI_GET) {
		text = uapi_get(&len);
		if (text == NULL) {
			wg_uapi_errno_line(-ENOMEM, line, sizeof(line));
			client_queue(c, line, strlen(line));
			return;
		}
		client_queue(c, text, len);
		wg_memzero(text, len);
		free(text);
		return;
	}
	ret = wg_uapi_set_parse(body, body_len, &set, err, sizeof(err));
	if (ret != 0)
		fprintf(stderr, "%s: uapi: %s\n", wgd.name, err);
	else
		ret = uapi_set(set);
	wg_uapi_set_free(set);
	wg_uapi_errno_line(ret, line, sizeof(line));
	client_queue(c, line, strlen(line));
}

/* Read what is there, answer every complete request. */
static void
client_read(struct uapi_client *c)
{
	char buf[UAPI_READ_CHUNK];
	enum wg_uapi_op op;
	const char *body;
	size_t body_len;
	ssize_t n;

	n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		c->closing = true;
		return;
	}
	if (n < 0)
		return;
	c->last_ns = real_ns();
	if (wg_uapi_conn_feed(&c->in, buf, (size_t)n) != 0) {
		c->closing = true;
		wg_memzero(buf, sizeof(buf));
		return;
	}
	wg_memzero(buf, sizeof(buf));
	while ((op = wg_uapi_conn_next(&c->in, &body, &body_len)) !=
	       WG_UAPI_MORE) {
		if (op == WG_UAPI_CLOSE) {
			c->closing = true;
			return;
		}
		client_request(c, op, body, body_len);
	}
}

static void
client_write(struct uapi_client *c)
{
	ssize_t n;

	if (c->out_off == c->out_len)
		return;
	n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
		 MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		/* Gone before its answer: nothing more to write. */
		out_drop(c);
		c->closing = true;
		return;
	}
	if (n > 0)
		c->out_off += (size_t)n;
	if (c->out_off == c->out_len)
		out_drop(c);
}

static void
accept_clients(void)
{
	int fd;

	/* When all slots are busy, new clients wait in the listen backlog
	 * until one is free (or, past the backlog, are refused). */
	while (nb_clients < UAPI_MAX_CLIENTS &&
	       (fd = accept4(listen_fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		clients[nb_clients].fd = fd;
		clients[nb_clients].last_ns = real_ns();
		wg_uapi_conn_init(&clients[nb_clients].in);
		nb_clients++;
	}
}

void
wgd_uapi_poll(void)
{
	struct pollfd pfd[UAPI_MAX_CLIENTS + 1];
	uint64_t now;
	unsigned int i;

	if (listen_fd < 0)
		return;
	pfd[0].fd = listen_fd;
	pfd[0].events = POLLIN;
	for (i = 0; i < nb_clients; i++) {
		pfd[i + 1].fd = clients[i].fd;
		pfd[i + 1].events = POLLIN |
			(clients[i].out_len != 0 ? POLLOUT : 0);
	}
	if (poll(pfd, nb_clients + 1, 0) <= 0 && nb_clients == 0)
		return;
	for (i = 0; i < nb_clients; i++) {
		if (pfd[i + 1].revents & (POLLIN | POLLHUP | POLLERR))
			client_read(&clients[i]);
		client_write(&clients[i]);
	}
	now = real_ns();
	/* Backwards: client_close() moves the last client into i. */
	for (i = nb_clients; i-- > 0;) {
		struct uapi_client *c = &clients[i];

		if ((c->closing && c->out_len == 0) ||
		    now - c->last_ns > UAPI_IDLE_NS)
			client_close(c);
	}
	if (pfd[0].revents & POLLIN)
		accept_clients();
}

/* Another daemon answers on the socket: it is not ours to take. */
static bool
socket_in_use(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool used;

	if (fd < 0)
		return false;
	used = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	return used;
}

int
wgd_uapi_init(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old_mask;
	int ret;

	if (wgd.uapi_dir == NULL)
		return 0;
	if (mkdir(wgd.uapi_dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "dpdk-wg: cannot create %s: %s\n",
			wgd.uapi_dir, strerror(errno));
		return -1;
	}
	if ((size_t)snprintf(sock_path, sizeof(sock_path), "%s/%s.sock",
			     wgd.uapi_dir, wgd.name) >= sizeof(sock_path)) {
		fprintf(stderr, "dpdk-wg: UAPI socket path too long\n");
		return -1;
	}
	memcpy(sa.sun_path, sock_path, sizeof(sa.sun_path));
	if (socket_in_use(&sa)) {
		fprintf(stderr, "dpdk-wg: %s is in use: is %s already "
			"running?\n", sock_path, wgd.name);
		sock_path[0] = '\0';
		return -1;
	}
	unlink(sock_path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			   0);
	if (listen_fd < 0)
		goto fail;
	/* Keys pass through it: root only, from the start. */
	old_mask = umask(0077);
	ret = bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_mask);
	if (ret != 0 || chmod(sock_path, 0600) != 0 || listen(listen_fd, UAPI_BACKLOG))
		goto fail;
	printf("%s: UAPI socket %s\n", wgd.name, sock_path);
	return 0;
fail:
	fprintf(stderr, "dpdk-wg: cannot listen on %s: %s\n", sock_path,
		strerror(errno));
	if (listen_fd >= 0)
		close(listen_fd);
	listen_fd = -1;
	return -1;
}

void
wgd_uapi_close(void)
{
	while (nb_clients > 0)
		client_close(&clients[nb_clients - 1]);
	if (listen_fd >= 0) {
		close(listen_fd);
		listen_fd = -1;
		unlink(sock_path);
	}
}
