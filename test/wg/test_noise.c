/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Noise_IKpsk2 handshakes between two in-memory devices, and every kind of
 * malformed handshake or transport message, each rejected and counted by
 * reason.
 */
#include "wg_test.h"

static bool
keypairs_match(struct wg_keypair *i, struct wg_keypair *r)
{
	return i != NULL && r != NULL &&
	       memcmp(i->send_key, r->recv_key, WG_KEY_LEN) == 0 &&
	       memcmp(i->recv_key, r->send_key, WG_KEY_LEN) == 0 &&
	       i->remote_index == r->entry.index &&
	       r->remote_index == i->entry.index;
}

static void
test_handshake(const uint8_t *psk)
{
	struct wg_test_pair p;
	struct wg_keypair *ka, *kb;

	wg_test_pair_init(&p, psk, 0);
	wg_peer_send_initiation(p.a.peer, false);
	CHECK_EQ(p.wire_len, 1);
	CHECK_EQ(p.wire[0].len, WG_MSG_INITIATION_LEN);

	/* Initiation to b; b answers with a response. */
	struct wg_test_pkt init = wg_test_take_packet(&p);
	CHECK_EQ(wg_test_receive(&p.b, init.data, init.len, &init.from),
		 WG_DROP_NONE);
	CHECK_EQ(p.wire_len, 1);
	CHECK_EQ(p.wire[0].len, WG_MSG_RESPONSE_LEN);
	kb = atomic_load(&p.b.peer->keypairs.next);
	CHECK(kb != NULL);
	CHECK(atomic_load(&p.b.peer->keypairs.current) == NULL);

	/* Response to a: a's keypair is current at once, and with nothing
	 * queued a keepalive confirms the session. */
	struct wg_test_pkt resp = wg_test_take_packet(&p);
	CHECK_EQ(wg_test_receive(&p.a, resp.data, resp.len, &resp.from),
		 WG_DROP_NONE);
	ka = atomic_load(&p.a.peer->keypairs.current);
	CHECK(keypairs_match(ka, kb));
	CHECK(ka != NULL && ka->i_am_initiator);
	CHECK(!kb->i_am_initiator);
	CHECK_EQ(p.a.keepalives_sent, 1);

	/* The keepalive promotes b's keypair from next to current. */
	wg_test_pair_deliver(&p);
	CHECK(atomic_load(&p.b.peer->keypairs.current) == kb);
	CHECK(atomic_load(&p.b.peer->keypairs.next) == NULL);
	CHECK_EQ(p.b.keepalives_received, 1);

	/* Data both ways. */
	CHECK(wg_test_send_data(&p.a, 1000));
	CHECK(wg_test_send_data(&p.b, 64));
	wg_test_pair_deliver(&p);
	CHECK_EQ(p.a.data_received, 1);
	CHECK_EQ(p.b.data_received, 1);
	CHECK(p.a.peer->last_handshake_realtime != 0);
	CHECK(p.b.peer->last_handshake_realtime != 0);
	CHECK(atomic_load(&p.a.peer->rx_bytes) > 0);
	CHECK(atomic_load(&p.b.peer->tx_bytes) > 0);
	wg_test_pair_free(&p);
}

static void
test_psk_mismatch(void)
{
	uint8_t psk[WG_KEY_LEN];
	struct wg_test_pair p;

	wg_random(psk, sizeof(psk));
	wg_test_pair_init(&p, psk, 0);
	psk[0] ^= 1;
	wg_peer_set_preshared_key(p.b.peer, psk);
	wg_peer_send_initiation(p.a.peer, false);
	wg_test_pair_deliver(&p);
	/* The initiation does not depend on the PSK; the response does. */
	CHECK_EQ(p.a.dev->drops[WG_DROP_HANDSHAKE_AUTH], 1);
	CHECK(atomic_load(&p.a.peer->keypairs.current) == NULL);
	wg_test_pair_free(&p);
}

/* Re-sign a modified message as its sender would, so it gets past MAC1
 * and is judged on what was changed. */
static void
resign(struct wg_peer *sender_peer, uint8_t *msg, size_t len,
       struct wg_test_pair *p)
{
	wg_cookie_add_macs(&sender_peer->cookie, msg, len, p->clock.mono);
}

static enum wg_drop_reason
feed(struct wg_test_node *n, const uint8_t *msg, size_t len,
     const struct wg_endpoint *from)
{
	enum wg_drop_reason r = wg_test_receive(n, msg, len, from);

	n->pair->wire_len = 0;   /* discard what any answer put on the wire */
	return r;
}

static void
test_bad_initiation(void)
{
	struct wg_test_pair p;
	struct wg_test_pkt init;
	struct wg_msg_initiation *m;
	uint8_t buf[WG_TEST_PKT_MAX];
	uint64_t before;

	wg_test_pair_init(&p, NULL, 0);
	wg_peer_send_initiation(p.a.peer, false);
	init = wg_test_take_packet(&p);
	m = (struct wg_msg_initiation *)buf;

	/* Truncated and padded. */
	memcpy(buf, init.data, init.len);
	CHECK_EQ(feed(&p.b, buf, init.len - 1, &init.from), WG_DROP_TRUNCATED);
	buf[init.len] = 0;
	CHECK_EQ(feed(&p.b, buf, init.len + 1, &init.from), WG_DROP_TRUNCATED);
	CHECK_EQ(feed(&p.b, buf, 0, &init.from), WG_DROP_TRUNCATED);
	CHECK_EQ(feed(&p.b, buf, 3, &init.from), WG_DROP_TRUNCATED);

	/* Wrong type byte; reserved bytes set. */
	buf[0] = 7;
	CHECK_EQ(feed(&p.b, buf, init.len, &init.from), WG_DROP_BAD_TYPE);
	buf[0] = 1;
	buf[2] = 1;
	CHECK_EQ(feed(&p.b, buf, init.len, &init.from), WG_DROP_BAD_TYPE);
	buf[2] = 0;

	/* Bad MAC1: any flipped byte before or in mac1. */
	buf[10] ^= 0x80;
	CHECK_EQ(feed(&p.b, buf, init.len, &init.from), WG_DROP_BAD_MAC1);
	buf[10] ^= 0x80;
	m->macs.mac1[0] ^= 1;
	CHECK_EQ(feed(&p.b, buf, init.len, &init.from), WG_DROP_BAD_MAC1);
	m->macs.mac1[0] ^= 1;

	/* Valid MAC1 over a forged static or timestamp. */
	m->encrypted_static[5] ^= 1;
	resign(p.a.peer, buf, init.len, &p);
	CHECK_EQ(feed(&p.b, buf, init.len, &init.from), WG_DROP_HANDSHAKE_AUTH);
	memcpy(buf, init.data, init.len);
	m->encrypted_timestamp[20] ^= 1;
	resign(p.a.peer, buf, init.len, &p);
	CHECK_EQ(feed(&p.b, buf, init.len, &init.from), WG_DROP_HANDSHAKE_AUTH);
	memcpy(buf, init.data, init.len);
	m->unencrypted_ephemeral[3] ^= 1;
	resign(p.a.peer, buf, init.len, &p);
	CHECK_EQ(feed(&p.b, buf, init.len, &init.from), WG_DROP_HANDSHAKE_AUTH);

	/* A low-order ephemeral (all zero) fails the DH. */
	memcpy(buf, init.data, init.len);
	memset(m->unencrypted_ephemeral, 0, WG_KEY_LEN);
	resign(p.a.peer, buf, init.len, &p);
	CHECK_EQ(feed(&p.b, buf, init.len, &init.from), WG_DROP_HANDSHAKE_AUTH);

	/* The genuine one is taken once; its replay is stale. */
	before = p.b.dev->handshakes_in;
	CHECK_EQ(feed(&p.b, init.data, init.len, &init.from), WG_DROP_NONE);
	CHECK_EQ(p.b.dev->handshakes_in, before + 1);
	CHECK_EQ(feed(&p.b, init.data, init.len, &init.from),
		 WG_DROP_STALE_TIMESTAMP);

	/* A newer initiation within 1/50 s of the last one is a flood. */
	p.clock.real += WG_NS_PER_SEC;
	p.a.peer->last_sent_handshake = 0;
	wg_peer_send_initiation(p.a.peer, false);
	init = wg_test_take_packet(&p);
	CHECK_EQ(feed(&p.b, init.data, init.len, &init.from), WG_DROP_FLOOD);
	p.clock.mono += WG_NS_PER_SEC / WG_INITIATIONS_PER_SECOND;
	CHECK_EQ(feed(&p.b, init.data, init.len, &init.from), WG_DROP_NONE);

	/* Every drop was counted under its reason. */
	CHECK_EQ(p.b.dev->drops[WG_DROP_TRUNCATED], 4);
	CHECK_EQ(p.b.dev->drops[WG_DROP_BAD_TYPE], 2);
	CHECK_EQ(p.b.dev->drops[WG_DROP_BAD_MAC1], 2);
	CHECK_EQ(p.b.dev->drops[WG_DROP_HANDSHAKE_AUTH], 4);
	CHECK_EQ(p.b.dev->drops[WG_DROP_STALE_TIMESTAMP], 1);
	CHECK_EQ(p.b.dev->drops[WG_DROP_FLOOD], 1);
	wg_test_pair_free(&p);
}

static void
test_unknown_peer(void)
{
	struct wg_test_pair p, q;
	struct wg_test_pkt init;

	/* q.a knows b's public key from the p pair but b does not know q.a. */
	wg_test_pair_init(&p, NULL, 0);
	wg_test_pair_init(&q, NULL, 0);
	wg_peer_remove(q.a.peer);
	q.a.peer = wg_peer_create(q.a.dev, p.b.public_key, NULL);
	wg_peer_set_endpoint(q.a.peer, &p.b.addr);
	wg_peer_send_initiation(q.a.peer, false);
	init = wg_test_take_packet(&q);
	CHECK_EQ(feed(&p.b, init.data, init.len, &init.from),
		 WG_DROP_UNKNOWN_PEER);
	CHECK_EQ(p.b.dev->drops[WG_DROP_UNKNOWN_PEER], 1);
	wg_test_pair_free(&q);
	wg_test_pair_free(&p);
}

static void
test_bad_response(void)
{
	struct wg_test_pair p;
	struct wg_test_pkt init, resp;
	struct wg_msg_response *m;
	uint8_t buf[WG_TEST_PKT_MAX];

	wg_test_pair_init(&p, NULL, 0);
	wg_peer_send_initiation(p.a.peer, false);
	init = wg_test_take_packet(&p);
	CHECK_EQ(feed(&p.b, init.data, init.len, &init.from), WG_DROP_NONE);
	/* feed() discarded the response: make b answer again. */
	p.clock.real += WG_NS_PER_SEC;
	p.clock.mono += WG_NS_PER_SEC;
	p.a.peer->last_sent_handshake = 0;
	wg_peer_send_initiation(p.a.peer, false);
	init = wg_test_take_packet(&p);
	wg_test_receive(&p.b, init.data, init.len, &init.from);
	resp = wg_test_take_packet(&p);
	CHECK_EQ(resp.len, WG_MSG_RESPONSE_LEN);
	m = (struct wg_msg_response *)buf;

	memcpy(buf, resp.data, resp.len);
	CHECK_EQ(feed(&p.a, buf, resp.len - 1, &resp.from), WG_DROP_TRUNCATED);
	CHECK_EQ(feed(&p.a, buf, resp.len + 1, &resp.from), WG_DROP_TRUNCATED);
	m->macs.mac1[15] ^= 1;
	CHECK_EQ(feed(&p.a, buf, resp.len, &resp.from), WG_DROP_BAD_MAC1);
	memcpy(buf, resp.data, resp.len);
	m->receiver_index ^= 0x01010101;
	resign(p.b.peer, buf, resp.len, &p);
	CHECK_EQ(feed(&p.a, buf, resp.len, &resp.from), WG_DROP_UNKNOWN_INDEX);
	memcpy(buf, resp.data, resp.len);
	m->encrypted_nothing[0] ^= 1;
	resign(p.b.peer, buf, resp.len, &p);
	CHECK_EQ(feed(&p.a, buf, resp.len, &resp.from), WG_DROP_HANDSHAKE_AUTH);

	/* The genuine response completes; replayed, its index is gone. */
	CHECK_EQ(feed(&p.a, resp.data, resp.len, &resp.from), WG_DROP_NONE);
	CHECK(atomic_load(&p.a.peer->keypairs.current) != NULL);
	CHECK_EQ(feed(&p.a, resp.data, resp.len, &resp.from),
		 WG_DROP_UNKNOWN_INDEX);

	/* A cookie reply naming no index. */
	memset(buf, 0, WG_MSG_COOKIE_LEN);
	buf[0] = WG_MSG_HANDSHAKE_COOKIE;
	CHECK_EQ(feed(&p.a, buf, WG_MSG_COOKIE_LEN, &resp.from),
		 WG_DROP_UNKNOWN_INDEX);
	CHECK_EQ(feed(&p.a, buf, WG_MSG_COOKIE_LEN - 1, &resp.from),
		 WG_DROP_TRUNCATED);
	wg_test_pair_free(&p);
}

static void
establish(struct wg_test_pair *p)
{
	wg_peer_send_initiation(p->a.peer, false);
	wg_test_pair_deliver(p);
}

static void
test_bad_data(void)
{
	struct wg_test_pair p;
	struct wg_msg_data *m;
	uint8_t pkts[100][256];
	size_t lens[100];
	uint8_t buf[256];
	unsigned int i;

	/* A 64-counter window so "too old" is easy to reach. */
	wg_test_pair_init(&p, NULL, 64);
	establish(&p);
	CHECK(atomic_load(&p.b.peer->keypairs.current) != NULL);

	for (i = 0; i < 100; i++) {
		lens[i] = wg_test_seal(&p.a, pkts[i], 100);
		CHECK(lens[i] == WG_MSG_DATA_HEADER_LEN + 112 + 16);
	}
	m = (struct wg_msg_data *)buf;

	/* Forged: each part of the packet. */
	memcpy(buf, pkts[1], lens[1]);
	buf[lens[1] - 1] ^= 1;              /* tag */
	CHECK_EQ(feed(&p.b, buf, lens[1], &p.a.addr), WG_DROP_DATA_AUTH);
	memcpy(buf, pkts[1], lens[1]);
	buf[WG_MSG_DATA_HEADER_LEN + 3] ^= 1; /* ciphertext */
	CHECK_EQ(feed(&p.b, buf, lens[1], &p.a.addr), WG_DROP_DATA_AUTH);
	memcpy(buf, pkts[1], lens[1]);
	m->counter = wg_le64(wg_le64(m->counter) + 1000); /* counter */
	CHECK_EQ(feed(&p.b, buf, lens[1], &p.a.addr), WG_DROP_DATA_AUTH);
	memcpy(buf, pkts[1], lens[1]);
	m->receiver_index ^= 0x10000; /* index */
	CHECK_EQ(feed(&p.b, buf, lens[1], &p.a.addr), WG_DROP_UNKNOWN_INDEX);
	CHECK_EQ(feed(&p.b, pkts[1], WG_MSG_DATA_MIN_LEN - 1, &p.a.addr),
		 WG_DROP_TRUNCATED);
	CHECK_EQ(feed(&p.b, pkts[1], lens[1] - 1, &p.a.addr),
		 WG_DROP_DATA_AUTH);

	/* Genuine packets, in order then replayed. */
	for (i = 1; i < 100; i++)
		CHECK_EQ(feed(&p.b, pkts[i], lens[i], &p.a.addr), WG_DROP_NONE);
	CHECK_EQ(feed(&p.b, pkts[99], lens[99], &p.a.addr), WG_DROP_REPLAY);
	CHECK_EQ(feed(&p.b, pkts[50], lens[50], &p.a.addr), WG_DROP_REPLAY);
	/* Counter 0 is 99 behind the top: outside a 64-counter window. */
	CHECK_EQ(feed(&p.b, pkts[0], lens[0], &p.a.addr), WG_DROP_TOO_OLD);

	/* A data message is not a handshake. */
	CHECK_EQ(wg_receive_handshake(p.b.dev, pkts[1], lens[1], &p.a.addr,
				      false), WG_DROP_BAD_TYPE);

	CHECK_EQ(p.b.dev->drops[WG_DROP_DATA_AUTH], 4);
	CHECK_EQ(p.b.dev->drops[WG_DROP_UNKNOWN_INDEX], 1);
	CHECK_EQ(p.b.dev->drops[WG_DROP_REPLAY], 2);
	CHECK_EQ(p.b.dev->drops[WG_DROP_TOO_OLD], 1);
	CHECK_EQ(p.b.data_received, 99);
	wg_test_pair_free(&p);
}

static bool
only_next(struct wg_test_node *n)
{
	return atomic_load(&n->peer->keypairs.current) == NULL &&
	       atomic_load(&n->peer->keypairs.next) != NULL;
}

/*
 * Initiations that cross: each side consumes the other's initiation, which
 * takes the place (state and index) of its own, and answers it; both
 * responses then name an index that is gone. Each side holds a responder's
 * keypair in next and none to send with, until a retransmit (REKEY_TIMEOUT
 * plus 0 to 333 ms of jitter) that does not cross the other's completes a
 * handshake. The kernel does the same (consume_initiation overwrites the
 * handshake, create_response gives it a new index).
 *
 * The wire has no latency: initiations sent in the same tick cross. With
 * 100 ms ticks, two retransmits share one 28% of the time, and five
 * crossings in a row (1 run in 600) used up 30 s; 1 ms ticks, those of
 * dpdk-wg's control loop, give the jitter its resolution back.
 */
static void
test_simultaneous_initiation(void)
{
	struct wg_test_pair p;
	uint64_t t;

	wg_test_pair_init(&p, NULL, 0);
	wg_peer_send_initiation(p.a.peer, false);
	wg_peer_send_initiation(p.b.peer, false);
	CHECK_EQ(wg_test_pair_deliver(&p), 4);
	CHECK_EQ(p.a.dev->drops[WG_DROP_UNKNOWN_INDEX], 1);
	CHECK_EQ(p.b.dev->drops[WG_DROP_UNKNOWN_INDEX], 1);
	CHECK(only_next(&p.a));
	CHECK(only_next(&p.b));
	/* Data waits; the handshake it asks for waits for REKEY_TIMEOUT. */
	CHECK(!wg_test_send_data(&p.a, 10));
	CHECK(!wg_test_send_data(&p.b, 10));
	CHECK_EQ(p.wire_len, 0);

	/* Retransmits that fire together cross again. */
	t = p.a.peer->timers.retransmit_handshake;
	CHECK(t != 0 && p.b.peer->timers.retransmit_handshake != 0);
	p.b.peer->timers.retransmit_handshake = t;
	wg_test_clock_advance(&p.clock, t - p.clock.mono);
	wg_test_pair_tick(&p);
	CHECK_EQ(p.a.dev->drops[WG_DROP_UNKNOWN_INDEX], 2);
	CHECK_EQ(p.b.dev->drops[WG_DROP_UNKNOWN_INDEX], 2);
	CHECK(only_next(&p.a));
	CHECK(only_next(&p.b));

	/* Apart, the first completes a session and what waited goes. */
	wg_test_pair_run(&p, 30 * WG_NS_PER_SEC, WG_NS_PER_MS);
	CHECK(atomic_load(&p.a.peer->keypairs.current) != NULL);
	CHECK(atomic_load(&p.b.peer->keypairs.current) != NULL);
	CHECK_EQ(p.a.data_received, 1);
	CHECK_EQ(p.b.data_received, 1);
	CHECK(wg_test_send_data(&p.a, 10));
	CHECK(wg_test_send_data(&p.b, 10));
	wg_test_pair_deliver(&p);
	CHECK_EQ(p.a.data_received, 2);
	CHECK_EQ(p.b.data_received, 2);
	wg_test_pair_free(&p);
}

static void
test_queue_until_keypair(void)
{
	struct wg_test_pair p;

	/* Sending with no keypair starts a handshake; the packet waits and
	 * goes when the keypair arrives. */
	wg_test_pair_init(&p, NULL, 0);
	CHECK(!wg_test_send_data(&p.a, 200));
	CHECK_EQ(p.a.queued, 1);
	CHECK_EQ(p.wire_len, 1);
	wg_test_pair_deliver(&p);
	CHECK_EQ(p.a.queued, 0);
	CHECK_EQ(p.b.data_received, 1);
	CHECK_EQ(p.a.keepalives_sent, 0);
	wg_test_pair_free(&p);
}

static void
test_roaming_and_removal(void)
{
	struct wg_test_pair p;
	struct wg_endpoint roamed;
	uint8_t pkt[256];
	size_t len;
	struct wg_keypair *kp;
	uint32_t index;

	wg_test_pair_init(&p, NULL, 0);
	establish(&p);
	roamed = p.a.addr;
	roamed.addr.v4[3] = 77;
	len = wg_test_seal(&p.a, pkt, 32);
	CHECK_EQ(feed(&p.b, pkt, len, &roamed), WG_DROP_NONE);
	CHECK(wg_endpoint_equal(&p.b.peer->endpoint, &roamed));

	/* A forged packet from elsewhere does not move the endpoint. */
	len = wg_test_seal(&p.a, pkt, 32);
	pkt[len - 1] ^= 1;
	roamed.addr.v4[3] = 99;
	CHECK_EQ(feed(&p.b, pkt, len, &roamed), WG_DROP_DATA_AUTH);
	CHECK(p.b.peer->endpoint.addr.v4[3] == 77);

	/* Removing a peer withdraws its indices at once. */
	kp = atomic_load(&p.b.peer->keypairs.current);
	index = kp->entry.index;
	len = wg_test_seal(&p.a, pkt, 32);
	wg_peer_remove(p.b.peer);
	p.b.peer = NULL;
	CHECK(wg_index_find(p.b.dev, index, WG_INDEX_KEYPAIR) == NULL);
	CHECK_EQ(feed(&p.b, pkt, len, &p.a.addr), WG_DROP_UNKNOWN_INDEX);
	CHECK_EQ(p.b.dev->peer_count, 0);
	CHECK_EQ(p.b.dev->index_table.count, 0);
	wg_test_pair_free(&p);
}

static void
test_private_key_change(void)
{
	struct wg_test_pair p;
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN];
	uint64_t counter;

	wg_test_pair_init(&p, NULL, 0);
	establish(&p);
	CHECK(wg_send_prepare(p.a.peer, &counter) != NULL);
	wg_dh_generate(priv, pub);
	CHECK_EQ(wg_device_set_private_key(p.a.dev, priv), 0);
	p.wire_len = 0;
	/* The old session may no longer send. */
	CHECK(wg_send_prepare(p.a.peer, &counter) == NULL);
	/* A peer with our own key is refused; a zero key is refused. */
	errno = 0;
	CHECK(wg_peer_create(p.a.dev, pub, NULL) == NULL && errno == EEXIST);
	memset(priv, 0, sizeof(priv));
	CHECK(wg_device_set_private_key(p.a.dev, priv) != 0);
	/* A second peer with the same key is refused. */
	CHECK(wg_peer_create(p.a.dev, p.b.public_key, NULL) == NULL);
	wg_test_pair_free(&p);
}

static void
test_probe_rate_limit(void)
{
	struct wg_test_pair p;

	/* Ordinary initiations: one per REKEY_TIMEOUT. Probes (multi-path
	 * liveness) go out whenever asked, and each completes. */
	wg_test_pair_init(&p, NULL, 0);
	wg_peer_send_initiation(p.a.peer, false);
	wg_peer_send_initiation(p.a.peer, false);
	CHECK_EQ(p.wire_len, 1);
	wg_test_pair_deliver(&p);
	p.clock.mono += WG_NS_PER_SEC;
	p.clock.real += WG_NS_PER_SEC;
	wg_peer_send_initiation(p.a.peer, false);
	CHECK_EQ(p.wire_len, 0);
	wg_peer_send_probe(p.a.peer);
	CHECK_EQ(p.wire_len, 1);
	CHECK_EQ(p.wire[0].len, WG_MSG_INITIATION_LEN);
	CHECK_EQ(wg_test_pair_deliver(&p), 3);   /* initiation, response, keepalive */
	CHECK_EQ(p.b.dev->drops[WG_DROP_STALE_TIMESTAMP], 0);
	CHECK(atomic_load(&p.a.peer->keypairs.current) != NULL);
	wg_test_pair_free(&p);
}

int
main(void)
{
	uint8_t psk[WG_KEY_LEN];

	wg_random(psk, sizeof(psk));
	test_handshake(NULL);
	test_handshake(psk);
	test_psk_mismatch();
	test_bad_initiation();
	test_unknown_peer();
	test_bad_response();
	test_bad_data();
	test_simultaneous_initiation();
	test_queue_until_keypair();
	test_roaming_and_removal();
	test_private_key_change();
	test_probe_rate_limit();
	return wg_test_done("noise");
}
