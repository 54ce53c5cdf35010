/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * wg-udp-peer: the protocol core (lib/wg) driven over a plain UDP socket,
 * to prove it against a real WireGuard peer (wireguard-go) before any DPDK
 * code exists.
 *
 * It plays one peer with one tunnel address and no TUN device: it builds
 * IPv4 ICMP echo requests by hand, seals them and waits for the replies
 * that the other side's kernel sends, and it answers the echo requests it
 * receives inside the tunnel itself. Transport data is sealed and opened
 * through the batch AEAD drivers (lib/aead) or, with --aead core, through
 * the core's own wg_aead_encrypt/wg_aead_decrypt.
 *
 * Exit status: 0 when the scenario's criteria are met, 1 when they are
 * not, 2 on a usage or setup error.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef WG_INTEROP_NO_AEAD_DRIVERS
#include "wg_aead.h"
#endif
#include "wg_crypto.h"
#include "wg_device.h"
#include "wg_endpoint.h"
#include "wg_messages.h"
#include "wg_noise.h"
#include "wg_peer.h"

#define PROG "wg-udp-peer"

#ifdef WG_INTEROP_NO_AEAD_DRIVERS
/* Built without lib/aead: only the core's own AEAD ("core"). */
struct wg_aead_ctx;
struct wg_aead_op {
	const uint8_t *key;
	uint64_t counter;
	uint8_t *data;
	uint32_t len;
	uint8_t *tag;
	int status;
};
struct wg_aead_driver {
	const char *name;
	bool (*probe)(void);
	struct wg_aead_ctx *(*ctx_create)(void);
	void (*ctx_free)(struct wg_aead_ctx *ctx);
	const char *(*ctx_arch)(const struct wg_aead_ctx *ctx);
	void (*seal)(struct wg_aead_ctx *ctx, struct wg_aead_op *ops,
		     unsigned int n);
	unsigned int (*open)(struct wg_aead_ctx *ctx, struct wg_aead_op *ops,
			     unsigned int n);
};

static const struct wg_aead_driver *
wg_aead_driver_find(const char *name)
{
	(void)name;
	return NULL;
}

static const struct wg_aead_driver *const *
wg_aead_driver_list(void)
{
	static const struct wg_aead_driver *const none[] = { NULL };

	return none;
}
#endif

#define TUNNEL_MTU 1420
#define BUF_LEN 2048
#define QUEUE_MAX 256
#define ICMP_PAYLOAD_LEN 56      /* as ping(8) */
#define ICMP_PAYLOAD_MAX (TUNNEL_MTU - 28)
#define MAX_PINGS 65535
#define MAX_KEYPAIRS 64
#define REPLY_WAIT_NS (2 * WG_NS_PER_SEC)

/* ---------------------------------------------------------------- options */

struct options {
	uint8_t private_key[WG_KEY_LEN];
	bool have_private_key;
	uint8_t peer_key[WG_KEY_LEN];
	bool have_peer_key;
	uint8_t psk[WG_KEY_LEN];
	bool have_psk;
	struct sockaddr_storage bind_addr;
	bool have_bind;
	uint16_t listen_port;
	struct wg_endpoint endpoint;
	uint8_t local_ip[4];
	uint8_t remote_ip[4];
	bool have_local_ip, have_remote_ip;
	unsigned int ping;
	unsigned int ping_size_max;  /* 0: every payload ICMP_PAYLOAD_LEN */
	unsigned int min_duration_s;
	unsigned int interval_ms;
	bool initiate;
	unsigned int clock_scale;
	unsigned int rekey_after_packets;
	int expect_rekeys;          /* -1: derived from the other options */
	unsigned int expect_echo;
	unsigned int max_loss;
	unsigned int timeout_s;
	unsigned int persistent_keepalive;
	const char *aead;           /* NULL: best driver; "core": wg_crypto */
	bool under_load;            /* answer handshakes with cookies */
	bool cross_initiation;      /* initiate when the peer's first
				     * initiation arrives, before taking it */
	unsigned int flood;         /* junk initiations sent before ours */
	int expect_cookies_sent;    /* -1: not checked */
	int expect_cookies_received;
	int verbose;
};

static struct options opt = {
	.interval_ms = 100,
	.clock_scale = 1,
	.expect_rekeys = -1,
	.timeout_s = 60,
	.expect_cookies_sent = -1,
	.expect_cookies_received = -1,
};

/* ------------------------------------------------------------------ state */

struct pkt {
	uint32_t len;
	uint8_t data[TUNNEL_MTU];
};

struct stats {
	uint64_t echo_sent;
	uint64_t echo_replies;
	uint64_t echo_dup_replies;
	uint64_t echo_answered;     /* requests from the peer we answered */
	uint64_t inner_bad;         /* malformed or unexpected inner packets */
	uint64_t keepalives_sent;
	uint64_t keepalives_received;
	uint64_t data_sent;
	uint64_t data_received;
	uint64_t queued;
	uint64_t queue_overflow;
	uint64_t purged;
	uint64_t keypair_ready;
	uint64_t handshakes_completed;   /* changes of last_handshake_realtime */
	uint64_t handshake_sends;
	uint64_t handshake_replies;
	uint64_t send_errors;
	uint64_t no_endpoint;
	uint64_t forced_initiations;
	uint64_t cookies_received;  /* cookie replies the core accepted */
	uint64_t inits_after_cookie;   /* initiations since the last cookie */
	uint64_t inits_to_complete;    /* of those, until the first handshake
					* after a cookie completed */
	uint64_t flood_sent;
	uint64_t data_drops[WG_DROP_REASON_MAX];
	uint64_t rtt_sum_ns, rtt_max_ns;
};

static struct {
	int fd;
	int fd_family;
	struct wg_device *dev;
	struct wg_peer *peer;
	const struct wg_aead_driver *driver;
	struct wg_aead_ctx *actx;
	struct pkt queue[QUEUE_MAX];
	unsigned int q_head, q_len;
	struct stats st;
	uint16_t icmp_id;
	uint8_t *seen_reply;        /* per sequence number */
	uint64_t *sent_at;          /* per sequence number, real ns */
	uint32_t kp_send[MAX_KEYPAIRS];
	unsigned int n_kp_send;
	uint32_t kp_recv[MAX_KEYPAIRS];
	unsigned int n_kp_recv;
	uint32_t kp_all[MAX_KEYPAIRS];
	unsigned int n_kp_all;
	uint64_t last_handshake_seen;
	bool session_confirmed;     /* authenticated data received */
	uint64_t last_data_out;     /* real ns: last data packet on the wire */
	uint64_t start_ns;
} g;

static volatile sig_atomic_t stop_signal;

/* ------------------------------------------------------------------ utils */

static uint64_t
now_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * WG_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static uint64_t
real_mono(void)
{
	return now_ns(CLOCK_MONOTONIC);
}

static void
logf_(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
logf_(int level, const char *fmt, ...)
{
	va_list ap;
	uint64_t t;

	if (level > opt.verbose)
		return;
	t = real_mono() - g.start_ns;
	fprintf(stderr, "[%3" PRIu64 ".%03" PRIu64 "] ",
		t / (uint64_t)WG_NS_PER_SEC,
		(t % (uint64_t)WG_NS_PER_SEC) / (uint64_t)WG_NS_PER_MS);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

#define LOG(...) logf_(0, __VA_ARGS__)
#define DBG(...) logf_(1, __VA_ARGS__)
#define TRACE(...) logf_(2, __VA_ARGS__)

static void
die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* Remember a keypair's local index; true if it was new. */
static bool
remember_index(uint32_t *set, unsigned int *n, uint32_t index)
{
	unsigned int i;

	for (i = 0; i < *n; i++)
		if (set[i] == index)
			return false;
	if (*n < MAX_KEYPAIRS)
		set[(*n)++] = index;
	return true;
}

static void
note_keypair(struct wg_keypair *kp, bool sending)
{
	uint32_t idx = kp->entry.index;

	if (sending) {
		if (remember_index(g.kp_send, &g.n_kp_send, idx))
			LOG("sending under a new keypair (local index %08x, "
			    "remote %08x, %s)", idx, kp->remote_index,
			    kp->i_am_initiator ? "we initiated" : "peer initiated");
	} else {
		if (remember_index(g.kp_recv, &g.n_kp_recv, idx))
			LOG("receiving under a new keypair (local index %08x)",
			    idx);
	}
	remember_index(g.kp_all, &g.n_kp_all, idx);
}

/* RFC 1071 checksum over len bytes. */
static uint16_t
inet_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static const char *
ip4_str(const uint8_t a[4], char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
	return buf;
}

/* ------------------------------------------------------------- endpoints */

static socklen_t
endpoint_to_sockaddr(const struct wg_endpoint *ep, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (g.fd_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = ep->port;
		if (ep->family == WG_AF_INET6) {
			memcpy(&s6->sin6_addr, ep->addr.v6, 16);
		} else {
			/* v4-mapped on the dual-stack socket */
			s6->sin6_addr.s6_addr[10] = 0xff;
			s6->sin6_addr.s6_addr[11] = 0xff;
			memcpy(&s6->sin6_addr.s6_addr[12], ep->addr.v4, 4);
		}
		return sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = ep->port;
		memcpy(&s4->sin_addr, ep->addr.v4, 4);
		return sizeof(*s4);
	}
}

static void
sockaddr_to_endpoint(const struct sockaddr_storage *ss, struct wg_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		ep->port = s6->sin6_port;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			ep->family = WG_AF_INET;
			memcpy(ep->addr.v4, &s6->sin6_addr.s6_addr[12], 4);
		} else {
			ep->family = WG_AF_INET6;
			memcpy(ep->addr.v6, &s6->sin6_addr, 16);
		}
	} else if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		ep->family = WG_AF_INET;
		ep->port = s4->sin_port;
		memcpy(ep->addr.v4, &s4->sin_addr, 4);
	}
}

static const char *
endpoint_str(const struct wg_endpoint *ep, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (ep->family == WG_AF_INET) {
		inet_ntop(AF_INET, ep->addr.v4, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(ep->port));
	} else if (ep->family == WG_AF_INET6) {
		inet_ntop(AF_INET6, ep->addr.v6, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(ep->port));
	} else {
		snprintf(buf, len, "(none)");
	}
	return buf;
}

/* "1.2.3.4:51820" or "[2001:db8::1]:51820" */
static bool
parse_endpoint(const char *s, struct wg_endpoint *ep)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon;
	char *end;
	unsigned long port;
	size_t hlen;

	memset(ep, 0, sizeof(*ep));
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL || rb[1] != ':')
			return false;
		hlen = (size_t)(rb - s - 1);
		colon = rb + 1;
		if (hlen >= sizeof(host))
			return false;
		memcpy(host, s + 1, hlen);
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return false;
		hlen = (size_t)(colon - s);
		if (hlen >= sizeof(host))
			return false;
		memcpy(host, s, hlen);
	}
	host[hlen] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || port == 0 || port > 65535)
		return false;
	ep->port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, ep->addr.v4) == 1)
		ep->family = WG_AF_INET;
	else if (inet_pton(AF_INET6, host, ep->addr.v6) == 1)
		ep->family = WG_AF_INET6;
	else
		return false;
	return true;
}

/* ------------------------------------------------------------ the clock */

/*
 * A clock running clock_scale times faster than the real one, from the
 * moment the program starts. Realtime is anchored at the real time of day
 * then, so TAI64N timestamps keep increasing across runs.
 */
static struct {
	uint64_t mono0, real0, scale;
} sclock;

static uint64_t
scaled_monotonic(void *arg)
{
	(void)arg;
	return sclock.mono0 + (real_mono() - sclock.mono0) * sclock.scale;
}

static uint64_t
scaled_realtime(void *arg)
{
	(void)arg;
	return sclock.real0 + (real_mono() - sclock.mono0) * sclock.scale;
}

static const struct wg_clock scaled_clock = {
	.monotonic_ns = scaled_monotonic,
	.realtime_ns = scaled_realtime,
};

/* ------------------------------------------------------------ transport */

static void
udp_send(const struct wg_endpoint *ep, const void *msg, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	if (ep->family == WG_AF_NONE) {
		g.st.no_endpoint++;
		return;
	}
	if (ep->family == WG_AF_INET6 && g.fd_family != AF_INET6) {
		g.st.send_errors++;
		return;
	}
	sl = endpoint_to_sockaddr(ep, &ss);
	if (sendto(g.fd, msg, len, 0, (struct sockaddr *)&ss, sl) < 0) {
		g.st.send_errors++;
		DBG("sendto: %s", strerror(errno));
	}
}

static void
aead_seal(const uint8_t key[WG_KEY_LEN], uint64_t counter, uint8_t *data,
	  uint32_t len)
{
	if (g.driver == NULL) {
		/* wg_aead_encrypt writes len + 16 bytes; in place is fine for
		 * libsodium's ChaCha20-Poly1305, but keep it obviously safe. */
		uint8_t tmp[BUF_LEN];

		wg_aead_encrypt(tmp, data, len, NULL, 0, counter, key);
		memcpy(data, tmp, len + WG_AEAD_TAG_SIZE);
	} else {
		struct wg_aead_op op = {
			.key = key,
			.counter = counter,
			.data = data,
			.len = len,
			.tag = data + len,
		};

		g.driver->seal(g.actx, &op, 1);
	}
}

static bool
aead_open(const uint8_t key[WG_KEY_LEN], uint64_t counter, uint8_t *data,
	  uint32_t ctlen)
{
	if (g.driver == NULL) {
		uint8_t tmp[BUF_LEN];

		if (!wg_aead_decrypt(tmp, data, ctlen, NULL, 0, counter, key))
			return false;
		memcpy(data, tmp, ctlen - WG_AEAD_TAG_SIZE);
		return true;
	} else {
		struct wg_aead_op op = {
			.key = key,
			.counter = counter,
			.data = data,
			.len = ctlen - WG_AEAD_TAG_SIZE,
			.tag = data + ctlen - WG_AEAD_TAG_SIZE,
			.status = -1,
		};

		return g.driver->open(g.actx, &op, 1) == 1 && op.status == 0;
	}
}

/* Seal plain (len bytes, 0 = keepalive) under kp/counter and send it. */
static void
seal_and_send(struct wg_peer *peer, struct wg_keypair *kp, uint64_t counter,
	      const uint8_t *plain, uint32_t len)
{
	uint8_t buf[BUF_LEN];
	struct wg_msg_data *hdr = (struct wg_msg_data *)buf;
	uint32_t padded = wg_data_padded_len(len, TUNNEL_MTU);
	size_t wire = WG_MSG_DATA_HEADER_LEN + padded + WG_AEAD_TAG_SIZE;

	note_keypair(kp, true);
	wg_data_header(hdr, kp, counter);
	if (len)
		memcpy(buf + WG_MSG_DATA_HEADER_LEN, plain, len);
	memset(buf + WG_MSG_DATA_HEADER_LEN + len, 0, padded - len);
	aead_seal(kp->send_key, counter, buf + WG_MSG_DATA_HEADER_LEN, padded);
	udp_send(&peer->endpoint, buf, wire);
	g.last_data_out = real_mono();
	wg_send_done(peer, kp, len, wire);
	if (len) {
		g.st.data_sent++;
		TRACE("data out: %u bytes, counter %" PRIu64 ", kp %08x",
		      len, counter, kp->entry.index);
	} else {
		g.st.keepalives_sent++;
		DBG("keepalive out: counter %" PRIu64 ", kp %08x", counter,
		    kp->entry.index);
	}
}

/* Send what waits in the queue, oldest first, while there is a keypair;
 * returns how many packets went. */
static unsigned int
flush_queue(struct wg_peer *peer)
{
	unsigned int sent = 0;

	while (g.q_len) {
		struct pkt *p = &g.queue[g.q_head];
		struct wg_keypair *kp;
		uint64_t counter;

		kp = wg_send_prepare(peer, &counter);
		if (kp == NULL)
			break;
		seal_and_send(peer, kp, counter, p->data, p->len);
		g.q_head = (g.q_head + 1) % QUEUE_MAX;
		g.q_len--;
		sent++;
	}
	return sent;
}

/* Send one inner packet to the peer, queueing it if there is no keypair. */
static void
tunnel_send(struct wg_peer *peer, const uint8_t *pkt, uint32_t len)
{
	struct pkt *p;

	if (g.q_len == QUEUE_MAX) {
		/* Drop the oldest, as the kernel does with its staged queue. */
		g.q_head = (g.q_head + 1) % QUEUE_MAX;
		g.q_len--;
		g.st.queue_overflow++;
	}
	p = &g.queue[(g.q_head + g.q_len) % QUEUE_MAX];
	memcpy(p->data, pkt, len);
	p->len = len;
	g.q_len++;
	flush_queue(peer);
	if (g.q_len) {
		g.st.queued++;
		DBG("no keypair yet: %u packet(s) queued", g.q_len);
	}
}

/* ------------------------------------------------------------ core hooks */

static void
hook_send_handshake(void *arg, struct wg_peer *peer, const void *msg,
		    size_t len)
{
	char e[64];

	(void)arg;
	g.st.handshake_sends++;
	if (((const uint8_t *)msg)[0] == WG_MSG_HANDSHAKE_INITIATION)
		g.st.inits_after_cookie++;
	DBG("handshake out: type %u, %zu bytes to %s",
	    ((const uint8_t *)msg)[0], len,
	    endpoint_str(&peer->endpoint, e, sizeof(e)));
	udp_send(&peer->endpoint, msg, len);
}

static void
hook_send_reply(void *arg, const struct wg_endpoint *to, const void *msg,
		size_t len)
{
	char e[64];

	(void)arg;
	g.st.handshake_replies++;
	DBG("reply out: type %u, %zu bytes to %s", ((const uint8_t *)msg)[0],
	    len, endpoint_str(to, e, sizeof(e)));
	udp_send(to, msg, len);
}

static void
hook_send_keepalive(void *arg, struct wg_peer *peer)
{
	struct wg_keypair *kp;
	uint64_t counter;

	(void)arg;
	kp = wg_send_prepare(peer, &counter);
	if (kp == NULL) {
		DBG("keepalive wanted but no keypair");
		return;
	}
	seal_and_send(peer, kp, counter, NULL, 0);
}

static bool
hook_keypair_ready(void *arg, struct wg_peer *peer)
{
	(void)arg;
	g.st.keypair_ready++;
	DBG("keypair ready: flushing %u queued packet(s)", g.q_len);
	/* false: nothing went, the core confirms with a keepalive */
	return flush_queue(peer) != 0;
}

static void
hook_purge_queue(void *arg, struct wg_peer *peer)
{
	(void)arg;
	(void)peer;
	if (g.q_len)
		LOG("core gave up handshaking: purging %u queued packet(s)",
		    g.q_len);
	g.st.purged += g.q_len;
	g.q_len = 0;
	g.q_head = 0;
}

static const struct wg_device_ops ops = {
	.send_handshake = hook_send_handshake,
	.send_reply = hook_send_reply,
	.send_keepalive = hook_send_keepalive,
	.keypair_ready = hook_keypair_ready,
	.purge_queue = hook_purge_queue,
};

/* ---------------------------------------------------------------- ICMP */

#define IP_HDR 20
#define ICMP_HDR 8

static uint32_t
build_echo(uint8_t *p, uint8_t type, uint16_t id, uint16_t seq,
	   const uint8_t src[4], const uint8_t dst[4],
	   const uint8_t *payload, uint32_t plen)
{
	uint32_t total = IP_HDR + ICMP_HDR + plen;
	static uint16_t ip_id;

	p[0] = 0x45;                /* IPv4, 20-byte header */
	p[1] = 0;
	put16(p + 2, (uint16_t)total);
	put16(p + 4, ++ip_id);
	put16(p + 6, 0x4000);       /* DF */
	p[8] = 64;                  /* TTL */
	p[9] = 1;                   /* ICMP */
	put16(p + 10, 0);
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	put16(p + 10, inet_csum(p, IP_HDR));

	p[IP_HDR] = type;
	p[IP_HDR + 1] = 0;
	put16(p + IP_HDR + 2, 0);
	put16(p + IP_HDR + 4, id);
	put16(p + IP_HDR + 6, seq);
	memcpy(p + IP_HDR + ICMP_HDR, payload, plen);
	put16(p + IP_HDR + 2, inet_csum(p + IP_HDR, ICMP_HDR + plen));
	return total;
}

/* Payload length of echo request seq: fixed, or spread over 8..max so
 * that every padding case and AEAD tail length gets exercised. */
static uint32_t
ping_payload_len(uint16_t seq)
{
	if (opt.ping_size_max == 0)
		return ICMP_PAYLOAD_LEN;
	return 8 + ((uint32_t)seq * 7919u) % (opt.ping_size_max - 7);
}

/* The payload of seq after its 8-byte timestamp. */
static void
ping_payload_fill(uint8_t *payload, uint32_t len, uint16_t seq)
{
	uint32_t i;

	for (i = 8; i < len; i++)
		payload[i] = (uint8_t)(i * 31u + seq);
}

static void
send_ping(uint16_t seq)
{
	uint8_t payload[ICMP_PAYLOAD_MAX];
	uint8_t pkt[IP_HDR + ICMP_HDR + ICMP_PAYLOAD_MAX];
	uint64_t t = real_mono();
	uint32_t len, plen = ping_payload_len(seq);

	memcpy(payload, &t, sizeof(t));
	ping_payload_fill(payload, plen, seq);
	len = build_echo(pkt, 8, g.icmp_id, seq, opt.local_ip, opt.remote_ip,
			 payload, plen);
	g.sent_at[seq] = t;
	g.st.echo_sent++;
	TRACE("echo request seq %u", seq);
	tunnel_send(g.peer, pkt, len);
}

/* An authenticated inner packet of len bytes (possibly padded). */
static void
handle_inner(const uint8_t *p, uint32_t len)
{
	uint32_t ihl, total;
	const uint8_t *icmp;
	uint32_t ilen;
	char a[16], b[16];

	if (len < IP_HDR || (p[0] >> 4) != 4) {
		g.st.inner_bad++;
		DBG("inner: not IPv4 (%u bytes, first byte %02x)", len,
		    len ? p[0] : 0);
		return;
	}
	ihl = (uint32_t)(p[0] & 0xf) * 4;
	total = get16(p + 2);
	if (ihl < IP_HDR || total < ihl || total > len ||
	    inet_csum(p, ihl) != 0) {
		g.st.inner_bad++;
		DBG("inner: bad IPv4 header");
		return;
	}
	if (memcmp(p + 12, opt.remote_ip, 4) != 0 ||
	    memcmp(p + 16, opt.local_ip, 4) != 0) {
		/* Our allowed-ips is the peer's tunnel address only. */
		g.st.inner_bad++;
		DBG("inner: unexpected %s -> %s", ip4_str(p + 12, a),
		    ip4_str(p + 16, b));
		return;
	}
	if (p[9] != 1 || (get16(p + 6) & 0x3fff) != 0) {
		g.st.inner_bad++;
		DBG("inner: protocol %u, not an unfragmented ICMP", p[9]);
		return;
	}
	icmp = p + ihl;
	ilen = total - ihl;
	if (ilen < ICMP_HDR || inet_csum(icmp, ilen) != 0) {
		g.st.inner_bad++;
		DBG("inner: bad ICMP");
		return;
	}
	if (icmp[0] == 0 && get16(icmp + 4) == g.icmp_id) {
		uint16_t seq = get16(icmp + 6);

		if (seq == 0 || seq > opt.ping || g.sent_at[seq] == 0) {
			g.st.inner_bad++;
			DBG("echo reply with unknown seq %u", seq);
			return;
		}
		{
			uint8_t want[ICMP_PAYLOAD_MAX];
			uint32_t plen = ping_payload_len(seq);

			ping_payload_fill(want, plen, seq);
			if (ilen - ICMP_HDR != plen ||
			    memcmp(icmp + ICMP_HDR + 8, want + 8,
				   plen - 8) != 0) {
				g.st.inner_bad++;
				DBG("echo reply seq %u: payload differs", seq);
				return;
			}
		}
		if (g.seen_reply[seq]) {
			g.st.echo_dup_replies++;
			return;
		}
		g.seen_reply[seq] = 1;
		g.st.echo_replies++;
		{
			uint64_t rtt = real_mono() - g.sent_at[seq];

			g.st.rtt_sum_ns += rtt;
			if (rtt > g.st.rtt_max_ns)
				g.st.rtt_max_ns = rtt;
		}
		TRACE("echo reply seq %u", seq);
	} else if (icmp[0] == 8) {
		/* Answer it: the peer pings our tunnel address. */
		uint8_t out[TUNNEL_MTU];
		uint32_t olen;

		if (total > sizeof(out)) {
			g.st.inner_bad++;
			return;
		}
		olen = build_echo(out, 0, get16(icmp + 4), get16(icmp + 6),
				  opt.local_ip, opt.remote_ip,
				  icmp + ICMP_HDR, ilen - ICMP_HDR);
		g.st.echo_answered++;
		DBG("answering echo request id %u seq %u", get16(icmp + 4),
		    get16(icmp + 6));
		tunnel_send(g.peer, out, olen);
	} else {
		g.st.inner_bad++;
		DBG("inner: ICMP type %u", icmp[0]);
	}
}

/* -------------------------------------------------------------- receive */

static void
receive_data(uint8_t *buf, size_t len, const struct wg_endpoint *src)
{
	enum wg_drop_reason reason = WG_DROP_NONE;
	struct wg_keypair *kp;
	uint64_t counter;
	uint32_t ctlen;

	kp = wg_data_lookup(g.dev, buf, len, &reason);
	if (kp == NULL) {
		if (reason == WG_DROP_NONE || reason >= WG_DROP_REASON_MAX)
			reason = WG_DROP_UNKNOWN_INDEX;
		g.st.data_drops[reason]++;
		DBG("data dropped at lookup: %s", wg_drop_reason_name(reason));
		return;
	}
	memcpy(&counter, buf + 8, sizeof(counter));
	counter = wg_le64(counter);
	ctlen = (uint32_t)(len - WG_MSG_DATA_HEADER_LEN);
	if (!aead_open(kp->recv_key, counter, buf + WG_MSG_DATA_HEADER_LEN,
		       ctlen)) {
		g.st.data_drops[WG_DROP_DATA_AUTH]++;
		DBG("data dropped: does not authenticate");
		return;
	}
	reason = wg_data_accept(g.dev, kp, counter,
				ctlen - WG_AEAD_TAG_SIZE, src);
	if (reason != WG_DROP_NONE) {
		if (reason >= WG_DROP_REASON_MAX)
			reason = WG_DROP_BAD_STATE;
		g.st.data_drops[reason]++;
		DBG("data dropped at accept: %s", wg_drop_reason_name(reason));
		return;
	}
	/* kp may have been promoted (and queued packets flushed) by accept;
	 * it is still valid here: nothing retires the slot it now holds. */
	note_keypair(kp, false);
	if (!g.session_confirmed) {
		g.session_confirmed = true;
		LOG("session confirmed: authenticated data received");
	}
	if (ctlen == WG_AEAD_TAG_SIZE) {
		g.st.keepalives_received++;
		DBG("keepalive in: counter %" PRIu64, counter);
		return;
	}
	g.st.data_received++;
	handle_inner(buf + WG_MSG_DATA_HEADER_LEN, ctlen - WG_AEAD_TAG_SIZE);
}

static void
receive_one(void)
{
	uint8_t buf[BUF_LEN];
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct wg_endpoint src;
	ssize_t n;
	int reason = 0;
	enum wg_msg_type type;
	char e[64];

	n = recvfrom(g.fd, buf, sizeof(buf), MSG_DONTWAIT,
		     (struct sockaddr *)&ss, &sl);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			LOG("recvfrom: %s", strerror(errno));
		return;
	}
	sockaddr_to_endpoint(&ss, &src);
	type = wg_msg_classify(buf, (size_t)n, &reason);
	switch (type) {
	case WG_MSG_HANDSHAKE_INITIATION:
	case WG_MSG_HANDSHAKE_RESPONSE:
	case WG_MSG_HANDSHAKE_COOKIE: {
		enum wg_drop_reason r;

		DBG("handshake in: type %u, %zd bytes from %s", type, n,
		    endpoint_str(&src, e, sizeof(e)));
		if (opt.cross_initiation && g.st.handshake_sends == 0 &&
		    type == WG_MSG_HANDSHAKE_INITIATION) {
			/* Both initiations now cross on the wire. */
			LOG("peer initiates: initiating too before taking it");
			wg_peer_send_initiation(g.peer, false);
		}
		r = wg_receive_handshake(g.dev, buf, (size_t)n, &src,
					 opt.under_load);
		if (r == WG_DROP_NONE && type == WG_MSG_HANDSHAKE_COOKIE) {
			g.st.cookies_received++;
			g.st.inits_after_cookie = 0;
			g.st.inits_to_complete = 0;
			LOG("cookie reply from %s accepted",
			    endpoint_str(&src, e, sizeof(e)));
		}
		if (r != WG_DROP_NONE && r != WG_DROP_COOKIE_SENT)
			LOG("handshake message type %u from %s dropped: %s",
			    type, endpoint_str(&src, e, sizeof(e)),
			    wg_drop_reason_name(r));
		break;
	}
	case WG_MSG_DATA:
		receive_data(buf, (size_t)n, &src);
		break;
	default:
		if (reason <= WG_DROP_NONE || reason >= WG_DROP_REASON_MAX)
			reason = WG_DROP_BAD_TYPE;
		g.st.data_drops[reason]++;
		DBG("invalid message (%zd bytes): %s", n,
		    wg_drop_reason_name((enum wg_drop_reason)reason));
		break;
	}
}

/* ------------------------------------------------------------- summary */

static unsigned int
rekeys_seen(void)
{
	return g.n_kp_all > 1 ? g.n_kp_all - 1 : 0;
}

static void
print_summary(bool ok, const char *why)
{
	uint64_t drops[WG_DROP_REASON_MAX];
	unsigned int i;
	bool any = false;
	char e[64];

	for (i = 0; i < WG_DROP_REASON_MAX; i++)
		drops[i] = g.dev->drops[i] + g.st.data_drops[i];

	printf("%s summary (%s, aead %s%s%s, clock x%u)\n", PROG,
	       opt.initiate ? "initiator" : "responder",
	       g.driver ? g.driver->name : "core",
	       g.driver ? "/" : "",
	       g.driver && g.driver->ctx_arch ? g.driver->ctx_arch(g.actx) : "",
	       opt.clock_scale);
	printf("  peer endpoint: %s\n",
	       endpoint_str(&g.peer->endpoint, e, sizeof(e)));
	printf("  handshakes: completed=%" PRIu64 " keypairs=%u (send=%u recv=%u)"
	       " rekeys=%u keypair_ready=%" PRIu64 "\n",
	       g.st.handshakes_completed, g.n_kp_all, g.n_kp_send, g.n_kp_recv,
	       rekeys_seen(), g.st.keypair_ready);
	printf("  handshake messages: sent=%" PRIu64 " replies=%" PRIu64
	       " forced=%" PRIu64 " device: in=%" PRIu64 " out=%" PRIu64
	       " cookies: sent=%" PRIu64 " received=%" PRIu64
	       " flood=%" PRIu64 " inits_after_cookie=%" PRIu64 "\n",
	       g.st.handshake_sends, g.st.handshake_replies,
	       g.st.forced_initiations, g.dev->handshakes_in,
	       g.dev->handshakes_out, g.dev->cookies_sent,
	       g.st.cookies_received, g.st.flood_sent,
	       g.st.inits_to_complete);
	printf("  echo: sent=%" PRIu64 " replies=%" PRIu64 " lost=%" PRIu64
	       " dup=%" PRIu64 " answered=%" PRIu64 " rtt_avg=%.3fms"
	       " rtt_max=%.3fms\n",
	       g.st.echo_sent, g.st.echo_replies,
	       g.st.echo_sent - g.st.echo_replies, g.st.echo_dup_replies,
	       g.st.echo_answered,
	       g.st.echo_replies ? (double)g.st.rtt_sum_ns /
				   (double)g.st.echo_replies / 1e6 : 0.0,
	       (double)g.st.rtt_max_ns / 1e6);
	printf("  data: sent=%" PRIu64 " received=%" PRIu64
	       " keepalives_sent=%" PRIu64 " keepalives_received=%" PRIu64
	       " queued=%" PRIu64 " purged=%" PRIu64 " inner_bad=%" PRIu64
	       " send_errors=%" PRIu64 " no_endpoint=%" PRIu64 "\n",
	       g.st.data_sent, g.st.data_received, g.st.keepalives_sent,
	       g.st.keepalives_received, g.st.queued, g.st.purged,
	       g.st.inner_bad, g.st.send_errors, g.st.no_endpoint);
	printf("  peer bytes: rx=%" PRIu64 " tx=%" PRIu64 "\n",
	       (uint64_t)atomic_load(&g.peer->rx_bytes),
	       (uint64_t)atomic_load(&g.peer->tx_bytes));
	printf("  drops:");
	for (i = 1; i < WG_DROP_REASON_MAX; i++) {
		if (drops[i] == 0)
			continue;
		printf(" %s=%" PRIu64, wg_drop_reason_name(i), drops[i]);
		any = true;
	}
	printf("%s\n", any ? "" : " none");
	printf("  result: %s%s%s\n", ok ? "PASS" : "FAIL", why ? ": " : "",
	       why ? why : "");
	fflush(stdout);
}

/* --------------------------------------------------------------- flood */

/*
 * Put the peer under load: a burst of junk initiations with a valid MAC1
 * (so the peer looks at its load before it answers them) from another
 * socket of ours, so the cookie replies they earn do not reach the core.
 * Right after it, our real initiation should earn a cookie reply, and the
 * retransmission, MAC2 made from that cookie, should be let through.
 */
static void
flood_initiations(void)
{
	static const char label[] = "mac1----";
	uint8_t mac1_key[WG_HASH_LEN];
	struct wg_msg_initiation msg;
	struct sockaddr_storage ss;
	socklen_t sl;
	unsigned int i;
	int fd;

	fd = socket(g.fd_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("flood socket: %s", strerror(errno));
	wg_hash2(mac1_key, label, sizeof(label) - 1, opt.peer_key, WG_KEY_LEN);
	sl = endpoint_to_sockaddr(&opt.endpoint, &ss);
	for (i = 0; i < opt.flood; i++) {
		wg_random(&msg, sizeof(msg));
		msg.header.type = wg_le32(WG_MSG_HANDSHAKE_INITIATION);
		wg_mac(msg.macs.mac1, mac1_key, sizeof(mac1_key), &msg,
		       offsetof(struct wg_msg_initiation, macs));
		memset(msg.macs.mac2, 0, sizeof(msg.macs.mac2));
		if (sendto(fd, &msg, sizeof(msg), 0, (struct sockaddr *)&ss,
			   sl) == (ssize_t)sizeof(msg))
			g.st.flood_sent++;
	}
	close(fd);
	LOG("sent %" PRIu64 " junk initiations with a valid MAC1",
	    g.st.flood_sent);
}

/* --------------------------------------------------------------- setup */

static void
open_socket(void)
{
	int fd = -1, off = 0, family;

	if (opt.have_bind)
		family = opt.bind_addr.ss_family;
	else
		family = AF_INET6;
	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 && family == AF_INET6 && !opt.have_bind) {
		family = AF_INET;
		fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	}
	if (fd < 0)
		die("socket: %s", strerror(errno));
	if (family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) < 0 &&
	    !opt.have_bind)
		die("IPV6_V6ONLY: %s", strerror(errno));
	if (opt.have_bind) {
		struct sockaddr_storage ss = opt.bind_addr;
		socklen_t sl;

		if (family == AF_INET6) {
			((struct sockaddr_in6 *)&ss)->sin6_port =
				htons(opt.listen_port);
			sl = sizeof(struct sockaddr_in6);
		} else {
			((struct sockaddr_in *)&ss)->sin_port =
				htons(opt.listen_port);
			sl = sizeof(struct sockaddr_in);
		}
		if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
			die("bind: %s", strerror(errno));
	} else if (family == AF_INET6) {
		struct sockaddr_in6 s6 = {
			.sin6_family = AF_INET6,
			.sin6_port = htons(opt.listen_port),
			.sin6_addr = IN6ADDR_ANY_INIT,
		};

		if (bind(fd, (struct sockaddr *)&s6, sizeof(s6)) < 0)
			die("bind [::]:%u: %s", opt.listen_port,
			    strerror(errno));
	} else {
		struct sockaddr_in s4 = {
			.sin_family = AF_INET,
			.sin_port = htons(opt.listen_port),
			.sin_addr.s_addr = htonl(INADDR_ANY),
		};

		if (bind(fd, (struct sockaddr *)&s4, sizeof(s4)) < 0)
			die("bind 0.0.0.0:%u: %s", opt.listen_port,
			    strerror(errno));
	}
	g.fd = fd;
	g.fd_family = family;
}

static void
usage(FILE *f)
{
	fprintf(f,
"usage: " PROG " --private-key B64 --peer-key B64 --listen-port PORT\n"
"          --local-tunnel-ip A.B.C.D --remote-tunnel-ip A.B.C.D [options]\n"
"  --psk B64                 preshared key\n"
"  --endpoint IP:PORT        the peer's endpoint ([v6]:port for IPv6);\n"
"                            without it, learnt from its handshake\n"
"  --bind ADDR               local address to bind (default: [::], dual stack)\n"
"  --initiate                we start the handshake (by sending)\n"
"  --ping N                  send N echo requests through the tunnel\n"
"                            (as responder: once the session is confirmed)\n"
"  --interval MS             between echo requests (default 100)\n"
"  --ping-size-max N         vary echo payloads over 8..N bytes (max %u)\n"
"  --min-duration S          run at least S seconds (e.g. for keepalives)\n"
"  --max-loss N              echo replies that may be missing (default 0)\n"
"  --expect-echo N           answer at least N echo requests of the peer\n"
"  --clock-scale K           run the core's clock K times faster\n"
"  --rekey-after-packets N   force a new handshake every N packets sent\n"
"  --expect-rekeys N         rekeys needed to pass (default: 1 with\n"
"                            --clock-scale > 1 or --rekey-after-packets)\n"
"  --persistent-keepalive S  persistent keepalive interval\n"
"  --aead NAME               AEAD driver (sodium, ipsec_mb), or core to\n"
"                            use wg_aead_encrypt (default: best driver)\n"
"  --list-aead               print the usable AEAD back ends and exit\n"
"  --under-load              treat every handshake as under load: answer\n"
"                            it with a cookie unless its MAC2 is valid\n"
"  --cross-initiation        when the peer's first initiation arrives,\n"
"                            send ours before handling it (needs --endpoint)\n"
"  --flood-initiations N     before initiating, send N junk initiations\n"
"                            (valid MAC1) to put the peer under load\n"
"  --expect-cookies-sent N   exactly N cookie replies sent to pass\n"
"  --expect-cookies-received N  exactly N cookie replies accepted to pass\n"
"  --timeout S               give up after S seconds (default 60)\n"
"  -v, --verbose             more logging (twice: per packet)\n",
		ICMP_PAYLOAD_MAX);
}

static unsigned long
parse_num(const char *s, const char *what, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v > max)
		die("bad %s: %s", what, s);
	return v;
}

static void
parse_key(uint8_t key[WG_KEY_LEN], const char *s, const char *what)
{
	if (!wg_key_from_base64(key, s))
		die("bad %s (want base64 of 32 bytes)", what);
}

/* Print the AEAD back ends usable on this CPU, one a line, then "core". */
static void
list_aead(void)
{
	const struct wg_aead_driver *const *d;

	if (!wg_crypto_init())
		die("cannot initialise the crypto library");
	for (d = wg_aead_driver_list(); *d != NULL; d++)
		if ((*d)->probe == NULL || (*d)->probe())
			printf("%s\n", (*d)->name);
	printf("core\n");
}

static void
parse_args(int argc, char **argv)
{
	enum {
		O_PRIV = 256, O_PORT, O_PEER, O_PSK, O_EP, O_LIP, O_RIP,
		O_PING, O_INIT, O_SCALE, O_REKEYN, O_TIMEOUT, O_INTERVAL,
		O_EXREKEY, O_EXECHO, O_MAXLOSS, O_PKA, O_AEAD, O_BIND,
		O_LIST_AEAD, O_UNDER_LOAD, O_FLOOD, O_EXCOOKIE_S,
		O_EXCOOKIE_R, O_PING_SIZE, O_MIN_DURATION, O_CROSS,
	};
	static const struct option lo[] = {
		{ "private-key", required_argument, NULL, O_PRIV },
		{ "listen-port", required_argument, NULL, O_PORT },
		{ "peer-key", required_argument, NULL, O_PEER },
		{ "psk", required_argument, NULL, O_PSK },
		{ "endpoint", required_argument, NULL, O_EP },
		{ "bind", required_argument, NULL, O_BIND },
		{ "local-tunnel-ip", required_argument, NULL, O_LIP },
		{ "remote-tunnel-ip", required_argument, NULL, O_RIP },
		{ "ping", required_argument, NULL, O_PING },
		{ "interval", required_argument, NULL, O_INTERVAL },
		{ "ping-size-max", required_argument, NULL, O_PING_SIZE },
		{ "min-duration", required_argument, NULL, O_MIN_DURATION },
		{ "initiate", no_argument, NULL, O_INIT },
		{ "clock-scale", required_argument, NULL, O_SCALE },
		{ "rekey-after-packets", required_argument, NULL, O_REKEYN },
		{ "expect-rekeys", required_argument, NULL, O_EXREKEY },
		{ "expect-echo", required_argument, NULL, O_EXECHO },
		{ "max-loss", required_argument, NULL, O_MAXLOSS },
		{ "persistent-keepalive", required_argument, NULL, O_PKA },
		{ "aead", required_argument, NULL, O_AEAD },
		{ "list-aead", no_argument, NULL, O_LIST_AEAD },
		{ "under-load", no_argument, NULL, O_UNDER_LOAD },
		{ "cross-initiation", no_argument, NULL, O_CROSS },
		{ "flood-initiations", required_argument, NULL, O_FLOOD },
		{ "expect-cookies-sent", required_argument, NULL,
		  O_EXCOOKIE_S },
		{ "expect-cookies-received", required_argument, NULL,
		  O_EXCOOKIE_R },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "vh", lo, NULL)) != -1) {
		switch (c) {
		case O_PRIV:
			parse_key(opt.private_key, optarg, "--private-key");
			opt.have_private_key = true;
			break;
		case O_PEER:
			parse_key(opt.peer_key, optarg, "--peer-key");
			opt.have_peer_key = true;
			break;
		case O_PSK:
			parse_key(opt.psk, optarg, "--psk");
			opt.have_psk = true;
			break;
		case O_PORT:
			opt.listen_port = (uint16_t)parse_num(optarg,
						"--listen-port", 65535);
			break;
		case O_EP:
			if (!parse_endpoint(optarg, &opt.endpoint))
				die("bad --endpoint: %s", optarg);
			break;
		case O_BIND: {
			struct sockaddr_in *s4 =
				(struct sockaddr_in *)&opt.bind_addr;
			struct sockaddr_in6 *s6 =
				(struct sockaddr_in6 *)&opt.bind_addr;

			memset(&opt.bind_addr, 0, sizeof(opt.bind_addr));
			if (inet_pton(AF_INET, optarg, &s4->sin_addr) == 1)
				s4->sin_family = AF_INET;
			else if (inet_pton(AF_INET6, optarg,
					   &s6->sin6_addr) == 1)
				s6->sin6_family = AF_INET6;
			else
				die("bad --bind: %s", optarg);
			opt.have_bind = true;
			break;
		}
		case O_LIP:
			if (inet_pton(AF_INET, optarg, opt.local_ip) != 1)
				die("bad --local-tunnel-ip: %s", optarg);
			opt.have_local_ip = true;
			break;
		case O_RIP:
			if (inet_pton(AF_INET, optarg, opt.remote_ip) != 1)
				die("bad --remote-tunnel-ip: %s", optarg);
			opt.have_remote_ip = true;
			break;
		case O_PING:
			opt.ping = (unsigned int)parse_num(optarg, "--ping",
							   MAX_PINGS);
			break;
		case O_PING_SIZE:
			opt.ping_size_max = (unsigned int)parse_num(optarg,
					"--ping-size-max", ICMP_PAYLOAD_MAX);
			if (opt.ping_size_max < 8)
				die("--ping-size-max must be at least 8");
			break;
		case O_MIN_DURATION:
			opt.min_duration_s = (unsigned int)parse_num(optarg,
					"--min-duration", 86400);
			break;
		case O_INTERVAL:
			opt.interval_ms = (unsigned int)parse_num(optarg,
						"--interval", 60000);
			break;
		case O_INIT:
			opt.initiate = true;
			break;
		case O_SCALE:
			opt.clock_scale = (unsigned int)parse_num(optarg,
						"--clock-scale", 1000);
			if (opt.clock_scale == 0)
				die("--clock-scale must be at least 1");
			break;
		case O_REKEYN:
			opt.rekey_after_packets = (unsigned int)parse_num(
				optarg, "--rekey-after-packets", UINT32_MAX);
			break;
		case O_EXREKEY:
			opt.expect_rekeys = (int)parse_num(optarg,
						"--expect-rekeys", 1000);
			break;
		case O_EXECHO:
			opt.expect_echo = (unsigned int)parse_num(optarg,
						"--expect-echo", UINT32_MAX);
			break;
		case O_MAXLOSS:
			opt.max_loss = (unsigned int)parse_num(optarg,
						"--max-loss", UINT32_MAX);
			break;
		case O_PKA:
			opt.persistent_keepalive = (unsigned int)parse_num(
				optarg, "--persistent-keepalive", 65535);
			break;
		case O_AEAD:
			opt.aead = optarg;
			break;
		case O_LIST_AEAD:
			list_aead();
			exit(0);
		case O_UNDER_LOAD:
			opt.under_load = true;
			break;
		case O_CROSS:
			opt.cross_initiation = true;
			break;
		case O_FLOOD:
			opt.flood = (unsigned int)parse_num(optarg,
					"--flood-initiations", 1000000);
			break;
		case O_EXCOOKIE_S:
			opt.expect_cookies_sent = (int)parse_num(optarg,
					"--expect-cookies-sent", 1000);
			break;
		case O_EXCOOKIE_R:
			opt.expect_cookies_received = (int)parse_num(optarg,
					"--expect-cookies-received", 1000);
			break;
		case O_TIMEOUT:
			opt.timeout_s = (unsigned int)parse_num(optarg,
						"--timeout", 86400);
			break;
		case 'v':
			opt.verbose++;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc) {
		usage(stderr);
		exit(2);
	}
	if (!opt.have_private_key || !opt.have_peer_key ||
	    !opt.have_local_ip || !opt.have_remote_ip) {
		usage(stderr);
		exit(2);
	}
	if (opt.initiate && opt.endpoint.family == WG_AF_NONE)
		die("--initiate needs --endpoint");
	if (opt.flood && !opt.initiate)
		die("--flood-initiations needs --initiate");
	if (opt.cross_initiation && opt.endpoint.family == WG_AF_NONE)
		die("--cross-initiation needs --endpoint");
	if (opt.expect_rekeys < 0)
		opt.expect_rekeys = (opt.clock_scale > 1 ||
				     opt.rekey_after_packets) ? 1 : 0;
}

static void
on_signal(int sig)
{
	stop_signal = sig;
}

/* ---------------------------------------------------------------- main */

int
main(int argc, char **argv)
{
	struct wg_device_config cfg = { 0 };
	uint64_t deadline, next_ping = 0, last_ping_at = 0;
	unsigned int next_seq = 1;
	const char *why = NULL;
	bool ok = false, pings_started = false;
	char e[64];
	struct sigaction sa = { .sa_handler = on_signal };

	g.start_ns = real_mono();
	setvbuf(stdout, NULL, _IOLBF, 0);
	parse_args(argc, argv);
	if (!wg_crypto_init())
		die("cannot initialise the crypto library");

#ifdef WG_INTEROP_NO_AEAD_DRIVERS
	if (opt.aead == NULL)
		opt.aead = "core";
#endif
	if (strcmp(opt.aead ? opt.aead : "", "core") != 0) {
		g.driver = wg_aead_driver_find(opt.aead);
		if (g.driver == NULL)
			die("no AEAD driver %s", opt.aead ? opt.aead : "at all");
		if (g.driver->probe && !g.driver->probe())
			die("AEAD driver %s cannot run here", g.driver->name);
		g.actx = g.driver->ctx_create();
		if (g.actx == NULL)
			die("AEAD driver %s: no context", g.driver->name);
	}

	g.seen_reply = calloc(opt.ping + 1, 1);
	g.sent_at = calloc(opt.ping + 1, sizeof(*g.sent_at));
	if (g.seen_reply == NULL || g.sent_at == NULL)
		die("out of memory");
	g.icmp_id = (uint16_t)(getpid() & 0xffff);

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	open_socket();

	cfg.ops = &ops;
	if (opt.clock_scale > 1) {
		sclock.mono0 = real_mono();
		sclock.real0 = now_ns(CLOCK_REALTIME);
		sclock.scale = opt.clock_scale;
		cfg.clock = &scaled_clock;
	}
	g.dev = wg_device_create(&cfg);
	if (g.dev == NULL)
		die("wg_device_create failed");
	if (wg_device_set_private_key(g.dev, opt.private_key) != 0)
		die("wg_device_set_private_key failed");
	g.peer = wg_peer_create(g.dev, opt.peer_key,
				opt.have_psk ? opt.psk : NULL);
	if (g.peer == NULL)
		die("wg_peer_create: %s", strerror(errno));
	if (opt.endpoint.family != WG_AF_NONE)
		wg_peer_set_endpoint(g.peer, &opt.endpoint);
	if (opt.persistent_keepalive)
		wg_peer_set_persistent_keepalive(g.peer,
				(uint16_t)opt.persistent_keepalive);

	LOG("%s on port %u (%s socket), peer endpoint %s, aead %s, clock x%u",
	    opt.initiate ? "initiator" : "responder", opt.listen_port,
	    g.fd_family == AF_INET6 ? "dual-stack" : "IPv4",
	    endpoint_str(&opt.endpoint, e, sizeof(e)),
	    g.driver ? g.driver->name : "core", opt.clock_scale);
	/* The script waits for this line before it makes the peer talk. */
	printf("%s: ready\n", PROG);

	deadline = real_mono() + (uint64_t)opt.timeout_s * WG_NS_PER_SEC;
	if (opt.flood)
		flood_initiations();
	if (opt.initiate && opt.ping == 0)
		wg_peer_send_initiation(g.peer, false);

	for (;;) {
		struct pollfd pfd = { .fd = g.fd, .events = POLLIN };
		uint64_t now = real_mono();
		int timeout_ms = 10;
		bool pings_done, echo_done, rekeys_done;

		if (stop_signal) {
			why = "interrupted";
			break;
		}
		if (now >= deadline) {
			why = "timed out";
			break;
		}

		/* Our own pings: at once as initiator, once the session is
		 * confirmed as responder. */
		if (!pings_started && opt.ping &&
		    (opt.initiate || g.session_confirmed)) {
			pings_started = true;
			next_ping = now;
		}
		if (pings_started && next_seq <= opt.ping && now >= next_ping) {
			send_ping((uint16_t)next_seq);
			next_seq++;
			last_ping_at = now;
			next_ping = now + (uint64_t)opt.interval_ms *
					  WG_NS_PER_MS;
		}

		/* The forced rekey: keep asking (the core rate-limits to one
		 * per REKEY_TIMEOUT) until a new handshake completes. */
		if (opt.rekey_after_packets && g.st.handshakes_completed &&
		    g.st.handshakes_completed <
		    1 + g.st.data_sent / opt.rekey_after_packets) {
			uint64_t before = g.st.handshake_sends;

			wg_peer_send_initiation(g.peer, false);
			if (g.st.handshake_sends != before) {
				g.st.forced_initiations++;
				LOG("forced a new handshake after %" PRIu64
				    " packets", g.st.data_sent);
			}
		}

		if (poll(&pfd, 1, timeout_ms) > 0 && (pfd.revents & POLLIN)) {
			unsigned int i;

			for (i = 0; i < 64; i++)
				receive_one();
		}
		wg_device_run_timers(g.dev);
		flush_queue(g.peer);

		if (g.peer->last_handshake_realtime != g.last_handshake_seen) {
			g.last_handshake_seen = g.peer->last_handshake_realtime;
			g.st.handshakes_completed++;
			if (g.st.cookies_received && !g.st.inits_to_complete)
				g.st.inits_to_complete =
					g.st.inits_after_cookie;
			LOG("handshake completed (%" PRIu64 " so far)",
			    g.st.handshakes_completed);
		}

		now = real_mono();
		/* Replies are waited for from when the last request left,
		 * which is later than it was made if it had to queue. */
		if (g.last_data_out > last_ping_at)
			last_ping_at = g.last_data_out;
		pings_done = next_seq > opt.ping && g.q_len == 0 &&
			     (g.st.echo_replies == opt.ping ||
			      now >= last_ping_at + REPLY_WAIT_NS);
		echo_done = g.st.echo_answered >= opt.expect_echo;
		rekeys_done = rekeys_seen() >= (unsigned int)opt.expect_rekeys;
		if (now < g.start_ns + (uint64_t)opt.min_duration_s *
			  WG_NS_PER_SEC)
			continue;
		if (g.st.handshakes_completed && pings_done && echo_done &&
		    (rekeys_done || opt.ping > 0)) {
			ok = true;
			break;
		}
	}

	/* Judge. */
	if (ok) {
		static char buf[128];

		if (g.st.echo_sent < opt.ping) {
			ok = false;
			why = "not every echo request was sent";
		} else if (g.st.echo_sent - g.st.echo_replies > opt.max_loss) {
			snprintf(buf, sizeof(buf),
				 "%" PRIu64 " echo replies missing (max %u)",
				 g.st.echo_sent - g.st.echo_replies,
				 opt.max_loss);
			ok = false;
			why = buf;
		} else if (g.st.echo_answered < opt.expect_echo) {
			ok = false;
			why = "too few echo requests answered";
		} else if (rekeys_seen() < (unsigned int)opt.expect_rekeys) {
			snprintf(buf, sizeof(buf),
				 "%u rekeys seen, %d wanted", rekeys_seen(),
				 opt.expect_rekeys);
			ok = false;
			why = buf;
		} else if (g.st.handshakes_completed == 0) {
			ok = false;
			why = "no handshake completed";
		} else if (g.st.data_drops[WG_DROP_DATA_AUTH] ||
			   g.dev->drops[WG_DROP_HANDSHAKE_AUTH] ||
			   g.dev->drops[WG_DROP_BAD_MAC1]) {
			ok = false;
			why = "authentication failures";
		} else if (g.st.inner_bad) {
			ok = false;
			why = "malformed inner packets";
		} else if (g.st.data_drops[WG_DROP_REPLAY] ||
			   g.st.data_drops[WG_DROP_TOO_OLD]) {
			/* One path, no duplicates: the window must take
			 * every authentic packet. */
			ok = false;
			why = "authentic packets refused by the replay window";
		} else if (opt.expect_cookies_sent >= 0 &&
			   g.dev->cookies_sent !=
			   (uint64_t)opt.expect_cookies_sent) {
			snprintf(buf, sizeof(buf),
				 "%" PRIu64 " cookie replies sent, %d wanted",
				 g.dev->cookies_sent, opt.expect_cookies_sent);
			ok = false;
			why = buf;
		} else if (opt.expect_cookies_received >= 0 &&
			   g.st.cookies_received !=
			   (uint64_t)opt.expect_cookies_received) {
			snprintf(buf, sizeof(buf),
				 "%" PRIu64 " cookie replies accepted, %d wanted",
				 g.st.cookies_received,
				 opt.expect_cookies_received);
			ok = false;
			why = buf;
		} else if (opt.expect_cookies_received > 0 &&
			   g.st.inits_to_complete != 1) {
			/* The initiation right after the cookie carries a
			 * MAC2 from it: the peer, still under load, must
			 * have taken it. */
			snprintf(buf, sizeof(buf),
				 "%" PRIu64 " initiations after the cookie "
				 "before a handshake completed, 1 wanted",
				 g.st.inits_to_complete);
			ok = false;
			why = buf;
		}
	}
	print_summary(ok, why);

	wg_device_destroy(g.dev);
	if (g.actx)
		g.driver->ctx_free(g.actx);
	close(g.fd);
	free(g.seen_reply);
	free(g.sent_at);
	return ok ? 0 : 1;
}
