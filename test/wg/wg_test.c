/* SPDX-License-Identifier: BSD-3-Clause */
#include <inttypes.h>
#include <sodium.h>

#include "wg_test.h"

/*
 * Every random draw of a test program (keys, indices, timer jitter) comes
 * from one seed, so a rare failure happens again with the seed it printed:
 * WG_TEST_SEED=n picks it (else it is drawn from the system), and
 * wg_test_done() prints it when a check failed. WG_TEST_TRACE=1 prints
 * every packet put on the wire and what became of it, in virtual time.
 */
static uint64_t seeded_seed;
static _Atomic uint64_t seeded_calls;
static bool trace_on;

static void
seeded_buf(void *buf, size_t len)
{
	uint8_t key[randombytes_SEEDBYTES] = { 0 };
	uint64_t call = atomic_fetch_add(&seeded_calls, 1);

	memcpy(key, &seeded_seed, sizeof(seeded_seed));
	memcpy(key + 8, &call, sizeof(call));
	randombytes_buf_deterministic(buf, len, key);
}

static uint32_t
seeded_random(void)
{
	uint32_t r;

	seeded_buf(&r, sizeof(r));
	return r;
}

static const char *
seeded_name(void)
{
	return "wg_test_seeded";
}

static struct randombytes_implementation seeded_impl = {
	.implementation_name = seeded_name,
	.random = seeded_random,
	.buf = seeded_buf,
};

__attribute__((constructor)) static void
wg_test_env(void)
{
	const char *seed = getenv("WG_TEST_SEED");
	const char *trace = getenv("WG_TEST_TRACE");

	trace_on = trace != NULL && *trace != '\0' && *trace != '0';
	if (seed != NULL && *seed != '\0')
		seeded_seed = strtoull(seed, NULL, 0);
	else
		randombytes_buf(&seeded_seed, sizeof(seeded_seed));
	randombytes_set_implementation(&seeded_impl);
}

unsigned int
wg_test_seed_note(unsigned int failures)
{
	if (failures != 0)
		fprintf(stderr, "WG_TEST_SEED=%" PRIu64 " reproduces this run\n",
			seeded_seed);
	return failures;
}

static const char *
node_name(const struct wg_test_pair *p, const struct wg_endpoint *ep)
{
	return wg_endpoint_equal(ep, &p->a.addr) ? "a" :
	       wg_endpoint_equal(ep, &p->b.addr) ? "b" : "?";
}

static void
trace_pkt(const struct wg_test_pair *p, const char *what,
	  const struct wg_endpoint *from, const struct wg_endpoint *to,
	  const uint8_t *pkt, size_t len, const char *result)
{
	static const char *const types[] = { "?", "initiation", "response",
					     "cookie", "data" };
	uint32_t type = 0, idx1 = 0, idx2 = 0;
	uint64_t counter = 0;

	if (!trace_on)
		return;
	if (len >= 16) {
		memcpy(&type, pkt, 4);
		memcpy(&idx1, pkt + 4, 4);
		memcpy(&idx2, pkt + 8, 4);
		memcpy(&counter, pkt + 8, 8);
	}
	type = wg_le32(type) < 5 ? wg_le32(type) : 0;
	fprintf(stderr, "[%9.3f] %-7s %s->%s %-10s", (double)(p->clock.mono -
		WG_NS_PER_SEC) / WG_NS_PER_SEC, what, node_name(p, from),
		node_name(p, to), types[type]);
	if (type == 1)
		fprintf(stderr, " sender=%08x", idx1);
	else if (type == 2)
		fprintf(stderr, " sender=%08x receiver=%08x", idx1, idx2);
	else if (type == 3)
		fprintf(stderr, " receiver=%08x", idx1);
	else if (type == 4)
		fprintf(stderr, " receiver=%08x counter=%" PRIu64 " len=%zu",
			idx1, wg_le64(counter), len);
	fprintf(stderr, "%s%s\n", result ? " -> " : "", result ? result : "");
}

struct wg_test_pkt
wg_test_take_packet(struct wg_test_pair *p)
{
	struct wg_test_pkt pkt;

	if (p->wire_len == 0) {
		memset(&pkt, 0, sizeof(pkt));
		return pkt;
	}
	pkt = p->wire[0];
	memmove(&p->wire[0], &p->wire[1], --p->wire_len * sizeof(p->wire[0]));
	return pkt;
}

void
wg_test_clock_init(struct wg_test_clock *c)
{
	c->mono = WG_NS_PER_SEC;
	c->real = 1700000000ULL * WG_NS_PER_SEC;
}

void
wg_test_clock_advance(struct wg_test_clock *c, uint64_t ns)
{
	c->mono += ns;
	c->real += ns;
}

static uint64_t
test_mono(void *arg)
{
	return ((struct wg_test_clock *)arg)->mono;
}

static uint64_t
test_real(void *arg)
{
	return ((struct wg_test_clock *)arg)->real;
}

struct wg_clock
wg_test_clock_of(struct wg_test_clock *c)
{
	struct wg_clock clk = {
		.monotonic_ns = test_mono,
		.realtime_ns = test_real,
		.arg = c,
	};
	return clk;
}

static void
wire_put(struct wg_test_node *n, const struct wg_endpoint *to,
	 const void *msg, size_t len)
{
	struct wg_test_pair *p = n->pair;
	struct wg_test_pkt *pkt;

	p->sent_total++;
	trace_pkt(p, p->drop_all ? "lost" : "send", &n->addr, to, msg, len,
		  NULL);
	if (p->drop_all || p->wire_len == WG_TEST_WIRE_MAX ||
	    len > WG_TEST_PKT_MAX)
		return;
	pkt = &p->wire[p->wire_len++];
	memcpy(pkt->data, msg, len);
	pkt->len = len;
	pkt->from = n->addr;
	pkt->to = *to;
}

static void
hook_send_handshake(void *arg, struct wg_peer *peer, const void *msg,
		    size_t len)
{
	wire_put(arg, &peer->endpoint, msg, len);
}

static void
hook_send_reply(void *arg, const struct wg_endpoint *to, const void *msg,
		size_t len)
{
	wire_put(arg, to, msg, len);
}

size_t
wg_test_seal(struct wg_test_node *n, uint8_t *out, size_t plain_len)
{
	struct wg_msg_data *hdr = (struct wg_msg_data *)out;
	uint8_t plain[WG_TEST_PKT_MAX];
	struct wg_keypair *kp;
	uint64_t counter;
	size_t padded = wg_data_padded_len(plain_len, 1420);

	kp = wg_send_prepare(n->peer, &counter);
	if (kp == NULL)
		return 0;
	memset(plain, 0, padded);
	memset(plain, 0x45, plain_len);
	wg_data_header(hdr, kp, counter);
	wg_aead_encrypt(hdr->encrypted_data, plain, padded, NULL, 0, counter,
			kp->send_key);
	wg_send_done(n->peer, kp, plain_len,
		     WG_MSG_DATA_HEADER_LEN + padded + WG_AEAD_TAG_SIZE);
	return WG_MSG_DATA_HEADER_LEN + padded + WG_AEAD_TAG_SIZE;
}

static void
hook_send_keepalive(void *arg, struct wg_peer *peer)
{
	struct wg_test_node *n = arg;
	uint8_t buf[64];
	size_t len;

	len = wg_test_seal(n, buf, 0);
	if (len == 0)
		return;
	n->keepalives_sent++;
	wire_put(n, &peer->endpoint, buf, len);
}

static bool
hook_keypair_ready(void *arg, struct wg_peer *peer)
{
	struct wg_test_node *n = arg;
	unsigned int queued = n->queued, flushed = 0;

	(void)peer;
	n->keypair_ready_calls++;
	n->queued = 0;
	while (queued-- > 0)
		flushed += wg_test_send_data(n, 100);
	return flushed > 0;
}

static void
hook_purge(void *arg, struct wg_peer *peer)
{
	struct wg_test_node *n = arg;

	(void)peer;
	n->purges++;
	n->queued = 0;
}

static const struct wg_device_ops test_ops = {
	.send_handshake = hook_send_handshake,
	.send_reply = hook_send_reply,
	.send_keepalive = hook_send_keepalive,
	.keypair_ready = hook_keypair_ready,
	.purge_queue = hook_purge,
};

bool
wg_test_send_data(struct wg_test_node *n, size_t len)
{
	uint8_t buf[WG_TEST_PKT_MAX];
	size_t wire_len = wg_test_seal(n, buf, len);

	if (wire_len == 0) {
		n->queued++;
		return false;
	}
	n->data_sent++;
	wire_put(n, &n->peer->endpoint, buf, wire_len);
	return true;
}

enum wg_drop_reason
wg_test_receive(struct wg_test_node *n, const uint8_t *pkt, size_t len,
		const struct wg_endpoint *from)
{
	const struct wg_msg_data *hdr = (const void *)pkt;
	uint8_t plain[WG_TEST_PKT_MAX];
	enum wg_drop_reason reason;
	struct wg_keypair *kp;
	int r;

	if (wg_msg_classify(pkt, len, &r) != WG_MSG_DATA)
		return wg_receive_handshake(n->dev, pkt, len, from, false);

	kp = wg_data_lookup(n->dev, pkt, len, &reason);
	if (kp == NULL)
		goto drop;
	if (!wg_aead_decrypt(plain, hdr->encrypted_data,
			     len - WG_MSG_DATA_HEADER_LEN, NULL, 0,
			     wg_le64(hdr->counter), kp->recv_key)) {
		reason = WG_DROP_DATA_AUTH;
		goto drop;
	}
	len -= WG_MSG_DATA_MIN_LEN;
	reason = wg_data_accept(n->dev, kp, wg_le64(hdr->counter), len, from);
	if (reason != WG_DROP_NONE)
		goto drop;
	if (len == 0)
		n->keepalives_received++;
	else
		n->data_received++;
	return WG_DROP_NONE;
drop:
	n->dev->drops[reason]++;
	return reason;
}

static void
node_init(struct wg_test_pair *p, struct wg_test_node *n, uint8_t last_octet)
{
	struct wg_device_config cfg = {
		.clock = &p->wg_clock,
		.ops = &test_ops,
		.ops_arg = n,
	};

	memset(n, 0, sizeof(*n));
	n->pair = p;
	n->dev = wg_device_create(&cfg);
	wg_dh_generate(n->private_key, n->public_key);
	wg_device_set_private_key(n->dev, n->private_key);
	n->addr.family = WG_AF_INET;
	n->addr.port = 0x1bca;  /* 51739, any will do */
	n->addr.addr.v4[0] = 192;
	n->addr.addr.v4[1] = 0;
	n->addr.addr.v4[2] = 2;
	n->addr.addr.v4[3] = last_octet;
}

void
wg_test_pair_init(struct wg_test_pair *p, const uint8_t *psk,
		  uint32_t replay_window)
{
	memset(p, 0, sizeof(*p));
	wg_test_clock_init(&p->clock);
	p->wg_clock = wg_test_clock_of(&p->clock);
	node_init(p, &p->a, 1);
	node_init(p, &p->b, 2);
	p->a.dev->replay_window = replay_window ? replay_window :
		p->a.dev->replay_window;
	p->b.dev->replay_window = p->a.dev->replay_window;
	p->a.peer = wg_peer_create(p->a.dev, p->b.public_key, psk);
	p->b.peer = wg_peer_create(p->b.dev, p->a.public_key, psk);
	wg_peer_set_endpoint(p->a.peer, &p->b.addr);
	wg_peer_set_endpoint(p->b.peer, &p->a.addr);
}

void
wg_test_pair_free(struct wg_test_pair *p)
{
	wg_device_destroy(p->a.dev);
	wg_device_destroy(p->b.dev);
}

unsigned int
wg_test_pair_deliver(struct wg_test_pair *p)
{
	unsigned int delivered = 0;

	while (p->wire_len > 0) {
		struct wg_test_pkt pkt = p->wire[0];
		struct wg_test_node *to;

		memmove(&p->wire[0], &p->wire[1],
			--p->wire_len * sizeof(p->wire[0]));
		to = wg_endpoint_equal(&pkt.to, &p->a.addr) ? &p->a :
		     wg_endpoint_equal(&pkt.to, &p->b.addr) ? &p->b : NULL;
		if (to == NULL)
			continue;
		enum wg_drop_reason r;

		trace_pkt(p, "deliver", &pkt.from, &pkt.to, pkt.data, pkt.len,
			  NULL);
		r = wg_test_receive(to, pkt.data, pkt.len, &pkt.from);
		if (trace_on && r != WG_DROP_NONE)
			fprintf(stderr, "%12s dropped: %s\n", "",
				wg_drop_reason_name(r));
		delivered++;
	}
	return delivered;
}

void
wg_test_pair_tick(struct wg_test_pair *p)
{
	wg_device_run_timers(p->a.dev);
	wg_device_run_timers(p->b.dev);
	wg_test_pair_deliver(p);
}

void
wg_test_pair_run(struct wg_test_pair *p, uint64_t total_ns, uint64_t step_ns)
{
	uint64_t t;

	for (t = 0; t < total_ns; t += step_ns) {
		wg_test_clock_advance(&p->clock, step_ns);
		wg_test_pair_tick(p);
	}
}
