/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The timer rules of whitepaper section 6 and the kernel's timers.c,
 * send.c and receive.c, each driven in virtual time between two devices.
 * Every test fails if its rule breaks: the times asserted are the rule's
 * own (REKEY_TIMEOUT, KEEPALIVE_TIMEOUT, REKEY_AFTER_TIME, ...), with the
 * documented jitter as the only slack.
 */
#include "wg_test.h"

#define SEC WG_NS_PER_SEC
#define MS WG_NS_PER_MS

static uint32_t
le32_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static struct wg_keypair *
cur(struct wg_test_node *n)
{
	return atomic_load(&n->peer->keypairs.current);
}

static struct wg_keypair *
prev(struct wg_test_node *n)
{
	return atomic_load(&n->peer->keypairs.previous);
}

static struct wg_keypair *
nxt(struct wg_test_node *n)
{
	return atomic_load(&n->peer->keypairs.next);
}

static bool
keypairs_match(const struct wg_keypair *i, const struct wg_keypair *r)
{
	return i != NULL && r != NULL &&
	       memcmp(i->send_key, r->recv_key, WG_KEY_LEN) == 0 &&
	       memcmp(i->recv_key, r->send_key, WG_KEY_LEN) == 0 &&
	       i->remote_index == r->entry.index &&
	       r->remote_index == i->entry.index;
}

/* A session with a as initiator, confirmed on both sides. */
static void
establish(struct wg_test_pair *p)
{
	wg_peer_send_initiation(p->a.peer, false);
	wg_test_pair_deliver(p);
	CHECK(cur(&p->a) != NULL && cur(&p->a)->i_am_initiator);
	CHECK(keypairs_match(cur(&p->a), cur(&p->b)));
}

/* Advance by ns without running timers (events only). */
static void
skip(struct wg_test_pair *p, uint64_t ns)
{
	wg_test_clock_advance(&p->clock, ns);
}

/* Advance to monotonic time t in steps, running timers. */
static void
run_to(struct wg_test_pair *p, uint64_t t, uint64_t step)
{
	while (p->clock.mono + step <= t) {
		wg_test_clock_advance(&p->clock, step);
		wg_test_pair_tick(p);
	}
	if (p->clock.mono < t) {
		wg_test_clock_advance(&p->clock, t - p->clock.mono);
		wg_test_pair_tick(p);
	}
}

/* ---- retransmission and giving up ---- */

static void
test_retransmit_gives_up(void)
{
	struct wg_test_pair p;
	uint64_t times[64], start, give_up = 0, t;
	unsigned int n = 1, i, purges_at_give_up = 0;
	bool jitter_seen = false;

	wg_test_pair_init(&p, NULL, 0);
	p.drop_all = true;
	start = p.clock.mono;
	/* Data with no session: queued, and an initiation goes out. */
	CHECK(!wg_test_send_data(&p.a, 100));
	CHECK_EQ(p.a.queued, 1);
	CHECK_EQ(p.a.dev->handshakes_out, 1);
	CHECK(p.a.peer->timers.retransmit_handshake >= start + WG_REKEY_TIMEOUT);
	CHECK(p.a.peer->timers.retransmit_handshake <
	      start + WG_REKEY_TIMEOUT + WG_REKEY_TIMEOUT_JITTER_MAX);
	times[0] = start;

	/* 1 ms steps for 200 s: note when each initiation goes and when
	 * the queue is purged. */
	for (t = 0; t < 200 * SEC; t += MS) {
		uint64_t before = p.a.dev->handshakes_out;

		wg_test_clock_advance(&p.clock, MS);
		wg_test_pair_tick(&p);
		if (p.a.dev->handshakes_out != before && n < 64)
			times[n++] = p.clock.mono;
		if (p.a.purges != 0 && give_up == 0) {
			give_up = p.clock.mono;
			purges_at_give_up = p.a.purges;
		}
	}
	/* The first initiation and MAX_TIMER_HANDSHAKES + 1 retries: 20,
	 * as the kernel's "after %d attempts" says (MAX + 2). */
	CHECK_EQ(n, WG_MAX_TIMER_HANDSHAKES + 2);
	CHECK_EQ(p.a.dev->handshakes_out, WG_MAX_TIMER_HANDSHAKES + 2);
	for (i = 1; i < n; i++) {
		uint64_t gap = times[i] - times[i - 1];

		if (gap < WG_REKEY_TIMEOUT ||
		    gap > WG_REKEY_TIMEOUT + WG_REKEY_TIMEOUT_JITTER_MAX + MS) {
			fprintf(stderr, "  retry %u after %llu ms\n", i,
				(unsigned long long)(gap / MS));
			CHECK(!"retransmit gap outside REKEY_TIMEOUT+jitter");
		}
		if (i > 1 && gap != times[1] - times[0])
			jitter_seen = true;
	}
	CHECK(jitter_seen);
	/* Gives up one more REKEY_TIMEOUT (+ jitter) after the last. */
	CHECK(give_up != 0);
	CHECK(give_up - times[n - 1] >= WG_REKEY_TIMEOUT);
	CHECK(give_up - times[n - 1] <=
	      WG_REKEY_TIMEOUT + WG_REKEY_TIMEOUT_JITTER_MAX + MS);
	CHECK(give_up - start >= (WG_MAX_TIMER_HANDSHAKES + 2) *
				 WG_REKEY_TIMEOUT);
	CHECK(give_up - start <= (WG_MAX_TIMER_HANDSHAKES + 2) *
				 (WG_REKEY_TIMEOUT +
				  WG_REKEY_TIMEOUT_JITTER_MAX + MS));
	/* The queue is dropped once; nothing more is tried. */
	CHECK_EQ(purges_at_give_up, 1);
	CHECK_EQ(p.a.purges, 1);
	CHECK_EQ(p.a.queued, 0);
	CHECK_EQ(p.a.peer->timers.retransmit_handshake, 0);
	CHECK_EQ(p.a.peer->timers.send_keepalive, 0);
	/* Key material goes 3 * REJECT_AFTER_TIME after giving up. */
	CHECK_EQ(p.a.peer->timers.zero_key_material,
		 give_up + 3 * WG_REJECT_AFTER_TIME);
	CHECK(p.a.peer->handshake.state == WG_HANDSHAKE_CREATED_INITIATION);
	CHECK(p.a.peer->handshake.entry.index != 0);

	run_to(&p, give_up + 3 * WG_REJECT_AFTER_TIME - 100 * MS, 100 * MS);
	CHECK(p.a.peer->handshake.state == WG_HANDSHAKE_CREATED_INITIATION);
	run_to(&p, give_up + 3 * WG_REJECT_AFTER_TIME, 100 * MS);
	CHECK(p.a.peer->handshake.state == WG_HANDSHAKE_ZEROED);
	CHECK_EQ(p.a.peer->handshake.entry.index, 0);
	CHECK_EQ(p.a.dev->index_table.count, 0);
	CHECK_EQ(p.a.peer->timers.zero_key_material, 0);
	CHECK_EQ(p.a.dev->handshakes_out, WG_MAX_TIMER_HANDSHAKES + 2);
	CHECK_EQ(wg_timers_next_deadline(p.a.peer), 0);

	/* New data starts over, with a fresh retry budget. */
	CHECK(!wg_test_send_data(&p.a, 100));
	CHECK_EQ(p.a.dev->handshakes_out, WG_MAX_TIMER_HANDSHAKES + 3);
	run_to(&p, p.clock.mono + 30 * SEC, 10 * MS);
	CHECK(p.a.dev->handshakes_out >= WG_MAX_TIMER_HANDSHAKES + 3 + 5);
	CHECK_EQ(p.a.purges, 1);
	/* And when the wire works again, it completes and the queued
	 * packet goes. */
	p.drop_all = false;
	run_to(&p, p.clock.mono + 6 * SEC, 10 * MS);
	CHECK(cur(&p.a) != NULL);
	CHECK_EQ(p.b.data_received, 1);
	CHECK_EQ(p.a.peer->timers.retransmit_handshake, 0);
	CHECK_EQ(p.a.peer->timers.handshake_attempts, 0);
	wg_test_pair_free(&p);
}

/* A retry that the retransmit timer asks for stops once the handshake
 * completes; a lost response is recovered by the next retry. */
static void
test_retransmit_recovers(void)
{
	struct wg_test_pair p;
	struct wg_test_pkt pkt;
	uint64_t h;

	wg_test_pair_init(&p, NULL, 0);
	wg_peer_send_initiation(p.a.peer, false);
	pkt = wg_test_take_packet(&p);
	CHECK_EQ(pkt.len, WG_MSG_INITIATION_LEN);
	/* b answers, the response is lost. */
	CHECK_EQ(wg_test_receive(&p.b, pkt.data, pkt.len, &pkt.from),
		 WG_DROP_NONE);
	p.wire_len = 0;
	CHECK(nxt(&p.b) != NULL);
	h = p.a.dev->handshakes_out;
	run_to(&p, p.clock.mono + WG_REKEY_TIMEOUT + WG_REKEY_TIMEOUT_JITTER_MAX,
	       MS);
	CHECK_EQ(p.a.dev->handshakes_out, h + 1);
	CHECK(cur(&p.a) != NULL && keypairs_match(cur(&p.a), cur(&p.b)));
	CHECK_EQ(p.a.peer->timers.retransmit_handshake, 0);
	CHECK_EQ(p.b.dev->handshakes_out, 0);
	/* No more initiations for a long while. */
	run_to(&p, p.clock.mono + 60 * SEC, 100 * MS);
	CHECK_EQ(p.a.dev->handshakes_out, h + 1);
	wg_test_pair_free(&p);
}

/* ---- the handshake and the responder's next slot ---- */

static void
test_handshake_slots(void)
{
	struct wg_test_pair p;
	struct wg_test_pkt pkt;
	struct wg_keypair *kb;

	wg_test_pair_init(&p, NULL, 0);
	CHECK(!wg_test_send_data(&p.a, 100));   /* queued */
	pkt = wg_test_take_packet(&p);
	CHECK_EQ(pkt.len, WG_MSG_INITIATION_LEN);
	CHECK_EQ(wg_test_receive(&p.b, pkt.data, pkt.len, &pkt.from),
		 WG_DROP_NONE);
	kb = nxt(&p.b);
	CHECK(kb != NULL && !kb->i_am_initiator);
	CHECK(cur(&p.b) == NULL && prev(&p.b) == NULL);
	CHECK_EQ(p.b.peer->timers.zero_key_material,
		 p.clock.mono + 3 * WG_REJECT_AFTER_TIME);

	/* b cannot send under next: the packet waits, and no initiation
	 * goes (b just sent a response: rate limited). */
	CHECK(!wg_test_send_data(&p.b, 50));
	CHECK_EQ(p.b.queued, 1);
	CHECK_EQ(p.b.dev->handshakes_out, 0);
	CHECK_EQ(p.wire_len, 1);

	/* The response: a's keypair is current at once and its queued
	 * packet goes instead of a keepalive. */
	pkt = wg_test_take_packet(&p);
	CHECK_EQ(pkt.len, WG_MSG_RESPONSE_LEN);
	CHECK_EQ(wg_test_receive(&p.a, pkt.data, pkt.len, &pkt.from),
		 WG_DROP_NONE);
	CHECK(keypairs_match(cur(&p.a), kb));
	CHECK_EQ(p.a.keypair_ready_calls, 1);
	CHECK_EQ(p.a.data_sent, 1);
	CHECK_EQ(p.a.keepalives_sent, 0);
	CHECK_EQ(p.a.queued, 0);
	CHECK_EQ(p.a.peer->timers.retransmit_handshake, 0);
	CHECK(p.a.peer->last_handshake_realtime != 0);
	CHECK_EQ(p.wire_len, 1);

	/* Time passes (timers run), the data is still in flight: b's
	 * keypair stays in next. */
	skip(&p, SEC);
	wg_device_run_timers(p.b.dev);
	CHECK(nxt(&p.b) == kb && cur(&p.b) == NULL);
	CHECK_EQ(p.b.peer->last_handshake_realtime, 0);

	/* The first data packet moves it to current; b's queue flushes. */
	pkt = wg_test_take_packet(&p);
	CHECK_EQ(wg_test_receive(&p.b, pkt.data, pkt.len, &pkt.from),
		 WG_DROP_NONE);
	CHECK(cur(&p.b) == kb && nxt(&p.b) == NULL && prev(&p.b) == NULL);
	CHECK_EQ(p.b.keypair_ready_calls, 1);
	CHECK_EQ(p.b.data_received, 1);
	CHECK_EQ(p.b.data_sent, 1);
	CHECK(p.b.peer->last_handshake_realtime != 0);
	wg_test_pair_deliver(&p);
	CHECK_EQ(p.a.data_received, 1);
	/* A second packet under it changes nothing. */
	CHECK(wg_test_send_data(&p.a, 10));
	wg_test_pair_deliver(&p);
	CHECK_EQ(p.b.keypair_ready_calls, 1);
	CHECK(cur(&p.b) == kb);
	wg_test_pair_free(&p);
}

/* ---- KEEPALIVE_TIMEOUT ---- */

static void
test_keepalive_timeout(void)
{
	struct wg_test_pair p;
	uint64_t t0;
	unsigned int k;

	wg_test_pair_init(&p, NULL, 0);
	establish(&p);
	run_to(&p, p.clock.mono + 2 * SEC, 10 * MS);

	/* b receives data and has nothing to say: a keepalive 10 s later,
	 * exactly one. */
	k = p.b.keepalives_sent;
	t0 = p.clock.mono;
	CHECK(wg_test_send_data(&p.a, 100));
	wg_test_pair_deliver(&p);
	CHECK_EQ(p.b.data_received, 1);
	CHECK_EQ(p.b.peer->timers.send_keepalive, t0 + WG_KEEPALIVE_TIMEOUT);
	run_to(&p, t0 + WG_KEEPALIVE_TIMEOUT - 10 * MS, 10 * MS);
	CHECK_EQ(p.b.keepalives_sent, k);
	run_to(&p, t0 + WG_KEEPALIVE_TIMEOUT, 10 * MS);
	CHECK_EQ(p.b.keepalives_sent, k + 1);
	CHECK_EQ(p.a.keepalives_received, 1);
	/* The keepalive told a that b is alive: no new handshake. */
	run_to(&p, t0 + 40 * SEC, 100 * MS);
	CHECK_EQ(p.b.keepalives_sent, k + 1);
	CHECK_EQ(p.a.dev->handshakes_out, 1);
	CHECK_EQ(p.b.dev->handshakes_out, 0);
	/* a got only a keepalive: a keepalive is never answered. */
	CHECK_EQ(p.a.keepalives_sent, 1);   /* the one confirming */

	/* b sends data itself within the 10 s: no keepalive. */
	k = p.b.keepalives_sent;
	t0 = p.clock.mono;
	CHECK(wg_test_send_data(&p.a, 100));
	wg_test_pair_deliver(&p);
	run_to(&p, t0 + 5 * SEC, 10 * MS);
	CHECK(wg_test_send_data(&p.b, 100));
	wg_test_pair_deliver(&p);
	CHECK_EQ(p.b.peer->timers.send_keepalive, 0);
	run_to(&p, t0 + 30 * SEC, 10 * MS);
	CHECK_EQ(p.b.keepalives_sent, k);
	/* ... and now a, which received b's data, keepalives 10 s on. */
	CHECK_EQ(p.a.keepalives_sent, 2);

	/* More data while it is armed does not push it back: the
	 * keepalive goes 10 s after the first packet, not the last. */
	k = p.b.keepalives_sent;
	t0 = p.clock.mono;
	CHECK(wg_test_send_data(&p.a, 100));
	wg_test_pair_deliver(&p);
	run_to(&p, t0 + 6 * SEC, 10 * MS);
	CHECK(wg_test_send_data(&p.a, 100));
	wg_test_pair_deliver(&p);
	CHECK_EQ(p.b.peer->timers.send_keepalive, t0 + WG_KEEPALIVE_TIMEOUT);
	run_to(&p, t0 + WG_KEEPALIVE_TIMEOUT, 10 * MS);
	CHECK_EQ(p.b.keepalives_sent, k + 1);
	run_to(&p, t0 + 40 * SEC, 100 * MS);

	/* A keepalive received does not arm it. */
	k = p.b.keepalives_sent;
	wg_peer_send_keepalive(p.a.peer);
	wg_test_pair_deliver(&p);
	CHECK_EQ(p.b.peer->timers.send_keepalive, 0);
	run_to(&p, p.clock.mono + 30 * SEC, 100 * MS);
	CHECK_EQ(p.b.keepalives_sent, k);
	wg_test_pair_free(&p);
}

/* ---- new handshake when nothing comes back ---- */

static void
test_new_handshake_on_silence(void)
{
	struct wg_test_pair p;
	uint64_t t0, h, fired = 0;

	wg_test_pair_init(&p, NULL, 0);
	establish(&p);
	run_to(&p, p.clock.mono + 7 * SEC, 10 * MS);   /* past rate limit */

	p.drop_all = true;
	h = p.a.dev->handshakes_out;
	t0 = p.clock.mono;
	CHECK(wg_test_send_data(&p.a, 100));
	CHECK(p.a.peer->timers.new_handshake >=
	      t0 + WG_KEEPALIVE_TIMEOUT + WG_REKEY_TIMEOUT);
	CHECK(p.a.peer->timers.new_handshake <
	      t0 + WG_KEEPALIVE_TIMEOUT + WG_REKEY_TIMEOUT +
	      WG_REKEY_TIMEOUT_JITTER_MAX);
	/* More data does not push it back. */
	run_to(&p, t0 + 3 * SEC, 10 * MS);
	{
		uint64_t d = p.a.peer->timers.new_handshake;

		CHECK(wg_test_send_data(&p.a, 100));
		CHECK_EQ(p.a.peer->timers.new_handshake, d);
	}
	while (p.clock.mono < t0 + 20 * SEC) {
		wg_test_clock_advance(&p.clock, MS);
		wg_test_pair_tick(&p);
		if (fired == 0 && p.a.dev->handshakes_out != h)
			fired = p.clock.mono;
	}
	CHECK(fired != 0);
	CHECK(fired - t0 >= WG_KEEPALIVE_TIMEOUT + WG_REKEY_TIMEOUT);
	CHECK(fired - t0 <= WG_KEEPALIVE_TIMEOUT + WG_REKEY_TIMEOUT +
			    WG_REKEY_TIMEOUT_JITTER_MAX + MS);
	/* Only a has been talking: b started nothing. */
	CHECK_EQ(p.b.dev->handshakes_out, 0);
	/* The wire works again: the retry completes the new session. */
	p.drop_all = false;
	{
		struct wg_keypair *old = cur(&p.a);

		run_to(&p, p.clock.mono + 6 * SEC, 10 * MS);
		CHECK(cur(&p.a) != old && cur(&p.a) != NULL);
		CHECK(prev(&p.a) == old);
	}
	wg_test_pair_free(&p);

	/* Any authenticated packet back (here b's data) disarms it. */
	wg_test_pair_init(&p, NULL, 0);
	establish(&p);
	run_to(&p, p.clock.mono + 7 * SEC, 10 * MS);
	h = p.a.dev->handshakes_out;
	CHECK(wg_test_send_data(&p.a, 100));
	wg_test_pair_deliver(&p);
	skip(&p, 2 * SEC);
	CHECK(wg_test_send_data(&p.b, 100));
	wg_test_pair_deliver(&p);
	CHECK_EQ(p.a.peer->timers.new_handshake, 0);
	run_to(&p, p.clock.mono + 40 * SEC, 10 * MS);
	CHECK_EQ(p.a.dev->handshakes_out, h);
	wg_test_pair_free(&p);
}

/* ---- REKEY_AFTER_TIME ---- */

static void
test_rekey_after_time(void)
{
	struct wg_test_pair p;
	struct wg_keypair *ka, *kb;
	struct wg_test_pkt pkt;
	uint8_t old_pkt[256];
	size_t old_len;
	uint64_t t0;

	wg_test_pair_init(&p, NULL, 0);
	establish(&p);
	ka = cur(&p.a);
	kb = cur(&p.b);
	t0 = ka->birthdate;
	CHECK_EQ(t0, p.clock.mono);

	/* Just before: no rekey. */
	skip(&p, WG_REKEY_AFTER_TIME - MS);
	CHECK(wg_test_send_data(&p.a, 100));
	CHECK_EQ(p.a.dev->handshakes_out, 1);
	wg_test_pair_deliver(&p);

	/* The responder never rekeys on time, however old its key. */
	skip(&p, 2 * MS);
	CHECK(wg_test_send_data(&p.b, 100));
	CHECK_EQ(p.b.dev->handshakes_out, 0);
	wg_test_pair_deliver(&p);
	CHECK_EQ(p.a.dev->handshakes_out, 1);

	/* The initiator sending at REKEY_AFTER_TIME starts a handshake;
	 * the packet itself still goes under the old keypair. */
	old_len = wg_test_seal(&p.a, old_pkt, 100);
	CHECK(old_len != 0);
	CHECK_EQ(le32_at(old_pkt + 4), kb->entry.index);
	CHECK_EQ(p.a.dev->handshakes_out, 2);
	CHECK_EQ(p.wire_len, 1);
	/* Further sends do not start more (one per REKEY_TIMEOUT). */
	CHECK(wg_test_send_data(&p.a, 100));
	CHECK_EQ(p.a.dev->handshakes_out, 2);
	pkt = p.wire[0];
	CHECK_EQ(pkt.len, WG_MSG_INITIATION_LEN);
	wg_test_pair_deliver(&p);

	/* Rotation: a's new current, old as previous; b likewise once the
	 * confirming keepalive came. */
	CHECK(cur(&p.a) != ka && cur(&p.a) != NULL);
	CHECK(prev(&p.a) == ka);
	CHECK(nxt(&p.a) == NULL);
	CHECK(cur(&p.b) != kb && prev(&p.b) == kb && nxt(&p.b) == NULL);
	CHECK(keypairs_match(cur(&p.a), cur(&p.b)));
	CHECK(cur(&p.a)->i_am_initiator);
	CHECK_EQ(cur(&p.a)->birthdate, p.clock.mono);

	/* A packet sealed under the old keypair still arrives. */
	CHECK_EQ(wg_test_receive(&p.b, old_pkt, old_len, &p.a.addr),
		 WG_DROP_NONE);
	CHECK(cur(&p.b) != kb);

	/* Traffic continues under the new keypair, both ways. */
	{
		unsigned int ra = p.a.data_received, rb = p.b.data_received;

		CHECK(wg_test_send_data(&p.a, 100));
		CHECK_EQ(le32_at(p.wire[p.wire_len - 1].data + 4),
			 cur(&p.b)->entry.index);
		CHECK(wg_test_send_data(&p.b, 100));
		CHECK_EQ(le32_at(p.wire[p.wire_len - 1].data + 4),
			 cur(&p.a)->entry.index);
		wg_test_pair_deliver(&p);
		CHECK_EQ(p.a.data_received, ra + 1);
		CHECK_EQ(p.b.data_received, rb + 1);
	}
	/* No further rekey until the new keypair is old in turn. */
	skip(&p, WG_REKEY_AFTER_TIME - SEC);
	CHECK(wg_test_send_data(&p.a, 100));
	CHECK_EQ(p.a.dev->handshakes_out, 2);
	skip(&p, SEC);
	CHECK(wg_test_send_data(&p.a, 100));
	CHECK_EQ(p.a.dev->handshakes_out, 3);
	wg_test_pair_free(&p);

	/* The responder, even at 170 s, sends without rekeying. */
	wg_test_pair_init(&p, NULL, 0);
	establish(&p);
	skip(&p, 170 * SEC);
	CHECK(wg_test_send_data(&p.b, 100));
	CHECK_EQ(p.b.dev->handshakes_out, 0);
	wg_test_pair_free(&p);
}

/* ---- REJECT_AFTER_TIME ---- */

static void
test_reject_after_time(void)
{
	struct wg_test_pair p;
	struct wg_keypair *ka, *kb, *kp;
	uint8_t pkt_a[256], pkt_b[256];
	size_t len_a, len_b;
	uint64_t t0, c;
	enum wg_drop_reason reason;

	wg_test_pair_init(&p, NULL, 0);
	establish(&p);
	ka = cur(&p.a);
	kb = cur(&p.b);
	t0 = p.clock.mono;
	CHECK_EQ(kb->birthdate, t0);
	p.drop_all = true;   /* no new handshake can complete */

	/* Sealed just before the limit, still good just before it. */
	skip(&p, WG_REJECT_AFTER_TIME - SEC);
	len_a = wg_test_seal(&p.a, pkt_a, 100);
	len_b = wg_test_seal(&p.b, pkt_b, 100);
	CHECK(len_a != 0 && len_b != 0);
	skip(&p, SEC - 1);
	CHECK(wg_data_lookup(p.b.dev, pkt_a, len_a, &reason) == kb);
	CHECK_EQ(reason, WG_DROP_NONE);
	CHECK(wg_keypair_can_send(ka, p.clock.mono));
	kp = wg_send_prepare(p.a.peer, &c);
	CHECK(kp == ka);

	/* At REJECT_AFTER_TIME: neither sending nor receiving. */
	skip(&p, 1);
	CHECK_EQ(p.clock.mono - t0, WG_REJECT_AFTER_TIME);
	CHECK(wg_send_prepare(p.a.peer, &c) == NULL);
	CHECK(wg_send_prepare(p.b.peer, &c) == NULL);
	CHECK(!wg_keypair_can_send(ka, p.clock.mono));
	CHECK(!wg_keypair_can_receive(ka, p.clock.mono));
	reason = WG_DROP_NONE;
	CHECK(wg_data_lookup(p.b.dev, pkt_a, len_a, &reason) == NULL);
	CHECK_EQ(reason, WG_DROP_KEY_EXPIRED);
	reason = WG_DROP_NONE;
	CHECK(wg_data_lookup(p.a.dev, pkt_b, len_b, &reason) == NULL);
	CHECK_EQ(reason, WG_DROP_KEY_EXPIRED);
	CHECK_EQ(wg_test_receive(&p.b, pkt_a, len_a, &p.a.addr),
		 WG_DROP_KEY_EXPIRED);
	CHECK_EQ(p.b.data_received, 0);
	CHECK(!wg_test_send_data(&p.a, 100));
	CHECK(p.a.queued >= 1);

	/* Failing to send starts a handshake (once per REKEY_TIMEOUT). */
	{
		uint64_t h = p.a.dev->handshakes_out, hb;

		skip(&p, WG_REKEY_TIMEOUT);
		CHECK(wg_send_prepare(p.a.peer, &c) == NULL);
		CHECK_EQ(p.a.dev->handshakes_out, h + 1);
		/* ... on the responder's side too. */
		hb = p.b.dev->handshakes_out;
		CHECK(wg_send_prepare(p.b.peer, &c) == NULL);
		CHECK_EQ(p.b.dev->handshakes_out, hb + 1);
	}
	/* Still refused much later, while the keys exist. */
	skip(&p, 100 * SEC);
	CHECK(wg_data_lookup(p.b.dev, pkt_a, len_a, &reason) == NULL);
	CHECK_EQ(reason, WG_DROP_KEY_EXPIRED);
	wg_test_pair_free(&p);
}

/* ---- the initiator's last-minute handshake on receive ---- */

static void
test_sent_lastminute(void)
{
	const uint64_t at = WG_REJECT_AFTER_TIME - WG_KEEPALIVE_TIMEOUT -
			    WG_REKEY_TIMEOUT;
	struct wg_test_pair p;
	struct wg_test_pkt pkt;
	uint64_t t0, h;

	CHECK_EQ(at, 165 * SEC);
	wg_test_pair_init(&p, NULL, 0);
	establish(&p);
	t0 = p.clock.mono;
	h = p.a.dev->handshakes_out;

	/* Data from b just before 165 s: nothing. */
	skip(&p, at - MS);
	CHECK(wg_test_send_data(&p.b, 100));
	CHECK_EQ(p.b.dev->handshakes_out, 0);
	pkt = wg_test_take_packet(&p);
	CHECK_EQ(wg_test_receive(&p.a, pkt.data, pkt.len, &pkt.from),
		 WG_DROP_NONE);
	CHECK_EQ(p.a.dev->handshakes_out, h);
	CHECK(!p.a.peer->timers.sent_lastminute_handshake);

	/* At 165 s: exactly one initiation. */
	skip(&p, MS);
	CHECK_EQ(p.clock.mono - t0, at);
	CHECK(wg_test_send_data(&p.b, 100));
	pkt = wg_test_take_packet(&p);
	CHECK_EQ(wg_test_receive(&p.a, pkt.data, pkt.len, &pkt.from),
		 WG_DROP_NONE);
	CHECK_EQ(p.a.dev->handshakes_out, h + 1);
	CHECK(p.a.peer->timers.sent_lastminute_handshake);
	CHECK_EQ(p.wire_len, 1);
	p.wire_len = 0;     /* the initiation is lost */

	/* More data later (past the rate limit), timers not run: no
	 * second one from the receive path. */
	skip(&p, WG_REKEY_TIMEOUT + SEC);
	CHECK(wg_test_send_data(&p.b, 100));
	CHECK(wg_test_send_data(&p.b, 100));
	CHECK_EQ(p.wire_len, 2);
	while (p.wire_len > 0) {
		pkt = wg_test_take_packet(&p);
		CHECK_EQ(wg_test_receive(&p.a, pkt.data, pkt.len, &pkt.from),
			 WG_DROP_NONE);
	}
	CHECK_EQ(p.a.dev->handshakes_out, h + 1);
	CHECK_EQ(p.b.dev->handshakes_out, 0);

	/* A completed handshake re-arms it for the new keypair. */
	wg_timers_stop(p.a.peer);
	wg_peer_send_initiation(p.a.peer, false);
	wg_test_pair_deliver(&p);
	CHECK(cur(&p.a) != NULL && cur(&p.a)->birthdate == p.clock.mono);
	CHECK(!p.a.peer->timers.sent_lastminute_handshake);
	wg_test_pair_free(&p);

	/* The responder never does it. */
	wg_test_pair_init(&p, NULL, 0);
	establish(&p);
	skip(&p, at + SEC);
	{
		uint8_t buf[256];
		size_t len;
		struct wg_keypair *ka = cur(&p.a);

		/* Seal by hand from a, bypassing a's own rekey-on-send. */
		len = WG_MSG_DATA_HEADER_LEN + 16 + WG_AEAD_TAG_SIZE;
		{
			uint8_t plain[16] = {0};
			uint64_t c = atomic_fetch_add(&ka->send_counter, 1);

			wg_data_header((struct wg_msg_data *)buf, ka, c);
			wg_aead_encrypt(buf + WG_MSG_DATA_HEADER_LEN, plain, 16,
					NULL, 0, c, ka->send_key);
		}
		CHECK_EQ(wg_test_receive(&p.b, buf, len, &p.a.addr),
			 WG_DROP_NONE);
		CHECK_EQ(p.b.dev->handshakes_out, 0);
		CHECK(!p.b.peer->timers.sent_lastminute_handshake);
	}
	wg_test_pair_free(&p);
}

/* ---- REKEY_AFTER_MESSAGES and REJECT_AFTER_MESSAGES ---- */

static void
test_rekey_after_messages(void)
{
	struct wg_test_pair p;
	struct wg_keypair *ka, *kb;
	uint64_t h;

	wg_test_pair_init(&p, NULL, 0);
	establish(&p);
	skip(&p, 6 * SEC);   /* past the rate limit of both sides */
	ka = cur(&p.a);
	h = p.a.dev->handshakes_out;

	/* Sending counter REKEY_AFTER_MESSAGES - 1 leaves the counter at
	 * the limit, not past it: no handshake. */
	atomic_store(&ka->send_counter, WG_REKEY_AFTER_MESSAGES - 1);
	CHECK(wg_test_send_data(&p.a, 100));
	CHECK_EQ(p.a.dev->handshakes_out, h);
	wg_test_pair_deliver(&p);
	CHECK_EQ(p.b.data_received, 1);
	/* The next one goes past it: a handshake starts. */
	CHECK(wg_test_send_data(&p.a, 100));
	CHECK_EQ(p.a.dev->handshakes_out, h + 1);
	wg_test_pair_deliver(&p);
	CHECK(cur(&p.a) != ka && prev(&p.a) == ka);
	CHECK_EQ(atomic_load(&cur(&p.a)->send_counter), 1);  /* keepalive */
	CHECK_EQ(p.b.data_received, 2);

	/* As the brief puts it: counter at REKEY_AFTER_MESSAGES + 1. */
	skip(&p, 6 * SEC);
	ka = cur(&p.a);
	h = p.a.dev->handshakes_out;
	atomic_store(&ka->send_counter, WG_REKEY_AFTER_MESSAGES + 1);
	CHECK(wg_test_send_data(&p.a, 100));
	CHECK_EQ(p.a.dev->handshakes_out, h + 1);
	wg_test_pair_free(&p);

	/* The responder rekeys on messages (only time is the initiator's). */
	wg_test_pair_init(&p, NULL, 0);
	establish(&p);
	skip(&p, 6 * SEC);
	kb = cur(&p.b);
	atomic_store(&kb->send_counter, WG_REKEY_AFTER_MESSAGES + 1);
	CHECK(wg_test_send_data(&p.b, 100));
	CHECK_EQ(p.b.dev->handshakes_out, 1);
	wg_test_pair_deliver(&p);
	/* b initiated this time: b's new keypair is current at once. */
	CHECK(cur(&p.b) != kb && cur(&p.b)->i_am_initiator);
	CHECK(keypairs_match(cur(&p.b), cur(&p.a)));
	wg_test_pair_free(&p);
}

static void
test_reject_after_messages(void)
{
	struct wg_test_pair p;
	struct wg_keypair *ka, *kp;
	uint64_t c, seen[3], h;
	uint8_t buf[256];
	size_t len;
	int i, nulls = 0;

	wg_test_pair_init(&p, NULL, 0);
	establish(&p);
	skip(&p, 6 * SEC);
	ka = cur(&p.a);
	atomic_store(&ka->send_counter, WG_REJECT_AFTER_MESSAGES - 3);
	p.drop_all = true;

	/* The last three counters, each once. */
	for (i = 0; i < 3; i++) {
		kp = wg_send_prepare(p.a.peer, &c);
		CHECK(kp == ka);
		seen[i] = c;
	}
	CHECK(seen[0] == WG_REJECT_AFTER_MESSAGES - 3);
	CHECK(seen[1] == WG_REJECT_AFTER_MESSAGES - 2);
	CHECK(seen[2] == WG_REJECT_AFTER_MESSAGES - 1);
	/* Then nothing, ever: no counter is handed out twice, the counter
	 * does not wrap, and a handshake is asked for. */
	h = p.a.dev->handshakes_out;
	for (i = 0; i < 1000; i++) {
		c = 12345;
		kp = wg_send_prepare(p.a.peer, &c);
		if (kp == NULL)
			nulls++;
		else
			CHECK(c >= WG_REJECT_AFTER_MESSAGES);
	}
	CHECK_EQ(nulls, 1000);
	CHECK(atomic_load(&ka->send_counter) >= WG_REJECT_AFTER_MESSAGES);
	CHECK(!wg_keypair_can_send(ka, p.clock.mono));
	CHECK(p.a.dev->handshakes_out >= h + 1);
	CHECK(!wg_test_send_data(&p.a, 100));
	/* Receiving still works under it (the limit is per direction). */
	CHECK(wg_keypair_can_receive(ka, p.clock.mono));

	/* b never accepts a counter at or past the limit, even sealed
	 * under the right key. */
	p.drop_all = false;
	p.wire_len = 0;
	{
		static const uint64_t counters[] = {
			WG_REJECT_AFTER_MESSAGES, WG_REJECT_AFTER_MESSAGES + 1,
			UINT64_MAX,
		};
		uint8_t plain[16] = {0};

		for (i = 0; i < 3; i++) {
			wg_data_header((struct wg_msg_data *)buf, ka,
				       counters[i]);
			wg_aead_encrypt(buf + WG_MSG_DATA_HEADER_LEN, plain,
					16, NULL, 0, counters[i], ka->send_key);
			len = WG_MSG_DATA_HEADER_LEN + 16 + WG_AEAD_TAG_SIZE;
			CHECK_EQ(wg_test_receive(&p.b, buf, len, &p.a.addr),
				 WG_DROP_KEY_EXPIRED);
		}
		/* The last good counter is accepted, once. */
		wg_data_header((struct wg_msg_data *)buf, ka,
			       WG_REJECT_AFTER_MESSAGES - 1);
		wg_aead_encrypt(buf + WG_MSG_DATA_HEADER_LEN, plain, 16, NULL,
				0, WG_REJECT_AFTER_MESSAGES - 1, ka->send_key);
		CHECK_EQ(wg_test_receive(&p.b, buf, len, &p.a.addr),
			 WG_DROP_NONE);
		CHECK_EQ(wg_test_receive(&p.b, buf, len, &p.a.addr),
			 WG_DROP_REPLAY);
	}
	wg_test_pair_free(&p);
}

/* ---- zeroing key material ---- */

static bool
all_gone(struct wg_test_node *n)
{
	return cur(n) == NULL && prev(n) == NULL && nxt(n) == NULL &&
	       n->peer->handshake.state == WG_HANDSHAKE_ZEROED &&
	       n->dev->index_table.count == 0;
}

static void
test_zero_key_material(void)
{
	struct wg_test_pair p;
	uint64_t t0, t1;

	wg_test_pair_init(&p, NULL, 0);
	establish(&p);
	t0 = p.clock.mono;
	CHECK_EQ(p.a.peer->timers.zero_key_material,
		 t0 + 3 * WG_REJECT_AFTER_TIME);
	CHECK_EQ(p.b.peer->timers.zero_key_material,
		 t0 + 3 * WG_REJECT_AFTER_TIME);
	CHECK_EQ(wg_timers_next_deadline(p.a.peer),
		 t0 + 3 * WG_REJECT_AFTER_TIME);
	run_to(&p, t0 + 3 * WG_REJECT_AFTER_TIME - 100 * MS, 500 * MS);
	CHECK(cur(&p.a) != NULL && cur(&p.b) != NULL);
	CHECK(!all_gone(&p.a) && !all_gone(&p.b));
	run_to(&p, t0 + 3 * WG_REJECT_AFTER_TIME, 100 * MS);
	CHECK(all_gone(&p.a));
	CHECK(all_gone(&p.b));
	CHECK_EQ(p.a.dev->handshakes_out, 1);
	/* Life goes on: new data makes a new session. */
	CHECK(!wg_test_send_data(&p.a, 100));
	wg_test_pair_deliver(&p);
	CHECK(cur(&p.a) != NULL);
	CHECK_EQ(p.b.data_received, 1);
	wg_test_pair_free(&p);

	/* Each new session pushes it back; it takes everything, previous
	 * keypairs and a handshake in flight included. */
	wg_test_pair_init(&p, NULL, 0);
	establish(&p);
	t0 = p.clock.mono;
	run_to(&p, t0 + 100 * SEC, 500 * MS);
	wg_peer_send_initiation(p.a.peer, false);
	wg_test_pair_deliver(&p);
	t1 = p.clock.mono;
	CHECK(prev(&p.a) != NULL && prev(&p.b) != NULL);
	run_to(&p, t0 + 3 * WG_REJECT_AFTER_TIME + SEC, 500 * MS);
	CHECK(cur(&p.a) != NULL && prev(&p.a) != NULL);
	/* A handshake in flight (lost) when the time comes. */
	p.drop_all = true;
	run_to(&p, t1 + 3 * WG_REJECT_AFTER_TIME - 2 * SEC, 500 * MS);
	wg_peer_send_initiation(p.b.peer, false);
	CHECK(p.b.peer->handshake.state == WG_HANDSHAKE_CREATED_INITIATION);
	run_to(&p, t1 + 3 * WG_REJECT_AFTER_TIME, 100 * MS);
	CHECK(all_gone(&p.a));
	CHECK(all_gone(&p.b));
	wg_test_pair_free(&p);
}

/* ---- persistent keepalive ---- */

static void
test_persistent_keepalive(void)
{
	struct wg_test_pair p;
	uint64_t times[16], t0;
	unsigned int n = 0, k, i;

	wg_test_pair_init(&p, NULL, 0);
	establish(&p);
	run_to(&p, p.clock.mono + SEC, 100 * MS);
	k = p.a.keepalives_sent;

	/* Turning it on sends one at once. */
	wg_peer_set_persistent_keepalive(p.a.peer, 25);
	CHECK_EQ(p.a.keepalives_sent, k + 1);
	t0 = p.clock.mono;
	CHECK_EQ(p.a.peer->timers.persistent_keepalive, t0 + 25 * SEC);
	wg_test_pair_deliver(&p);
	/* Then one every 25 s of silence. */
	while (p.clock.mono < t0 + 110 * SEC) {
		unsigned int before = p.a.keepalives_sent;

		wg_test_clock_advance(&p.clock, 100 * MS);
		wg_test_pair_tick(&p);
		if (p.a.keepalives_sent != before && n < 16)
			times[n++] = p.clock.mono;
	}
	CHECK_EQ(n, 4);
	for (i = 0; i < n; i++)
		CHECK_EQ(times[i] - t0, (uint64_t)(i + 1) * 25 * SEC);
	/* b answers none of them, and sends none of its own. */
	CHECK_EQ(p.b.keepalives_received, k + 1 + 4);
	CHECK_EQ(p.b.keepalives_sent, 0);
	CHECK_EQ(p.a.dev->handshakes_out, 1);

	/* Off: no more. */
	wg_peer_set_persistent_keepalive(p.a.peer, 0);
	k = p.a.keepalives_sent;
	run_to(&p, p.clock.mono + 100 * SEC, 100 * MS);
	CHECK_EQ(p.a.keepalives_sent, k);
	wg_test_pair_free(&p);

	/* Traffic either way pushes it back: a sends data at +10 s, b's
	 * keepalive answers at +20 s; the next persistent one is at +45.
	 * (A fresh pair: a rekey at 120 s would send a keepalive too.) */
	wg_test_pair_init(&p, NULL, 0);
	establish(&p);
	wg_peer_set_persistent_keepalive(p.a.peer, 25);
	wg_test_pair_deliver(&p);
	t0 = p.clock.mono;
	run_to(&p, t0 + 10 * SEC, 100 * MS);
	k = p.a.keepalives_sent;
	CHECK(wg_test_send_data(&p.a, 100));
	wg_test_pair_deliver(&p);
	run_to(&p, t0 + 20 * SEC, 100 * MS);
	CHECK_EQ(p.b.keepalives_sent, 1);
	run_to(&p, t0 + 45 * SEC - 100 * MS, 100 * MS);
	CHECK_EQ(p.a.keepalives_sent, k);
	run_to(&p, t0 + 45 * SEC, 100 * MS);
	CHECK_EQ(p.a.keepalives_sent, k + 1);
	CHECK_EQ(p.a.dev->handshakes_out, 1);
	wg_test_pair_free(&p);

	/* Turned on with no session: the keepalive it sends at once makes
	 * a handshake, as the kernel does. */
	wg_test_pair_init(&p, NULL, 0);
	wg_peer_set_persistent_keepalive(p.b.peer, 15);
	CHECK_EQ(p.b.dev->handshakes_out, 1);
	wg_test_pair_deliver(&p);
	CHECK(cur(&p.b) != NULL && cur(&p.b)->i_am_initiator);
	wg_test_pair_free(&p);
}

/* ---- the initiation rate limit ---- */

static void
test_initiation_rate_limit(void)
{
	struct wg_test_pair p;
	uint64_t t0;
	int i;

	wg_test_pair_init(&p, NULL, 0);
	p.drop_all = true;
	t0 = p.clock.mono;
	wg_peer_send_initiation(p.a.peer, false);
	wg_peer_send_initiation(p.a.peer, false);
	CHECK_EQ(p.a.dev->handshakes_out, 1);
	CHECK_EQ(p.sent_total, 1);
	/* Whatever asks for it: data, keepalives, retries. */
	for (i = 0; i < 10; i++)
		CHECK(!wg_test_send_data(&p.a, 100));
	wg_peer_send_keepalive(p.a.peer);
	wg_peer_send_initiation(p.a.peer, true);
	skip(&p, WG_REKEY_TIMEOUT - 1);
	wg_peer_send_initiation(p.a.peer, false);
	CHECK_EQ(p.a.dev->handshakes_out, 1);
	skip(&p, 1);
	CHECK_EQ(p.clock.mono - t0, WG_REKEY_TIMEOUT);
	wg_peer_send_initiation(p.a.peer, false);
	CHECK_EQ(p.a.dev->handshakes_out, 2);
	wg_peer_send_initiation(p.a.peer, false);
	CHECK_EQ(p.a.dev->handshakes_out, 2);
	wg_test_pair_free(&p);
}

int
main(void)
{
	test_retransmit_gives_up();
	test_retransmit_recovers();
	test_handshake_slots();
	test_keepalive_timeout();
	test_new_handshake_on_silence();
	test_rekey_after_time();
	test_reject_after_time();
	test_sent_lastminute();
	test_rekey_after_messages();
	test_reject_after_messages();
	test_zero_key_material();
	test_persistent_keepalive();
	test_initiation_rate_limit();
	return wg_test_done("timers");
}
