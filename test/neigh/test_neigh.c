/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The neighbour cache in virtual time: states and their timers, static
 * precedence, retries and hold-down, learning rules, a full table, poll
 * fairness; and the next-hop choice for IPv4 and IPv6.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "wg_check.h"
#include "wg_neigh.h"

#define MS 1000000ULL
#define S (1000 * MS)
#define T0 (1000 * S)            /* virtual time does not start at zero */

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0xaa };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0xbb };
static const uint8_t mac_c[6] = { 0x02, 0, 0, 0, 0, 0xcc };

static const uint8_t *
v4(const char *s)
{
	static uint8_t buf[4][16];
	static unsigned int n;
	uint8_t *a = buf[n++ % 4];

	memset(a, 0, 16);
	if (inet_pton(AF_INET, s, a) != 1)
		fprintf(stderr, "bad test address %s\n", s);
	return a;
}

static const uint8_t *
v6(const char *s)
{
	static uint8_t buf[4][16];
	static unsigned int n;
	uint8_t *a = buf[n++ % 4];

	if (inet_pton(AF_INET6, s, a) != 1)
		fprintf(stderr, "bad test address %s\n", s);
	return a;
}

static int
state_of(struct wg_neigh_table *t, uint8_t family, const uint8_t *addr)
{
	struct wg_neigh_entry_info e;

	if (wg_neigh_lookup(t, family, addr, &e) != 0)
		return -1;
	return e.state;
}

static struct wg_neigh_table *
table(unsigned int capacity)
{
	struct wg_neigh_table *t = wg_neigh_create(capacity, NULL);

	CHECK(t != NULL);
	return t;
}

static void
test_create(void)
{
	struct wg_neigh_params p;
	struct wg_neigh_table *t;

	wg_neigh_params_default(&p);
	CHECK_EQ(p.retry_ns, 1 * S);
	CHECK_EQ(p.max_probes, 3);
	CHECK_EQ(p.failed_hold_ns, 20 * S);
	CHECK_EQ(p.reachable_ns, 30 * S);
	CHECK_EQ(p.gc_ns, 60 * S);
	errno = 0;
	CHECK(wg_neigh_create(0, NULL) == NULL);
	CHECK_EQ(errno, EINVAL);
	CHECK(wg_neigh_create((1U << 20) + 1, NULL) == NULL);
	p.max_probes = 0;
	CHECK(wg_neigh_create(8, &p) == NULL);
	p.max_probes = 256;
	CHECK(wg_neigh_create(8, &p) == NULL);
	wg_neigh_params_default(&p);
	p.retry_ns = 0;
	CHECK(wg_neigh_create(8, &p) == NULL);
	t = table(1);
	CHECK_EQ(wg_neigh_count(t), 0);
	CHECK_EQ(wg_neigh_generation(t), 0);
	wg_neigh_free(t);
	wg_neigh_free(NULL);
	CHECK(strcmp(wg_neigh_state_name(WG_NEIGH_PROBE), "probe") == 0);
	CHECK(strcmp(wg_neigh_state_name(WG_NEIGH_STATIC), "static") == 0);
	CHECK(strcmp(wg_neigh_state_name((enum wg_neigh_state)99), "?") == 0);
}

/* Unknown -> INCOMPLETE, requests at 0, 1 and 2 s, FAILED at 3 s, held
 * down for 20 s, then a fresh start. */
static void
test_retries_and_hold_down(void)
{
	struct wg_neigh_table *t = table(8);
	const uint8_t *gw = v4("192.0.2.254");
	struct wg_neigh_request r[4];
	struct wg_neigh_stats st;
	bool need;

	CHECK(wg_neigh_resolve(t, WG_AF_INET, gw, T0, &need) == NULL);
	CHECK(need);
	CHECK_EQ(state_of(t, WG_AF_INET, gw), WG_NEIGH_INCOMPLETE);
	/* Rate limit: asking again before the retry time sends nothing. */
	CHECK(wg_neigh_resolve(t, WG_AF_INET, gw, T0 + 10 * MS, &need) == NULL);
	CHECK(!need);
	CHECK_EQ(wg_neigh_poll(t, T0 + 999 * MS, r, 4), 0);
	CHECK_EQ(wg_neigh_poll(t, T0 + 1 * S, r, 4), 1);
	CHECK_EQ(r[0].family, WG_AF_INET);
	CHECK(memcmp(r[0].addr, gw, 4) == 0);
	CHECK(!r[0].unicast);
	CHECK_EQ(wg_neigh_poll(t, T0 + 1500 * MS, r, 4), 0);
	/* Retries come from poll() alone, however often resolve() asks. */
	CHECK(wg_neigh_resolve(t, WG_AF_INET, gw, T0 + 2 * S, &need) == NULL);
	CHECK(!need);
	CHECK_EQ(wg_neigh_poll(t, T0 + 2 * S, r, 4), 1);
	CHECK(!r[0].unicast);
	CHECK_EQ(wg_neigh_poll(t, T0 + 2999 * MS, r, 4), 0);
	CHECK_EQ(state_of(t, WG_AF_INET, gw), WG_NEIGH_INCOMPLETE);
	/* Three requests unanswered: FAILED, and no fourth request. */
	CHECK_EQ(wg_neigh_poll(t, T0 + 3 * S, r, 4), 0);
	CHECK_EQ(state_of(t, WG_AF_INET, gw), WG_NEIGH_FAILED);
	CHECK_EQ(wg_neigh_generation(t), 0);  /* never had a MAC */
	CHECK(wg_neigh_resolve(t, WG_AF_INET, gw, T0 + 4 * S, &need) == NULL);
	CHECK(!need);
	CHECK(wg_neigh_resolve(t, WG_AF_INET, gw, T0 + 22999 * MS, &need) == NULL);
	CHECK(!need);
	CHECK_EQ(wg_neigh_poll(t, T0 + 22999 * MS, r, 4), 0);
	/* Hold-down over: the next use starts afresh. */
	CHECK(wg_neigh_resolve(t, WG_AF_INET, gw, T0 + 23 * S, &need) == NULL);
	CHECK(need);
	CHECK_EQ(state_of(t, WG_AF_INET, gw), WG_NEIGH_INCOMPLETE);
	wg_neigh_get_stats(t, &st);
	CHECK_EQ(st.requests, 4);
	CHECK_EQ(st.failures, 1);
	/* Or, unused, poll drops the FAILED entry after its hold-down. */
	CHECK_EQ(wg_neigh_poll(t, T0 + 24 * S, r, 4), 1);
	CHECK_EQ(wg_neigh_poll(t, T0 + 25 * S, r, 4), 1);
	CHECK_EQ(wg_neigh_poll(t, T0 + 26 * S, r, 4), 0);
	CHECK_EQ(state_of(t, WG_AF_INET, gw), WG_NEIGH_FAILED);
	CHECK_EQ(wg_neigh_poll(t, T0 + 45 * S, r, 4), 0);
	CHECK_EQ(wg_neigh_poll(t, T0 + 46 * S, r, 4), 0);
	CHECK_EQ(state_of(t, WG_AF_INET, gw), -1);
	CHECK_EQ(wg_neigh_count(t), 0);
	wg_neigh_free(t);
}

/* Resolution, expiry, probing with the last probe broadcast, recovery. */
static void
test_reachable_stale_probe(void)
{
	struct wg_neigh_table *t = table(8);
	const uint8_t *gw = v6("2001:db8::1");
	struct wg_neigh_request r[4];
	const uint8_t *mac;
	uint64_t gen;
	bool need;

	CHECK(wg_neigh_resolve(t, WG_AF_INET6, gw, T0, &need) == NULL);
	CHECK(need);
	CHECK(wg_neigh_learn(t, WG_AF_INET6, gw, mac_a, T0 + 5 * MS,
			     WG_NEIGH_F_SOLICITED | WG_NEIGH_F_OVERRIDE));
	CHECK_EQ(wg_neigh_generation(t), 1);
	CHECK_EQ(state_of(t, WG_AF_INET6, gw), WG_NEIGH_REACHABLE);
	mac = wg_neigh_resolve(t, WG_AF_INET6, gw, T0 + 10 * MS, &need);
	CHECK(mac != NULL && memcmp(mac, mac_a, 6) == 0);
	CHECK(!need);
	/* No retries once resolved. */
	CHECK_EQ(wg_neigh_poll(t, T0 + 5 * S, r, 4), 0);
	/* 30 s after the confirmation: STALE, MAC still usable. */
	CHECK_EQ(wg_neigh_poll(t, T0 + 30 * S, r, 4), 0);
	CHECK_EQ(state_of(t, WG_AF_INET6, gw), WG_NEIGH_REACHABLE);
	CHECK_EQ(wg_neigh_poll(t, T0 + 30 * S + 5 * MS, r, 4), 0);
	CHECK_EQ(state_of(t, WG_AF_INET6, gw), WG_NEIGH_STALE);
	CHECK_EQ(wg_neigh_generation(t), 1);
	/* Used while STALE: PROBE, with a request to the known MAC. */
	mac = wg_neigh_resolve(t, WG_AF_INET6, gw, T0 + 31 * S, &need);
	CHECK(mac != NULL && memcmp(mac, mac_a, 6) == 0);
	CHECK(need);
	CHECK_EQ(state_of(t, WG_AF_INET6, gw), WG_NEIGH_PROBE);
	mac = wg_neigh_resolve(t, WG_AF_INET6, gw, T0 + 31500 * MS, &need);
	CHECK(mac != NULL && !need);
	CHECK_EQ(wg_neigh_poll(t, T0 + 32 * S, r, 4), 1);
	CHECK(r[0].unicast);
	CHECK(memcmp(r[0].mac, mac_a, 6) == 0);
	CHECK_EQ(r[0].family, WG_AF_INET6);
	CHECK(memcmp(r[0].addr, gw, 16) == 0);
	/* The last probe is broadcast. */
	CHECK_EQ(wg_neigh_poll(t, T0 + 33 * S, r, 4), 1);
	CHECK(!r[0].unicast);
	/* Answered (the neighbour has a new MAC): REACHABLE again. */
	CHECK(wg_neigh_learn(t, WG_AF_INET6, gw, mac_b, T0 + 33100 * MS,
			     WG_NEIGH_F_SOLICITED | WG_NEIGH_F_OVERRIDE));
	CHECK_EQ(state_of(t, WG_AF_INET6, gw), WG_NEIGH_REACHABLE);
	CHECK_EQ(wg_neigh_generation(t), 2);
	CHECK_EQ(wg_neigh_poll(t, T0 + 40 * S, r, 4), 0);
	mac = wg_neigh_resolve(t, WG_AF_INET6, gw, T0 + 40 * S, &need);
	CHECK(mac != NULL && memcmp(mac, mac_b, 6) == 0 && !need);

	/* Unanswered probes: FAILED, MAC withdrawn, generation bumped. */
	CHECK_EQ(wg_neigh_poll(t, T0 + 64 * S, r, 4), 0);
	CHECK_EQ(state_of(t, WG_AF_INET6, gw), WG_NEIGH_STALE);
	gen = wg_neigh_generation(t);
	CHECK(wg_neigh_resolve(t, WG_AF_INET6, gw, T0 + 65 * S, &need) != NULL);
	CHECK(need);
	CHECK_EQ(wg_neigh_poll(t, T0 + 66 * S, r, 4), 1);
	CHECK_EQ(wg_neigh_poll(t, T0 + 67 * S, r, 4), 1);
	CHECK(wg_neigh_resolve(t, WG_AF_INET6, gw, T0 + 67500 * MS, &need) != NULL);
	CHECK_EQ(wg_neigh_generation(t), gen);
	CHECK_EQ(wg_neigh_poll(t, T0 + 68 * S, r, 4), 0);
	CHECK_EQ(state_of(t, WG_AF_INET6, gw), WG_NEIGH_FAILED);
	CHECK_EQ(wg_neigh_generation(t), gen + 1);
	CHECK(wg_neigh_resolve(t, WG_AF_INET6, gw, T0 + 69 * S, &need) == NULL);
	CHECK(!need);
	/* A late answer revives a FAILED entry at once. */
	CHECK(wg_neigh_learn(t, WG_AF_INET6, gw, mac_b, T0 + 70 * S,
			     WG_NEIGH_F_SOLICITED | WG_NEIGH_F_OVERRIDE));
	CHECK_EQ(state_of(t, WG_AF_INET6, gw), WG_NEIGH_REACHABLE);
	wg_neigh_free(t);
}

/* RFC 4861 7.2.5 and what ARP packets (always "override") may do. */
static void
test_learn_rules(void)
{
	struct wg_neigh_table *t = table(8);
	const uint8_t *a = v4("192.0.2.7");
	struct wg_neigh_entry_info e;
	struct wg_neigh_stats st;
	const uint8_t *mac;
	bool need;

	/* Unknown addresses are never added by what is heard. */
	CHECK(!wg_neigh_learn(t, WG_AF_INET, a, mac_a, T0,
			      WG_NEIGH_F_SOLICITED | WG_NEIGH_F_OVERRIDE));
	CHECK_EQ(wg_neigh_count(t), 0);
	wg_neigh_get_stats(t, &st);
	CHECK_EQ(st.ignored, 1);

	/* INCOMPLETE + unsolicited (an ARP request from it): STALE, usable. */
	wg_neigh_resolve(t, WG_AF_INET, a, T0, &need);
	CHECK(!wg_neigh_learn(t, WG_AF_INET, a, NULL, T0, WG_NEIGH_F_SOLICITED));
	CHECK_EQ(state_of(t, WG_AF_INET, a), WG_NEIGH_INCOMPLETE);
	CHECK(!wg_neigh_learn(t, WG_AF_INET, a, (const uint8_t *)"\x01\0\0\0\0\1",
			      T0, WG_NEIGH_F_SOLICITED | WG_NEIGH_F_OVERRIDE));
	CHECK(!wg_neigh_learn(t, WG_AF_INET, a, (const uint8_t *)"\0\0\0\0\0\0",
			      T0, WG_NEIGH_F_SOLICITED | WG_NEIGH_F_OVERRIDE));
	CHECK_EQ(state_of(t, WG_AF_INET, a), WG_NEIGH_INCOMPLETE);
	CHECK(wg_neigh_learn(t, WG_AF_INET, a, mac_a, T0, WG_NEIGH_F_OVERRIDE));
	CHECK_EQ(state_of(t, WG_AF_INET, a), WG_NEIGH_STALE);
	mac = wg_neigh_resolve(t, WG_AF_INET, a, T0 + 1 * MS, &need);
	CHECK(mac != NULL && memcmp(mac, mac_a, 6) == 0);
	CHECK(need);                    /* STALE in use: probe it */
	CHECK_EQ(state_of(t, WG_AF_INET, a), WG_NEIGH_PROBE);
	/* Solicited, same MAC: confirmed, no MAC change reported. */
	CHECK(!wg_neigh_learn(t, WG_AF_INET, a, mac_a, T0 + 2 * MS,
			      WG_NEIGH_F_SOLICITED | WG_NEIGH_F_OVERRIDE));
	CHECK_EQ(state_of(t, WG_AF_INET, a), WG_NEIGH_REACHABLE);
	/* Unsolicited, same MAC: nothing. */
	CHECK(!wg_neigh_learn(t, WG_AF_INET, a, mac_a, T0 + 3 * MS,
			      WG_NEIGH_F_OVERRIDE));
	CHECK_EQ(state_of(t, WG_AF_INET, a), WG_NEIGH_REACHABLE);
	/* A different MAC without override: REACHABLE -> STALE, MAC kept. */
	CHECK(!wg_neigh_learn(t, WG_AF_INET, a, mac_b, T0 + 4 * MS, 0));
	CHECK_EQ(wg_neigh_lookup(t, WG_AF_INET, a, &e), 0);
	CHECK_EQ(e.state, WG_NEIGH_STALE);
	CHECK(memcmp(e.mac, mac_a, 6) == 0);
	/* ... and when not REACHABLE, even solicited, it is ignored. */
	CHECK(!wg_neigh_learn(t, WG_AF_INET, a, mac_b, T0 + 5 * MS,
			      WG_NEIGH_F_SOLICITED));
	CHECK_EQ(wg_neigh_lookup(t, WG_AF_INET, a, &e), 0);
	CHECK_EQ(e.state, WG_NEIGH_STALE);
	CHECK(memcmp(e.mac, mac_a, 6) == 0);
	/* A different MAC with override (gratuitous ARP): taken, STALE. */
	CHECK(wg_neigh_learn(t, WG_AF_INET, a, mac_b, T0 + 6 * MS,
			     WG_NEIGH_F_OVERRIDE));
	CHECK_EQ(wg_neigh_lookup(t, WG_AF_INET, a, &e), 0);
	CHECK_EQ(e.state, WG_NEIGH_STALE);
	CHECK(memcmp(e.mac, mac_b, 6) == 0);
	/* NA without a link-layer option confirms the known MAC. */
	CHECK(!wg_neigh_learn(t, WG_AF_INET, a, NULL, T0 + 7 * MS, 0));
	CHECK_EQ(state_of(t, WG_AF_INET, a), WG_NEIGH_STALE);
	CHECK(!wg_neigh_learn(t, WG_AF_INET, a, NULL, T0 + 8 * MS,
			      WG_NEIGH_F_SOLICITED));
	CHECK_EQ(wg_neigh_lookup(t, WG_AF_INET, a, &e), 0);
	CHECK_EQ(e.state, WG_NEIGH_REACHABLE);
	CHECK(memcmp(e.mac, mac_b, 6) == 0);
	/* Solicited and override with a new MAC: taken, REACHABLE. */
	CHECK(wg_neigh_learn(t, WG_AF_INET, a, mac_c, T0 + 9 * MS,
			     WG_NEIGH_F_SOLICITED | WG_NEIGH_F_OVERRIDE));
	CHECK_EQ(wg_neigh_lookup(t, WG_AF_INET, a, &e), 0);
	CHECK_EQ(e.state, WG_NEIGH_REACHABLE);
	CHECK(memcmp(e.mac, mac_c, 6) == 0);
	/* The same bytes as another family are another neighbour. */
	CHECK_EQ(state_of(t, WG_AF_INET6, a), -1);
	CHECK(!wg_neigh_learn(t, WG_AF_INET6, a, mac_a, T0, WG_NEIGH_F_OVERRIDE));
	CHECK(!wg_neigh_learn(t, 5, a, mac_a, T0, WG_NEIGH_F_OVERRIDE));
	wg_neigh_free(t);
}

static void
test_static(void)
{
	struct wg_neigh_table *t = table(4);
	struct wg_neigh_request r[4];
	uint8_t a[16], b[16];
	struct wg_neigh_entry_info e;
	const uint8_t *mac;
	bool need;

	memcpy(a, v4("192.0.2.2"), 16);
	memcpy(b, v6("2001:db8:1::2"), 16);
	CHECK_EQ(wg_neigh_add_static(t, WG_AF_INET, a, mac_a), 0);
	CHECK_EQ(wg_neigh_generation(t), 1);
	mac = wg_neigh_resolve(t, WG_AF_INET, a, T0, &need);
	CHECK(mac != NULL && memcmp(mac, mac_a, 6) == 0);
	CHECK(!need);
	/* Nothing heard changes it, solicited or not. */
	CHECK(!wg_neigh_learn(t, WG_AF_INET, a, mac_b, T0,
			      WG_NEIGH_F_SOLICITED | WG_NEIGH_F_OVERRIDE));
	CHECK(!wg_neigh_learn(t, WG_AF_INET, a, mac_b, T0, WG_NEIGH_F_OVERRIDE));
	CHECK_EQ(wg_neigh_lookup(t, WG_AF_INET, a, &e), 0);
	CHECK_EQ(e.state, WG_NEIGH_STATIC);
	CHECK(e.has_mac);
	CHECK(memcmp(e.mac, mac_a, 6) == 0);
	/* No timer touches it, however long it goes unused. */
	CHECK_EQ(wg_neigh_poll(t, T0 + 3600 * S, r, 4), 0);
	mac = wg_neigh_resolve(t, WG_AF_INET, a, T0 + 3600 * S, &need);
	CHECK(mac != NULL && memcmp(mac, mac_a, 6) == 0 && !need);
	/* A static entry replaces a dynamic one being resolved. */
	CHECK(wg_neigh_resolve(t, WG_AF_INET6, b, T0, &need) == NULL);
	CHECK(need);
	CHECK_EQ(wg_neigh_add_static(t, WG_AF_INET6, b, mac_c), 0);
	CHECK_EQ(state_of(t, WG_AF_INET6, b), WG_NEIGH_STATIC);
	CHECK_EQ(wg_neigh_poll(t, T0 + 1 * S, r, 4), 0);   /* no retries */
	mac = wg_neigh_resolve(t, WG_AF_INET6, b, T0 + 1 * S, &need);
	CHECK(mac != NULL && memcmp(mac, mac_c, 6) == 0 && !need);
	CHECK_EQ(wg_neigh_count(t), 2);
	/* Replacing a static MAC: the generation says so; same MAC: not. */
	CHECK_EQ(wg_neigh_add_static(t, WG_AF_INET6, b, mac_b), 0);
	CHECK_EQ(wg_neigh_generation(t), 3);
	CHECK_EQ(wg_neigh_add_static(t, WG_AF_INET6, b, mac_b), 0);
	CHECK_EQ(wg_neigh_generation(t), 3);
	/* Bad input. */
	CHECK_EQ(wg_neigh_add_static(t, WG_AF_INET, v4("224.0.0.1"), mac_a),
		 -EINVAL);
	CHECK_EQ(wg_neigh_add_static(t, WG_AF_INET, v4("0.0.0.0"), mac_a),
		 -EINVAL);
	CHECK_EQ(wg_neigh_add_static(t, WG_AF_INET6, v6("ff02::1"), mac_a),
		 -EINVAL);
	CHECK_EQ(wg_neigh_add_static(t, WG_AF_INET6, v6("::"), mac_a), -EINVAL);
	CHECK_EQ(wg_neigh_add_static(t, 0, a, mac_a), -EINVAL);
	CHECK_EQ(wg_neigh_add_static(t, WG_AF_INET, v4("192.0.2.3"),
				     (const uint8_t *)"\xff\xff\xff\xff\xff\xff"),
		 -EINVAL);
	CHECK_EQ(wg_neigh_add_static(t, WG_AF_INET, v4("192.0.2.3"),
				     (const uint8_t *)"\0\0\0\0\0\0"), -EINVAL);
	/* Removal. */
	CHECK_EQ(wg_neigh_del(t, WG_AF_INET, a), 0);
	CHECK_EQ(wg_neigh_del(t, WG_AF_INET, a), -ENOENT);
	CHECK_EQ(wg_neigh_count(t), 1);
	CHECK(wg_neigh_resolve(t, WG_AF_INET, a, T0 + 2 * S, &need) == NULL);
	CHECK(need);
	wg_neigh_free(t);
}

static void
test_bad_resolve(void)
{
	struct wg_neigh_table *t = table(4);
	bool need = true;

	CHECK(wg_neigh_resolve(t, 0, v4("192.0.2.1"), T0, &need) == NULL);
	CHECK(!need);
	need = true;
	CHECK(wg_neigh_resolve(t, WG_AF_INET, v4("255.255.255.255"), T0,
			       &need) == NULL);
	CHECK(!need);
	CHECK(wg_neigh_resolve(t, WG_AF_INET6, v6("ff02::1:ff00:1"), T0,
			       &need) == NULL);
	CHECK(!need);
	CHECK_EQ(wg_neigh_count(t), 0);
	CHECK_EQ(wg_neigh_lookup(t, 9, v4("192.0.2.1"), NULL), -ENOENT);
	wg_neigh_free(t);
}

static void
make_addr(uint8_t a[16], unsigned int i)
{
	memset(a, 0, 16);
	a[0] = 10;
	a[2] = (uint8_t)(i >> 8);
	a[3] = (uint8_t)i;
}

/* A full table evicts FAILED, then the least recently used STALE entry,
 * never one being resolved, in use or static. */
static void
test_capacity(void)
{
	struct wg_neigh_table *t = table(4);
	struct wg_neigh_request r[8];
	struct wg_neigh_stats st;
	uint8_t a[6][16];
	unsigned int i;
	bool need;

	for (i = 0; i < 6; i++)
		make_addr(a[i], i + 1);
	for (i = 0; i < 4; i++) {
		CHECK(wg_neigh_resolve(t, WG_AF_INET, a[i], T0, &need) == NULL);
		CHECK(need);
	}
	CHECK_EQ(wg_neigh_count(t), 4);
	/* All INCOMPLETE: nothing to evict. */
	CHECK(wg_neigh_resolve(t, WG_AF_INET, a[4], T0, &need) == NULL);
	CHECK(!need);
	CHECK_EQ(state_of(t, WG_AF_INET, a[4]), -1);
	CHECK_EQ(wg_neigh_add_static(t, WG_AF_INET, a[4], mac_a), -ENOSPC);
	wg_neigh_get_stats(t, &st);
	CHECK_EQ(st.table_full, 1);
	/* 0 and 1 answer; 2 and 3 stay INCOMPLETE. Still nothing to evict
	 * (0 and 1 are REACHABLE). */
	CHECK(wg_neigh_learn(t, WG_AF_INET, a[0], mac_a, T0 + 1 * MS,
			     WG_NEIGH_F_SOLICITED | WG_NEIGH_F_OVERRIDE));
	CHECK(wg_neigh_learn(t, WG_AF_INET, a[1], mac_b, T0 + 1 * MS,
			     WG_NEIGH_F_SOLICITED | WG_NEIGH_F_OVERRIDE));
	CHECK(wg_neigh_resolve(t, WG_AF_INET, a[4], T0 + 2 * MS, &need) == NULL);
	CHECK(!need);
	/* 2 and 3 fail at 3 s. */
	CHECK_EQ(wg_neigh_poll(t, T0 + 1 * S, r, 8), 2);
	CHECK_EQ(wg_neigh_poll(t, T0 + 2 * S, r, 8), 2);
	CHECK_EQ(wg_neigh_poll(t, T0 + 3 * S, r, 8), 0);
	CHECK_EQ(state_of(t, WG_AF_INET, a[2]), WG_NEIGH_FAILED);
	CHECK_EQ(state_of(t, WG_AF_INET, a[3]), WG_NEIGH_FAILED);
	/* A FAILED entry makes room. */
	CHECK(wg_neigh_resolve(t, WG_AF_INET, a[4], T0 + 4 * S, &need) == NULL);
	CHECK(need);
	CHECK_EQ(state_of(t, WG_AF_INET, a[4]), WG_NEIGH_INCOMPLETE);
	CHECK_EQ(wg_neigh_count(t), 4);
	CHECK_EQ(state_of(t, WG_AF_INET, a[2]) + state_of(t, WG_AF_INET, a[3]),
		 -1 + WG_NEIGH_FAILED);
	CHECK(wg_neigh_learn(t, WG_AF_INET, a[4], mac_c, T0 + 4 * S,
			     WG_NEIGH_F_SOLICITED | WG_NEIGH_F_OVERRIDE));
	/* Last uses: a[0] at 0 s, a[4] at 4 s, a[1] at 10 s. By 40 s all
	 * three are STALE and the other FAILED entry's hold-down is over. */
	CHECK(wg_neigh_resolve(t, WG_AF_INET, a[1], T0 + 10 * S, &need) != NULL);
	CHECK_EQ(wg_neigh_poll(t, T0 + 40 * S, r, 8), 0);
	CHECK_EQ(state_of(t, WG_AF_INET, a[0]), WG_NEIGH_STALE);
	CHECK_EQ(state_of(t, WG_AF_INET, a[1]), WG_NEIGH_STALE);
	CHECK_EQ(state_of(t, WG_AF_INET, a[4]), WG_NEIGH_STALE);
	CHECK_EQ(wg_neigh_count(t), 3);
	CHECK(wg_neigh_resolve(t, WG_AF_INET, a[5], T0 + 41 * S, &need) == NULL);
	CHECK(need);
	CHECK_EQ(wg_neigh_count(t), 4);
	/* Full again: the STALE entry unused for longest (a[0]) goes. */
	make_addr(a[2], 100);
	CHECK(wg_neigh_resolve(t, WG_AF_INET, a[2], T0 + 42 * S, &need) == NULL);
	CHECK(need);
	CHECK_EQ(state_of(t, WG_AF_INET, a[0]), -1);
	CHECK_EQ(state_of(t, WG_AF_INET, a[1]), WG_NEIGH_STALE);
	CHECK_EQ(state_of(t, WG_AF_INET, a[4]), WG_NEIGH_STALE);
	/* A static entry can push out a STALE one too (a[4], then a[1]). */
	make_addr(a[3], 101);
	CHECK_EQ(wg_neigh_add_static(t, WG_AF_INET, a[3], mac_a), 0);
	CHECK_EQ(state_of(t, WG_AF_INET, a[4]), -1);
	CHECK_EQ(state_of(t, WG_AF_INET, a[1]), WG_NEIGH_STALE);
	wg_neigh_get_stats(t, &st);
	CHECK_EQ(st.evictions, 3);
	CHECK_EQ(wg_neigh_count(t), 4);
	wg_neigh_free(t);
}

/* STALE entries nobody resolves go after gc_ns. */
static void
test_gc(void)
{
	struct wg_neigh_table *t = table(4);
	const uint8_t *a = v4("192.0.2.9");
	struct wg_neigh_request r[2];
	uint64_t gen;
	bool need;

	wg_neigh_resolve(t, WG_AF_INET, a, T0, &need);
	CHECK(wg_neigh_learn(t, WG_AF_INET, a, mac_a, T0,
			     WG_NEIGH_F_SOLICITED | WG_NEIGH_F_OVERRIDE));
	gen = wg_neigh_generation(t);
	CHECK_EQ(wg_neigh_poll(t, T0 + 59 * S, r, 2), 0);
	CHECK_EQ(state_of(t, WG_AF_INET, a), WG_NEIGH_STALE);
	CHECK_EQ(wg_neigh_poll(t, T0 + 60 * S, r, 2), 0);
	CHECK_EQ(state_of(t, WG_AF_INET, a), -1);
	CHECK_EQ(wg_neigh_generation(t), gen + 1);
	wg_neigh_free(t);
}

struct seen {
	unsigned int n[64];
	unsigned int total;
};

/* More requests due than poll() may return: none is lost or repeated,
 * and each call goes on where the last one stopped. */
static void
test_poll_fairness(void)
{
	struct wg_neigh_table *t = table(64);
	struct wg_neigh_request r[5];
	struct seen seen;
	unsigned int i, j, n, calls = 0;
	uint8_t a[16];
	bool need;

	memset(&seen, 0, sizeof(seen));
	for (i = 0; i < 40; i++) {
		make_addr(a, i);
		a[0] = 198;
		wg_neigh_resolve(t, WG_AF_INET, a, T0, &need);
		CHECK(need);
	}
	while ((n = wg_neigh_poll(t, T0 + 1 * S, r, 5)) != 0) {
		CHECK(n <= 5);
		calls++;
		for (j = 0; j < n; j++) {
			seen.n[r[j].addr[3]]++;
			seen.total++;
		}
		if (calls > 20)
			break;
	}
	CHECK_EQ(calls, 8);
	CHECK_EQ(seen.total, 40);
	for (i = 0; i < 40; i++)
		CHECK_EQ(seen.n[i], 1);
	CHECK_EQ(wg_neigh_poll(t, T0 + 1 * S, NULL, 0), 0);
	wg_neigh_free(t);

	/* One request per call while the first entry keeps coming due
	 * again: the others still get their turn. */
	t = table(4);
	for (i = 0; i < 3; i++) {
		make_addr(a, i);
		wg_neigh_resolve(t, WG_AF_INET, a, T0, &need);
	}
	memset(&seen, 0, sizeof(seen));
	for (i = 1; i <= 2; i++) {
		CHECK_EQ(wg_neigh_poll(t, T0 + i * S, r, 1), 1);
		seen.n[r[0].addr[3]]++;
	}
	CHECK_EQ(seen.n[0] + seen.n[1] + seen.n[2], 2);
	CHECK(seen.n[0] <= 1 && seen.n[1] <= 1 && seen.n[2] <= 1);
	wg_neigh_free(t);
}

static void
count_cb(const struct wg_neigh_entry_info *e, void *arg)
{
	unsigned int *n = arg;

	if (e->family == WG_AF_INET6 && e->has_mac)
		n[0]++;
	n[1]++;
}

static void
test_tunables_and_foreach(void)
{
	struct wg_neigh_params p;
	struct wg_neigh_table *t;
	struct wg_neigh_request r[2];
	const uint8_t *a = v6("fe80::1");
	unsigned int i, n[2] = { 0, 0 };
	bool need;

	wg_neigh_params_default(&p);
	p.retry_ns = 100 * MS;
	p.max_probes = 5;
	p.failed_hold_ns = 1 * S;
	p.reachable_ns = 5 * S;
	t = wg_neigh_create(4, &p);
	CHECK(t != NULL);
	wg_neigh_resolve(t, WG_AF_INET6, a, T0, &need);
	CHECK(need);
	for (i = 1; i < 5; i++)
		CHECK_EQ(wg_neigh_poll(t, T0 + i * 100 * MS, r, 2), 1);
	CHECK_EQ(wg_neigh_poll(t, T0 + 500 * MS, r, 2), 0);
	CHECK_EQ(state_of(t, WG_AF_INET6, a), WG_NEIGH_FAILED);
	CHECK(wg_neigh_resolve(t, WG_AF_INET6, a, T0 + 1499 * MS, &need) == NULL);
	CHECK(!need);
	CHECK(wg_neigh_resolve(t, WG_AF_INET6, a, T0 + 1500 * MS, &need) == NULL);
	CHECK(need);
	CHECK(wg_neigh_learn(t, WG_AF_INET6, a, mac_a, T0 + 1600 * MS,
			     WG_NEIGH_F_SOLICITED));
	CHECK_EQ(wg_neigh_poll(t, T0 + 6599 * MS, r, 2), 0);
	CHECK_EQ(state_of(t, WG_AF_INET6, a), WG_NEIGH_REACHABLE);
	CHECK_EQ(wg_neigh_poll(t, T0 + 6600 * MS, r, 2), 0);
	CHECK_EQ(state_of(t, WG_AF_INET6, a), WG_NEIGH_STALE);
	CHECK_EQ(wg_neigh_add_static(t, WG_AF_INET, v4("192.0.2.1"), mac_b), 0);
	wg_neigh_resolve(t, WG_AF_INET, v4("192.0.2.2"), T0 + 7 * S, &need);
	wg_neigh_foreach(t, count_cb, n);
	CHECK_EQ(n[0], 1);
	CHECK_EQ(n[1], 3);
	wg_neigh_free(t);

	/* A tunable of "forever" saturates instead of wrapping. */
	p.reachable_ns = UINT64_MAX;
	t = wg_neigh_create(4, &p);
	wg_neigh_resolve(t, WG_AF_INET6, a, T0, &need);
	wg_neigh_learn(t, WG_AF_INET6, a, mac_a, T0, WG_NEIGH_F_SOLICITED);
	CHECK_EQ(wg_neigh_poll(t, UINT64_MAX - 1, r, 2), 0);
	CHECK_EQ(state_of(t, WG_AF_INET6, a), WG_NEIGH_REACHABLE);
	wg_neigh_free(t);
}

/*
 * Next hop.
 */

static struct wg_neigh_prefix
pfx(uint8_t family, const char *s, uint8_t len)
{
	struct wg_neigh_prefix p = { .family = family, .len = len };

	memcpy(p.addr, family == WG_AF_INET ? v4(s) : v6(s), 16);
	return p;
}

static void
test_next_hop_v4(void)
{
	struct wg_neigh_prefix pre[3];
	struct wg_neigh_link link = { .prefixes = pre, .nprefixes = 3 };
	uint8_t hop[16], src[16];

	pre[0] = pfx(WG_AF_INET6, "2001:db8::10", 64);
	pre[1] = pfx(WG_AF_INET, "192.0.2.10", 24);
	pre[2] = pfx(WG_AF_INET, "198.51.100.10", 25);

	/* No gateway: only on-link destinations. */
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET, v4("192.0.2.77"), hop,
				   src), WG_NEIGH_ON_LINK);
	CHECK(memcmp(hop, v4("192.0.2.77"), 4) == 0);
	CHECK(memcmp(src, v4("192.0.2.10"), 4) == 0);
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET, v4("198.51.100.100"),
				   hop, src), WG_NEIGH_ON_LINK);
	CHECK(memcmp(src, v4("198.51.100.10"), 4) == 0);
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET, v4("198.51.100.200"),
				   hop, src), -ENETUNREACH);
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET, v4("203.0.113.5"), hop,
				   NULL), -ENETUNREACH);
	/* Link-local is on-link whatever the prefixes. */
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET, v4("169.254.1.2"), hop,
				   src), WG_NEIGH_ON_LINK);
	CHECK(memcmp(src, v4("192.0.2.10"), 4) == 0);

	link.has_gateway4 = true;
	memcpy(link.gateway4, v4("198.51.100.1"), 4);
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET, v4("203.0.113.5"), hop,
				   src), WG_NEIGH_VIA_GATEWAY);
	CHECK(memcmp(hop, v4("198.51.100.1"), 4) == 0);
	CHECK(memcmp(src, v4("198.51.100.10"), 4) == 0);   /* gateway's */
	CHECK_EQ(hop[4], 0);
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET, v4("192.0.2.1"), hop,
				   src), WG_NEIGH_ON_LINK);
	/* Not unicast, or ourselves. */
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET, v4("192.0.2.0"), hop,
				   src), -EINVAL);
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET, v4("192.0.2.255"), hop,
				   src), -EINVAL);
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET, v4("198.51.100.127"),
				   hop, src), -EINVAL);
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET, v4("198.51.100.128"),
				   hop, src), WG_NEIGH_VIA_GATEWAY);
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET, v4("192.0.2.10"), hop,
				   src), -EINVAL);
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET, v4("255.255.255.255"),
				   hop, src), -EINVAL);
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET, v4("224.0.0.5"), hop,
				   src), -EINVAL);
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET, v4("240.0.0.1"), hop,
				   src), -EINVAL);
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET, v4("127.0.0.1"), hop,
				   src), -EINVAL);
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET, v4("0.1.2.3"), hop,
				   src), -EINVAL);
	CHECK_EQ(wg_neigh_next_hop(&link, 0, v4("192.0.2.1"), hop, src),
		 -EINVAL);

	/* /31 and /32: no network or broadcast address to refuse. */
	pre[1] = pfx(WG_AF_INET, "192.0.2.10", 31);
	pre[2] = pfx(WG_AF_INET, "198.51.100.10", 32);
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET, v4("192.0.2.11"), hop,
				   src), WG_NEIGH_ON_LINK);
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET, v4("192.0.2.12"), hop,
				   src), WG_NEIGH_VIA_GATEWAY);
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET, v4("198.51.100.11"),
				   hop, src), WG_NEIGH_VIA_GATEWAY);
	/* A gateway off every prefix (a /32 address): the first address. */
	CHECK(memcmp(src, v4("192.0.2.10"), 4) == 0);
	/* A malformed prefix length is skipped. */
	pre[1].len = 33;
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET, v4("192.0.2.11"), hop,
				   src), WG_NEIGH_VIA_GATEWAY);
	CHECK(memcmp(src, v4("198.51.100.10"), 4) == 0);

	/* No IPv4 address at all. */
	link.nprefixes = 1;
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET, v4("203.0.113.5"), hop,
				   src), -ENETUNREACH);
}

static void
test_next_hop_v6(void)
{
	struct wg_neigh_prefix pre[2];
	struct wg_neigh_link link = { .prefixes = pre, .nprefixes = 2 };
	uint8_t hop[16], src[16];

	pre[0] = pfx(WG_AF_INET, "192.0.2.10", 24);
	pre[1] = pfx(WG_AF_INET6, "2001:db8:1::10", 64);
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET6, v6("2001:db8:1::99"),
				   hop, src), WG_NEIGH_ON_LINK);
	CHECK(memcmp(hop, v6("2001:db8:1::99"), 16) == 0);
	CHECK(memcmp(src, v6("2001:db8:1::10"), 16) == 0);
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET6, v6("2001:db8:2::1"),
				   hop, src), -ENETUNREACH);
	link.has_gateway6 = true;
	memcpy(link.gateway6, v6("fe80::1"), 16);
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET6, v6("2001:db8:2::1"),
				   hop, src), WG_NEIGH_VIA_GATEWAY);
	CHECK(memcmp(hop, v6("fe80::1"), 16) == 0);
	CHECK(memcmp(src, v6("2001:db8:1::10"), 16) == 0);
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET6, v6("fe80::abcd"), hop,
				   src), WG_NEIGH_ON_LINK);
	CHECK(memcmp(hop, v6("fe80::abcd"), 16) == 0);
	/* An IPv4 gateway does not serve IPv6. */
	link.has_gateway6 = false;
	link.has_gateway4 = true;
	memcpy(link.gateway4, v4("192.0.2.1"), 4);
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET6, v6("2001:db8:2::1"),
				   hop, src), -ENETUNREACH);
	link.has_gateway6 = true;
	/* The host bits of a /64 do not make it a different prefix; v6
	 * has no broadcast address to refuse. */
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET6, v6("2001:db8:1::"),
				   hop, src), WG_NEIGH_ON_LINK);
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET6, v6("2001:db8:1::10"),
				   hop, src), -EINVAL);
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET6, v6("::"), hop, src),
		 -EINVAL);
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET6, v6("::1"), hop, src),
		 -EINVAL);
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET6, v6("ff02::1"), hop,
				   src), -EINVAL);
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET6, v6("::ffff:192.0.2.1"),
				   hop, src), -EINVAL);
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET6, v6("::2"), hop, src),
		 WG_NEIGH_VIA_GATEWAY);
	/* Odd prefix lengths. */
	pre[1] = pfx(WG_AF_INET6, "2001:db8:1::10", 57);
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET6, v6("2001:db8:1:7f::1"),
				   hop, src), WG_NEIGH_ON_LINK);
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET6, v6("2001:db8:1:80::1"),
				   hop, src), WG_NEIGH_VIA_GATEWAY);
	pre[1] = pfx(WG_AF_INET6, "2001:db8:1::10", 0);
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET6, v6("2a00::1"), hop,
				   src), WG_NEIGH_ON_LINK);
	pre[1] = pfx(WG_AF_INET6, "2001:db8:1::10", 128);
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET6, v6("2001:db8:1::11"),
				   hop, src), WG_NEIGH_VIA_GATEWAY);
	/* No IPv6 address: unreachable even with a gateway. */
	link.nprefixes = 1;
	CHECK_EQ(wg_neigh_next_hop(&link, WG_AF_INET6, v6("2001:db8:2::1"),
				   hop, src), -ENETUNREACH);
}

int
main(void)
{
	test_create();
	test_retries_and_hold_down();
	test_reachable_stale_probe();
	test_learn_rules();
	test_static();
	test_bad_resolve();
	test_capacity();
	test_gc();
	test_poll_fairness();
	test_tunables_and_foreach();
	test_next_hop_v4();
	test_next_hop_v6();
	return wg_check_done("neigh");
}
