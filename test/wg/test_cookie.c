/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MAC1, MAC2 and cookie replies (whitepaper 5.4.4, 5.4.7; the kernel's
 * cookie.c): the checker on its own, then the whole under-load exchange
 * between two devices in virtual time.
 */
#include "wg_test.h"

#define MAC1_OFF(len) ((len) - 2 * WG_MAC_LEN)
#define MAC2_OFF(len) ((len) - WG_MAC_LEN)

/* Move both virtual clocks forward to monotonic time t. */
static void
clock_to(struct wg_test_pair *p, uint64_t t)
{
	if (t > p->clock.mono)
		wg_test_clock_advance(&p->clock, t - p->clock.mono);
}

static uint32_t
le32_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static struct wg_endpoint
ep4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port_be)
{
	struct wg_endpoint ep;

	memset(&ep, 0, sizeof(ep));
	ep.family = WG_AF_INET;
	ep.port = port_be;
	ep.addr.v4[0] = a;
	ep.addr.v4[1] = b;
	ep.addr.v4[2] = c;
	ep.addr.v4[3] = d;
	return ep;
}

/* A plausible handshake message of len bytes, random body. */
static void
fake_msg(uint8_t *msg, size_t len, uint32_t type)
{
	wg_random(msg, len);
	msg[0] = (uint8_t)type;
	msg[1] = msg[2] = msg[3] = 0;
	memset(msg + MAC1_OFF(len), 0, 2 * WG_MAC_LEN);
}

/* ---- the checker and a peer's cookie state, without devices ---- */

static void
test_mac1(size_t len, uint32_t type)
{
	uint8_t priv[32], pub[32], other_priv[32], other_pub[32];
	uint8_t msg[WG_MSG_INITIATION_LEN], key[32], want[WG_MAC_LEN];
	struct wg_cookie_checker checker, other_checker;
	struct wg_cookie cookie;
	struct wg_endpoint src = ep4(198, 51, 100, 7, 0x3412);
	uint64_t now = 1000 * WG_NS_PER_SEC;
	size_t i, bad = 0;

	wg_dh_generate(priv, pub);
	wg_dh_generate(other_priv, other_pub);
	wg_cookie_checker_init(&checker, pub);
	wg_cookie_checker_init(&other_checker, other_pub);
	wg_cookie_init(&cookie, pub);   /* we are b's peer, signing to b */

	fake_msg(msg, len, type);
	wg_cookie_add_macs(&cookie, msg, len, now);

	/* MAC1 = MAC(HASH("mac1----" || Spub), msg up to mac1). */
	wg_hash2(key, "mac1----", 8, pub, 32);
	wg_mac(want, key, 32, msg, MAC1_OFF(len));
	CHECK(memcmp(msg + MAC1_OFF(len), want, WG_MAC_LEN) == 0);
	CHECK(cookie.have_sent_mac1);
	CHECK(memcmp(cookie.last_mac1_sent, want, WG_MAC_LEN) == 0);
	/* No cookie yet: MAC2 is zero. */
	CHECK(wg_crypto_is_zero(msg + MAC2_OFF(len), WG_MAC_LEN));

	CHECK_EQ(wg_cookie_validate(&checker, msg, len, &src, false, now),
		 WG_COOKIE_VALID_MAC_BUT_NO_COOKIE);
	/* Under load, without MAC2: valid, but it needs a cookie. */
	CHECK_EQ(wg_cookie_validate(&checker, msg, len, &src, true, now),
		 WG_COOKIE_VALID_MAC_BUT_NO_COOKIE);
	/* MAC1 for someone else's key. */
	CHECK_EQ(wg_cookie_validate(&other_checker, msg, len, &src, false,
				    now), WG_COOKIE_INVALID_MAC);
	CHECK_EQ(wg_cookie_validate(&other_checker, msg, len, &src, true,
				    now), WG_COOKIE_INVALID_MAC);

	/* Every byte up to and including MAC1 is covered. */
	for (i = 0; i < MAC2_OFF(len); i++) {
		msg[i] ^= 0x20;
		if (wg_cookie_validate(&checker, msg, len, &src, false, now) !=
			    WG_COOKIE_INVALID_MAC ||
		    wg_cookie_validate(&checker, msg, len, &src, true, now) !=
			    WG_COOKIE_INVALID_MAC)
			bad++;
		msg[i] ^= 0x20;
	}
	CHECK_EQ(bad, 0);
	/* MAC2 is not covered by MAC1; a garbage MAC2 is just "no cookie",
	 * not an invalid MAC. */
	for (i = MAC2_OFF(len); i < len; i++) {
		msg[i] ^= 0x01;
		if (wg_cookie_validate(&checker, msg, len, &src, false, now) !=
			    WG_COOKIE_VALID_MAC_BUT_NO_COOKIE ||
		    wg_cookie_validate(&checker, msg, len, &src, true, now) !=
			    WG_COOKIE_VALID_MAC_BUT_NO_COOKIE)
			bad++;
		msg[i] ^= 0x01;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(wg_cookie_validate(&checker, msg, len, &src, false, now),
		 WG_COOKIE_VALID_MAC_BUT_NO_COOKIE);
}

/* The cookie a checker gives src: MAC(secret, addr || port). */
static void
expected_cookie(uint8_t out[WG_COOKIE_LEN],
		const struct wg_cookie_checker *checker,
		const struct wg_endpoint *src)
{
	uint8_t bytes[18];
	size_t n;

	if (src->family == WG_AF_INET) {
		memcpy(bytes, src->addr.v4, 4);
		n = 4;
	} else {
		memcpy(bytes, src->addr.v6, 16);
		n = 16;
	}
	memcpy(bytes + n, &src->port, 2);
	wg_mac(out, checker->secret, 32, bytes, n + 2);
}

static void
test_cookie_reply(void)
{
	uint8_t priv[32], pub[32], msg[WG_MSG_INITIATION_LEN];
	uint8_t msg2[WG_MSG_INITIATION_LEN], want[WG_COOKIE_LEN];
	uint8_t key[32], mac2[WG_MAC_LEN];
	const size_t len = WG_MSG_INITIATION_LEN;
	struct wg_cookie_checker checker;
	struct wg_cookie cookie;
	struct wg_msg_cookie reply, reply2, bad_reply;
	struct wg_endpoint src = ep4(203, 0, 113, 9, 0xbbaa);
	struct wg_endpoint other;
	uint64_t t0 = 5000 * WG_NS_PER_SEC, born;
	size_t i, bad = 0;

	wg_dh_generate(priv, pub);
	wg_cookie_checker_init(&checker, pub);
	wg_cookie_init(&cookie, pub);
	CHECK(!cookie.is_valid);

	/* The cookie key is HASH("cookie--" || Spub) on both sides. */
	wg_hash2(key, "cookie--", 8, pub, 32);
	CHECK(memcmp(checker.cookie_encryption_key, key, 32) == 0);
	CHECK(memcmp(cookie.cookie_decryption_key, key, 32) == 0);

	/* Nothing sent yet: no reply can be taken. */
	fake_msg(msg, len, WG_MSG_HANDSHAKE_INITIATION);
	CHECK(!cookie.have_sent_mac1);
	wg_cookie_reply_create(&reply, msg, len, 0x11223344, &checker, &src,
			       t0);
	CHECK(!wg_cookie_reply_consume(&cookie, &reply, t0));
	CHECK(!cookie.is_valid);

	/* Sign, get a reply to exactly that message, take it. */
	wg_cookie_add_macs(&cookie, msg, len, t0);
	wg_cookie_reply_create(&reply, msg, len, 0x11223344, &checker, &src,
			       t0);
	born = checker.secret_birthdate;
	CHECK(born != 0);
	CHECK_EQ(le32_at((const uint8_t *)&reply), WG_MSG_HANDSHAKE_COOKIE);
	CHECK_EQ(reply.receiver_index, 0x11223344);
	/* Tampered anywhere authenticated: refused, state unchanged. */
	for (i = offsetof(struct wg_msg_cookie, nonce);
	     i < sizeof(reply); i++) {
		bad_reply = reply;
		((uint8_t *)&bad_reply)[i] ^= 0x04;
		if (wg_cookie_reply_consume(&cookie, &bad_reply, t0))
			bad++;
	}
	CHECK_EQ(bad, 0);
	CHECK(!cookie.is_valid);
	CHECK(cookie.have_sent_mac1);
	CHECK(wg_cookie_reply_consume(&cookie, &reply, t0 + 7));
	CHECK(cookie.is_valid);
	CHECK_EQ(cookie.birthdate, t0 + 7);
	/* The cookie is MAC(secret, source address || port). */
	expected_cookie(want, &checker, &src);
	CHECK(memcmp(cookie.cookie, want, WG_COOKIE_LEN) == 0);
	/* Once taken, the same reply is not taken again. */
	CHECK(!wg_cookie_reply_consume(&cookie, &reply, t0 + 8));

	/* Two replies never share a nonce. */
	wg_cookie_reply_create(&reply2, msg, len, 0x11223344, &checker, &src,
			       t0);
	CHECK(memcmp(reply.nonce, reply2.nonce, WG_COOKIE_NONCE_LEN) != 0);

	/* A reply is bound to the MAC1 of the message it answers: after
	 * sending msg2, a reply to msg is refused. */
	fake_msg(msg2, len, WG_MSG_HANDSHAKE_INITIATION);
	wg_cookie_add_macs(&cookie, msg2, len, t0 + 10);
	CHECK(!wg_cookie_reply_consume(&cookie, &reply2, t0 + 10));

	/* With the cookie, MAC2 = MAC(cookie, msg up to mac2), and the
	 * checker accepts it from src only, under load. */
	wg_mac(mac2, cookie.cookie, WG_COOKIE_LEN, msg2, MAC2_OFF(len));
	CHECK(memcmp(msg2 + MAC2_OFF(len), mac2, WG_MAC_LEN) == 0);
	CHECK_EQ(wg_cookie_validate(&checker, msg2, len, &src, true, t0 + 10),
		 WG_COOKIE_VALID_MAC_WITH_COOKIE);
	CHECK_EQ(wg_cookie_validate(&checker, msg2, len, &src, false,
				    t0 + 10),
		 WG_COOKIE_VALID_MAC_BUT_NO_COOKIE);
	/* Another port, another address, the same bytes as IPv6. */
	other = src;
	other.port ^= 0x0100;
	CHECK_EQ(wg_cookie_validate(&checker, msg2, len, &other, true,
				    t0 + 10),
		 WG_COOKIE_VALID_MAC_BUT_NO_COOKIE);
	other = src;
	other.addr.v4[3] ^= 1;
	CHECK_EQ(wg_cookie_validate(&checker, msg2, len, &other, true,
				    t0 + 10),
		 WG_COOKIE_VALID_MAC_BUT_NO_COOKIE);
	other = src;
	other.family = WG_AF_INET6;
	CHECK_EQ(wg_cookie_validate(&checker, msg2, len, &other, true,
				    t0 + 10),
		 WG_COOKIE_VALID_MAC_BUT_NO_COOKIE);
	/* Bytes of the union past an IPv4 address are not part of it. */
	other = src;
	other.addr.v6[8] ^= 0xff;
	CHECK_EQ(wg_cookie_validate(&checker, msg2, len, &other, true,
				    t0 + 10),
		 WG_COOKIE_VALID_MAC_WITH_COOKIE);
	/* MAC2 covers everything up to it (MAC1 included, which MAC1's
	 * own check already shows). */
	for (i = 0; i < MAC1_OFF(len); i++) {
		uint8_t m[WG_MSG_INITIATION_LEN];
		struct wg_cookie tmp = cookie;

		memcpy(m, msg2, len);
		m[i] ^= 0x08;
		/* Re-sign MAC1 so only MAC2 can tell. */
		wg_cookie_add_macs(&tmp, m, len, t0 + 10);
		memcpy(m + MAC2_OFF(len), msg2 + MAC2_OFF(len), WG_MAC_LEN);
		if (wg_cookie_validate(&checker, m, len, &src, true, t0 + 10) !=
		    WG_COOKIE_VALID_MAC_BUT_NO_COOKIE)
			bad++;
	}
	CHECK_EQ(bad, 0);

	/* The peer stops using the cookie when it may be stale:
	 * COOKIE_SECRET_MAX_AGE - COOKIE_SECRET_LATENCY after it came. */
	wg_cookie_add_macs(&cookie, msg2, len, t0 + 7 + WG_COOKIE_SECRET_MAX_AGE -
			   WG_COOKIE_SECRET_LATENCY - 1);
	CHECK(!wg_crypto_is_zero(msg2 + MAC2_OFF(len), WG_MAC_LEN));
	wg_cookie_add_macs(&cookie, msg2, len, t0 + 7 + WG_COOKIE_SECRET_MAX_AGE -
			   WG_COOKIE_SECRET_LATENCY);
	CHECK(wg_crypto_is_zero(msg2 + MAC2_OFF(len), WG_MAC_LEN));
	wg_cookie_add_macs(&cookie, msg2, len, t0 + 1000 * WG_NS_PER_SEC);
	CHECK(wg_crypto_is_zero(msg2 + MAC2_OFF(len), WG_MAC_LEN));

	/* The checker's secret lives two minutes: a MAC2 made with a
	 * cookie of the old secret is good until then, not after. */
	wg_cookie_add_macs(&cookie, msg2, len, t0 + 10);
	CHECK_EQ(wg_cookie_validate(&checker, msg2, len, &src, true,
				    born + WG_COOKIE_SECRET_MAX_AGE -
				    WG_NS_PER_SEC),
		 WG_COOKIE_VALID_MAC_WITH_COOKIE);
	CHECK_EQ(checker.secret_birthdate, born);
	CHECK_EQ(wg_cookie_validate(&checker, msg2, len, &src, true,
				    born + WG_COOKIE_SECRET_MAX_AGE + 1),
		 WG_COOKIE_VALID_MAC_BUT_NO_COOKIE);
	CHECK_EQ(checker.secret_birthdate, born + WG_COOKIE_SECRET_MAX_AGE + 1);
	/* Still refused a little later (the new secret stays). */
	CHECK_EQ(wg_cookie_validate(&checker, msg2, len, &src, true,
				    born + WG_COOKIE_SECRET_MAX_AGE +
				    WG_NS_PER_SEC),
		 WG_COOKIE_VALID_MAC_BUT_NO_COOKIE);
	/* A cookie of the new secret works. */
	{
		uint64_t t1 = born + WG_COOKIE_SECRET_MAX_AGE + 2 * WG_NS_PER_SEC;

		wg_cookie_add_macs(&cookie, msg, len, t1);
		wg_cookie_reply_create(&reply, msg, len, 1, &checker, &src,
				       t1);
		CHECK(wg_cookie_reply_consume(&cookie, &reply, t1));
		expected_cookie(want, &checker, &src);
		CHECK(memcmp(cookie.cookie, want, WG_COOKIE_LEN) == 0);
		wg_cookie_add_macs(&cookie, msg2, len, t1);
		CHECK_EQ(wg_cookie_validate(&checker, msg2, len, &src, true,
					    t1),
			 WG_COOKIE_VALID_MAC_WITH_COOKIE);
	}
}

/* ---- the exchange between two devices ---- */

/* Run the timers of both devices (delivering nothing) until something
 * is on the wire; returns the virtual ns that took, or max_ns. */
static uint64_t
run_until_sent(struct wg_test_pair *p, uint64_t max_ns)
{
	const uint64_t step = WG_NS_PER_MS;
	uint64_t t = 0;

	while (p->wire_len == 0 && t < max_ns) {
		wg_test_clock_advance(&p->clock, step);
		t += step;
		wg_device_run_timers(p->a.dev);
		wg_device_run_timers(p->b.dev);
	}
	return t;
}

static bool
is_type(const struct wg_test_pkt *pkt, uint32_t type, size_t len)
{
	return pkt->len == len && le32_at(pkt->data) == type;
}

static void
test_under_load_flow(void)
{
	struct wg_test_pair p;
	struct wg_test_pkt init, reply, init2, resp;
	uint64_t waited;

	wg_test_pair_init(&p, NULL, 0);

	/* a initiates; b, under load, answers with a cookie reply. */
	wg_peer_send_initiation(p.a.peer, false);
	CHECK_EQ(p.wire_len, 1);
	init = wg_test_take_packet(&p);
	CHECK(is_type(&init, WG_MSG_HANDSHAKE_INITIATION,
		      WG_MSG_INITIATION_LEN));
	CHECK(wg_crypto_is_zero(init.data + MAC2_OFF(init.len), WG_MAC_LEN));
	CHECK_EQ(wg_receive_handshake(p.b.dev, init.data, init.len, &init.from,
				      true), WG_DROP_COOKIE_SENT);
	CHECK_EQ(p.b.dev->drops[WG_DROP_COOKIE_SENT], 1);
	CHECK_EQ(p.b.dev->cookies_sent, 1);
	CHECK_EQ(p.b.dev->handshakes_in, 0);
	/* No handshake state was spent on it. */
	CHECK_EQ(p.b.peer->handshake.state, WG_HANDSHAKE_ZEROED);
	CHECK(atomic_load(&p.b.peer->keypairs.next) == NULL);
	CHECK_EQ(p.wire_len, 1);
	if (p.wire_len != 1)
		goto out;
	reply = wg_test_take_packet(&p);
	/* Smaller than what it answers (no amplification), to the sender,
	 * naming the sender's index. */
	CHECK(is_type(&reply, WG_MSG_HANDSHAKE_COOKIE, WG_MSG_COOKIE_LEN));
	CHECK(reply.len < init.len);
	CHECK(wg_endpoint_equal(&reply.to, &p.a.addr));
	CHECK_EQ(le32_at(reply.data + 4), le32_at(init.data + 4));

	/* a takes the cookie; nothing is sent at once. */
	CHECK(!p.a.peer->cookie.is_valid);
	CHECK_EQ(wg_receive_handshake(p.a.dev, reply.data, reply.len,
				      &reply.from, false), WG_DROP_NONE);
	CHECK(p.a.peer->cookie.is_valid);
	CHECK_EQ(p.wire_len, 0);
	/* Taken once only. */
	CHECK_EQ(wg_receive_handshake(p.a.dev, reply.data, reply.len,
				      &reply.from, false), WG_DROP_COOKIE_AUTH);
	CHECK_EQ(p.a.dev->drops[WG_DROP_COOKIE_AUTH], 1);

	/* The retransmit timer resends the initiation after REKEY_TIMEOUT
	 * (+ jitter), now with a MAC2 that b accepts under load. */
	waited = run_until_sent(&p, 10 * WG_NS_PER_SEC);
	CHECK(waited >= WG_REKEY_TIMEOUT);
	CHECK(waited <= WG_REKEY_TIMEOUT + WG_REKEY_TIMEOUT_JITTER_MAX +
		       WG_NS_PER_MS);
	CHECK_EQ(p.wire_len, 1);
	if (p.wire_len != 1)
		goto out;
	init2 = wg_test_take_packet(&p);
	CHECK(is_type(&init2, WG_MSG_HANDSHAKE_INITIATION,
		      WG_MSG_INITIATION_LEN));
	CHECK(!wg_crypto_is_zero(init2.data + MAC2_OFF(init2.len),
				 WG_MAC_LEN));
	CHECK_EQ(wg_cookie_validate(&p.b.dev->cookie_checker, init2.data,
				    init2.len, &init2.from, true,
				    p.clock.mono),
		 WG_COOKIE_VALID_MAC_WITH_COOKIE);
	/* From another port the same MAC2 is worthless. */
	{
		struct wg_endpoint moved = init2.from;

		moved.port ^= 0x0101;
		CHECK_EQ(wg_receive_handshake(p.b.dev, init2.data, init2.len,
					      &moved, true),
			 WG_DROP_COOKIE_SENT);
		CHECK_EQ(p.b.dev->drops[WG_DROP_COOKIE_SENT], 2);
		CHECK_EQ(p.b.dev->handshakes_in, 0);
		/* That reply went to the other port. */
		CHECK_EQ(p.wire_len, 1);
		if (p.wire_len == 1)
			CHECK(wg_endpoint_equal(&p.wire[0].to, &moved));
		p.wire_len = 0;
		moved = init2.from;
		moved.addr.v4[3] ^= 0x80;
		CHECK_EQ(wg_receive_handshake(p.b.dev, init2.data, init2.len,
					      &moved, true),
			 WG_DROP_COOKIE_SENT);
		p.wire_len = 0;
	}
	CHECK_EQ(wg_receive_handshake(p.b.dev, init2.data, init2.len,
				      &init2.from, true), WG_DROP_NONE);
	CHECK_EQ(p.b.dev->handshakes_in, 1);
	CHECK_EQ(p.wire_len, 1);
	CHECK(atomic_load(&p.b.peer->keypairs.next) != NULL);
	if (p.wire_len != 1)
		goto out;
	resp = wg_test_take_packet(&p);
	CHECK(is_type(&resp, WG_MSG_HANDSHAKE_RESPONSE, WG_MSG_RESPONSE_LEN));

	/* a is under load too: b's response has no MAC2 (b holds no cookie
	 * from a), so a answers it with a cookie, which b takes (the reply
	 * names b's new keypair's index). */
	CHECK(wg_crypto_is_zero(resp.data + MAC2_OFF(resp.len), WG_MAC_LEN));
	CHECK_EQ(wg_receive_handshake(p.a.dev, resp.data, resp.len, &resp.from,
				      true), WG_DROP_COOKIE_SENT);
	CHECK_EQ(p.a.dev->cookies_sent, 1);
	CHECK(atomic_load(&p.a.peer->keypairs.current) == NULL);
	CHECK_EQ(p.wire_len, 1);
	if (p.wire_len != 1)
		goto out;
	reply = wg_test_take_packet(&p);
	CHECK(is_type(&reply, WG_MSG_HANDSHAKE_COOKIE, WG_MSG_COOKIE_LEN));
	CHECK_EQ(le32_at(reply.data + 4), le32_at(resp.data + 4));
	CHECK_EQ(wg_receive_handshake(p.b.dev, reply.data, reply.len,
				      &reply.from, false), WG_DROP_NONE);
	CHECK(p.b.peer->cookie.is_valid);

	/* a retries; both sides now have cookies and both are under load. */
	waited = run_until_sent(&p, 10 * WG_NS_PER_SEC);
	CHECK(waited <= WG_REKEY_TIMEOUT + WG_REKEY_TIMEOUT_JITTER_MAX +
		       WG_NS_PER_MS);
	CHECK_EQ(p.wire_len, 1);
	if (p.wire_len != 1)
		goto out;
	init2 = wg_test_take_packet(&p);
	CHECK_EQ(wg_receive_handshake(p.b.dev, init2.data, init2.len,
				      &init2.from, true), WG_DROP_NONE);
	CHECK_EQ(p.wire_len, 1);
	if (p.wire_len != 1)
		goto out;
	resp = wg_test_take_packet(&p);
	CHECK(!wg_crypto_is_zero(resp.data + MAC2_OFF(resp.len), WG_MAC_LEN));
	CHECK_EQ(wg_receive_handshake(p.a.dev, resp.data, resp.len, &resp.from,
				      true), WG_DROP_NONE);
	CHECK(atomic_load(&p.a.peer->keypairs.current) != NULL);
	wg_test_pair_deliver(&p);    /* a's keepalive confirms to b */
	CHECK(atomic_load(&p.b.peer->keypairs.current) != NULL);
	CHECK(wg_test_send_data(&p.a, 100));
	CHECK(wg_test_send_data(&p.b, 100));
	wg_test_pair_deliver(&p);
	CHECK_EQ(p.a.data_received, 1);
	CHECK_EQ(p.b.data_received, 1);
	CHECK_EQ(p.a.dev->drops[WG_DROP_COOKIE_SENT], 1);
	CHECK_EQ(p.b.dev->drops[WG_DROP_COOKIE_SENT], 3);

	/* Under load, a message with a bad MAC1 gets no cookie reply (the
	 * cookie machinery answers only who knows our public key). */
	{
		unsigned int cookies = p.b.dev->cookies_sent;

		init2.data[20] ^= 1;
		CHECK_EQ(wg_receive_handshake(p.b.dev, init2.data, init2.len,
					      &init2.from, true),
			 WG_DROP_BAD_MAC1);
		CHECK_EQ(p.b.dev->cookies_sent, cookies);
		CHECK_EQ(p.wire_len, 0);
	}
out:
	wg_test_pair_free(&p);
}

/* A cookie reply with a tampered byte, and one naming no index. */
static void
test_bad_cookie_replies(void)
{
	struct wg_test_pair p;
	struct wg_test_pkt init, reply;
	uint8_t buf[WG_MSG_COOKIE_LEN];
	size_t i;
	unsigned int auth_drops = 0;

	wg_test_pair_init(&p, NULL, 0);
	wg_peer_send_initiation(p.a.peer, false);
	init = wg_test_take_packet(&p);
	CHECK_EQ(init.len, WG_MSG_INITIATION_LEN);
	CHECK_EQ(wg_receive_handshake(p.b.dev, init.data, init.len, &init.from,
				      true), WG_DROP_COOKIE_SENT);
	CHECK_EQ(p.wire_len, 1);
	if (p.wire_len != 1)
		goto out;
	reply = wg_test_take_packet(&p);

	/* Nonce or sealed cookie touched: refused and counted. */
	for (i = offsetof(struct wg_msg_cookie, nonce); i < reply.len; i++) {
		memcpy(buf, reply.data, reply.len);
		buf[i] ^= 0x10;
		if (wg_receive_handshake(p.a.dev, buf, reply.len, &reply.from,
					 false) == WG_DROP_COOKIE_AUTH)
			auth_drops++;
	}
	CHECK_EQ(auth_drops, reply.len - offsetof(struct wg_msg_cookie, nonce));
	CHECK_EQ(p.a.dev->drops[WG_DROP_COOKIE_AUTH], auth_drops);
	CHECK(!p.a.peer->cookie.is_valid);

	/* An index naming nothing. */
	memcpy(buf, reply.data, reply.len);
	buf[4] ^= 0x5a;
	CHECK_EQ(wg_receive_handshake(p.a.dev, buf, reply.len, &reply.from,
				      false), WG_DROP_UNKNOWN_INDEX);
	CHECK_EQ(p.a.dev->drops[WG_DROP_UNKNOWN_INDEX], 1);
	/* The genuine reply at b (whose index it does not name either). */
	CHECK_EQ(wg_receive_handshake(p.b.dev, reply.data, reply.len,
				      &reply.from, false),
		 WG_DROP_UNKNOWN_INDEX);
	CHECK(!p.a.peer->cookie.is_valid);

	/* The genuine one still works after all that. */
	CHECK_EQ(wg_receive_handshake(p.a.dev, reply.data, reply.len,
				      &reply.from, false), WG_DROP_NONE);
	CHECK(p.a.peer->cookie.is_valid);
	CHECK_EQ(p.a.dev->drops[WG_DROP_COOKIE_AUTH], auth_drops);
out:
	wg_test_pair_free(&p);
}

/* a stops using b's cookie COOKIE_SECRET_MAX_AGE - COOKIE_SECRET_LATENCY
 * after it came: MAC2 is zero, and b under load sends a new cookie. */
static void
test_cookie_ages_out(void)
{
	struct wg_test_pair p;
	struct wg_test_pkt init, reply;
	uint64_t got;

	wg_test_pair_init(&p, NULL, 0);
	wg_peer_send_initiation(p.a.peer, false);
	init = wg_test_take_packet(&p);
	wg_receive_handshake(p.b.dev, init.data, init.len, &init.from, true);
	CHECK_EQ(p.wire_len, 1);
	if (p.wire_len != 1)
		goto out;
	reply = wg_test_take_packet(&p);
	CHECK_EQ(wg_receive_handshake(p.a.dev, reply.data, reply.len,
				      &reply.from, false), WG_DROP_NONE);
	got = p.clock.mono;
	CHECK_EQ(p.a.peer->cookie.birthdate, got);
	/* No retransmits in the way: forget the handshake in flight. */
	wg_timers_stop(p.a.peer);

	/* Just inside: MAC2 set and accepted by b under load. */
	wg_test_clock_advance(&p.clock, WG_COOKIE_SECRET_MAX_AGE -
			      WG_COOKIE_SECRET_LATENCY - WG_NS_PER_SEC);
	wg_peer_send_initiation(p.a.peer, false);
	CHECK_EQ(p.wire_len, 1);
	if (p.wire_len != 1)
		goto out;
	init = wg_test_take_packet(&p);
	CHECK(!wg_crypto_is_zero(init.data + MAC2_OFF(init.len), WG_MAC_LEN));
	CHECK_EQ(wg_receive_handshake(p.b.dev, init.data, init.len, &init.from,
				      true), WG_DROP_NONE);
	p.wire_len = 0;
	wg_timers_stop(p.a.peer);

	/* At MAX_AGE - LATENCY: not used any more. */
	clock_to(&p, got + WG_COOKIE_SECRET_MAX_AGE - WG_COOKIE_SECRET_LATENCY);
	p.a.peer->last_sent_handshake = 0;   /* past the rate limit */
	wg_peer_send_initiation(p.a.peer, false);
	CHECK_EQ(p.wire_len, 1);
	if (p.wire_len != 1)
		goto out;
	init = wg_test_take_packet(&p);
	CHECK(wg_crypto_is_zero(init.data + MAC2_OFF(init.len), WG_MAC_LEN));
	CHECK_EQ(wg_receive_handshake(p.b.dev, init.data, init.len, &init.from,
				      true), WG_DROP_COOKIE_SENT);
	/* ... which b answers with a fresh cookie, which works again. */
	CHECK_EQ(p.wire_len, 1);
	if (p.wire_len != 1)
		goto out;
	reply = wg_test_take_packet(&p);
	CHECK_EQ(wg_receive_handshake(p.a.dev, reply.data, reply.len,
				      &reply.from, false), WG_DROP_NONE);
	CHECK_EQ(p.a.peer->cookie.birthdate, p.clock.mono);
	wg_test_clock_advance(&p.clock, WG_NS_PER_SEC);
	p.a.peer->last_sent_handshake = 0;
	wg_timers_stop(p.a.peer);
	wg_peer_send_initiation(p.a.peer, false);
	CHECK_EQ(p.wire_len, 1);
	if (p.wire_len != 1)
		goto out;
	init = wg_test_take_packet(&p);
	CHECK(!wg_crypto_is_zero(init.data + MAC2_OFF(init.len), WG_MAC_LEN));
	CHECK_EQ(wg_receive_handshake(p.b.dev, init.data, init.len, &init.from,
				      true), WG_DROP_NONE);
out:
	wg_test_pair_free(&p);
}

/* b's secret rotates two minutes after it was made: a cookie a got
 * before then stops validating even though a still uses it. */
static void
test_secret_rotation(void)
{
	struct wg_test_pair p;
	struct wg_test_pkt init, reply;
	uint64_t born;

	wg_test_pair_init(&p, NULL, 0);
	wg_peer_send_initiation(p.a.peer, false);
	init = wg_test_take_packet(&p);
	wg_receive_handshake(p.b.dev, init.data, init.len, &init.from, true);
	born = p.b.dev->cookie_checker.secret_birthdate;
	CHECK_EQ(born, p.clock.mono);
	CHECK_EQ(p.wire_len, 1);
	if (p.wire_len != 1)
		goto out;
	reply = wg_test_take_packet(&p);

	/* a takes the cookie 100 s later (it was delayed on the way), so
	 * a will use it until 215 s, but b's secret dies at 120 s. */
	wg_test_clock_advance(&p.clock, 100 * WG_NS_PER_SEC);
	CHECK_EQ(wg_receive_handshake(p.a.dev, reply.data, reply.len,
				      &reply.from, false), WG_DROP_NONE);
	wg_timers_stop(p.a.peer);

	clock_to(&p, born + WG_COOKIE_SECRET_MAX_AGE - WG_NS_PER_SEC);
	p.a.peer->last_sent_handshake = 0;
	wg_peer_send_initiation(p.a.peer, false);
	CHECK_EQ(p.wire_len, 1);
	if (p.wire_len != 1)
		goto out;
	init = wg_test_take_packet(&p);
	CHECK(!wg_crypto_is_zero(init.data + MAC2_OFF(init.len), WG_MAC_LEN));
	CHECK_EQ(wg_cookie_validate(&p.b.dev->cookie_checker, init.data,
				    init.len, &init.from, true, p.clock.mono),
		 WG_COOKIE_VALID_MAC_WITH_COOKIE);

	clock_to(&p, born + WG_COOKIE_SECRET_MAX_AGE + WG_NS_PER_SEC);
	p.a.peer->last_sent_handshake = 0;
	wg_timers_stop(p.a.peer);
	wg_peer_send_initiation(p.a.peer, false);
	CHECK_EQ(p.wire_len, 1);
	if (p.wire_len != 1)
		goto out;
	init = wg_test_take_packet(&p);
	CHECK(!wg_crypto_is_zero(init.data + MAC2_OFF(init.len), WG_MAC_LEN));
	CHECK_EQ(wg_receive_handshake(p.b.dev, init.data, init.len, &init.from,
				      true), WG_DROP_COOKIE_SENT);
	CHECK(p.b.dev->cookie_checker.secret_birthdate > born);
	CHECK_EQ(p.b.dev->handshakes_in, 0);
out:
	p.wire_len = 0;
	wg_test_pair_free(&p);
}

int
main(void)
{
	if (!wg_crypto_init())
		return 1;
	test_mac1(WG_MSG_INITIATION_LEN, WG_MSG_HANDSHAKE_INITIATION);
	test_mac1(WG_MSG_RESPONSE_LEN, WG_MSG_HANDSHAKE_RESPONSE);
	test_cookie_reply();
	test_under_load_flow();
	test_bad_cookie_replies();
	test_cookie_ages_out();
	test_secret_rotation();
	return wg_test_done("cookie");
}
