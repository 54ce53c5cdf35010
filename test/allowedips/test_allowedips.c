/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * wg_allowedips against a reference longest-prefix match (a linear scan,
 * last entry winning between equal prefixes), then build and lookup
 * figures (printed, never asserted).
 *
 * Runs EAL without hugepages, PCI or shared config; extra arguments go to
 * EAL, e.g. --force-max-simd-bitwidth=512 for rte_acl's AVX-512 x32
 * classifier. Exits 77 (skip) when EAL cannot start without root.
 */

#include <arpa/inet.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "wg_allowedips.h"
#include "wg_check.h"

/* ---- helpers ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	/* xorshift64*: reproducible across runs, seed printed on failure */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static uint32_t
rnd_below(uint32_t n)
{
	return (uint32_t)((rnd() >> 32) % n);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static unsigned int
addr_len(uint8_t family)
{
	return family == 4 ? 4 : 16;
}

static bool
bit(const uint8_t *a, unsigned int i)
{
	return (a[i / 8] >> (7 - i % 8)) & 1;
}

static void
set_bit(uint8_t *a, unsigned int i, bool v)
{
	if (v)
		a[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	else
		a[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
}

static struct wg_allowedips_entry
ent(uint8_t family, const char *addr, uint8_t plen, uint32_t peer)
{
	struct wg_allowedips_entry e = {
		.family = family, .prefix_len = plen, .peer_id = peer,
	};

	if (inet_pton(family == 4 ? AF_INET : AF_INET6, addr, e.addr) != 1)
		abort();
	return e;
}

/* An inner IP header: 20 (v4) or 40 (v6) bytes, version nibble first. */
struct pkt {
	uint8_t b[40];
};

static void
pkt_make(struct pkt *p, uint8_t family, const uint8_t *src, const uint8_t *dst)
{
	memset(p, 0, sizeof(*p));
	if (family == 4) {
		p->b[0] = 0x45;
		memcpy(&p->b[12], src, 4);
		memcpy(&p->b[16], dst, 4);
	} else {
		p->b[0] = 0x60;
		memcpy(&p->b[8], src, 16);
		memcpy(&p->b[24], dst, 16);
	}
}

/* ---- the reference: WireGuard's answer by brute force ---- */

static bool
ref_contains(const struct wg_allowedips_entry *e, uint8_t family,
	     const uint8_t *addr)
{
	unsigned int i;

	if (e->family != family)
		return false;
	for (i = 0; i < e->prefix_len; i++)
		if (bit(e->addr, i) != bit(addr, i))
			return false;
	return true;
}

static uint32_t
ref_lookup(const struct wg_allowedips_entry *e, unsigned int n,
	   uint8_t family, const uint8_t *addr)
{
	int best = -1;
	uint32_t peer = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		/* >=: of two equal prefixes the later one wins */
		if (ref_contains(&e[i], family, addr) &&
		    (int)e[i].prefix_len >= best) {
			best = e[i].prefix_len;
			peer = e[i].peer_id;
		}
	}
	return peer;
}

static struct wg_allowedips *
build(const struct wg_allowedips_entry *e, unsigned int n)
{
	char err[128] = "";
	struct wg_allowedips *a;

	a = wg_allowedips_build("test", e, n, SOCKET_ID_ANY, err, sizeof(err));
	if (a == NULL)
		fprintf(stderr, "build of %u entries failed: %s\n", n, err);
	return a;
}

/* Lookup one address through every path: batch by src and dst, single. */
static void
expect(const struct wg_allowedips *a, const struct wg_allowedips_entry *q,
       uint32_t want)
{
	static const uint8_t other[16] = { 0xfe, 0xed };
	const uint8_t *h[1];
	uint32_t got[1];
	struct pkt p;

	pkt_make(&p, q->family, q->addr, other);
	h[0] = p.b;
	wg_allowedips_lookup(a, h, 1, true, got);
	CHECK_EQ(got[0], want);
	pkt_make(&p, q->family, other, q->addr);
	wg_allowedips_lookup(a, h, 1, false, got);
	CHECK_EQ(got[0], want);
	CHECK_EQ(wg_allowedips_lookup_addr(a, q->family, q->addr), want);
}

/* ---- fixed cases ---- */

static void
test_invalid(void)
{
	struct wg_allowedips_entry bad[] = {
		ent(4, "10.0.0.0", 8, 1),
		ent(4, "10.0.0.0", 8, 1),
	};
	char err[128];

	bad[1].family = 5;
	err[0] = '\0';
	CHECK(wg_allowedips_build("t", bad, 2, SOCKET_ID_ANY, err,
				  sizeof(err)) == NULL);
	CHECK(strstr(err, "entry 1") != NULL);
	bad[1] = ent(4, "10.0.0.0", 33, 1);
	CHECK(wg_allowedips_build("t", bad, 2, SOCKET_ID_ANY, err,
				  sizeof(err)) == NULL);
	bad[1] = ent(6, "::", 129, 1);
	CHECK(wg_allowedips_build("t", bad, 2, SOCKET_ID_ANY, err,
				  sizeof(err)) == NULL);
	bad[1] = ent(6, "::", 128, 0);
	CHECK(wg_allowedips_build("t", bad, 2, SOCKET_ID_ANY, err,
				  sizeof(err)) == NULL);
	CHECK(strstr(err, "peer_id 0") != NULL);
	CHECK(wg_allowedips_build("t", NULL, 1, SOCKET_ID_ANY, NULL, 0)
	      == NULL);
	/* the longest prefixes are valid */
	bad[1] = ent(6, "::1", 128, 2);
	bad[0].prefix_len = 32;
	wg_allowedips_free(build(bad, 2));
}

static void
test_empty(void)
{
	struct wg_allowedips_entry v4 = ent(4, "10.1.2.3", 32, 0);
	struct wg_allowedips_entry v6 = ent(6, "2001:db8::1", 128, 0);
	struct wg_allowedips *a = build(NULL, 0);

	CHECK(a != NULL);
	if (a == NULL)
		return;
	CHECK_EQ(wg_allowedips_count(a, 4), 0);
	CHECK_EQ(wg_allowedips_count(a, 6), 0);
	CHECK(strcmp(wg_allowedips_alg(a), "none") == 0);
	expect(a, &v4, 0);
	expect(a, &v6, 0);
	wg_allowedips_free(a);
	/* nothing published yet */
	expect(NULL, &v4, 0);
	wg_allowedips_free(NULL);
}

static const struct {
	uint8_t family;
	const char *addr;
	uint32_t peer;
} nested_queries[] = {
	{ 4, "10.1.2.3", 5 },       { 4, "10.1.2.4", 4 },
	{ 4, "10.1.2.2", 4 },       { 4, "10.1.2.255", 4 },
	{ 4, "10.1.2.0", 4 },       { 4, "10.1.3.1", 3 },
	{ 4, "10.1.255.255", 3 },   { 4, "10.2.0.0", 2 },
	{ 4, "10.255.255.255", 2 }, { 4, "11.0.0.0", 1 },
	{ 4, "9.255.255.255", 1 },  { 4, "0.0.0.0", 1 },
	{ 4, "255.255.255.255", 1 },
	{ 6, "2001:db8:1:2::5", 14 },
	{ 6, "2001:db8:1:2::4", 13 },
	{ 6, "2001:db8:1:2::1000:0", 15 },
	{ 6, "2001:db8:1:2::1fff:ffff", 15 },
	{ 6, "2001:db8:1:2::2000:0", 13 },
	{ 6, "2001:db8:1:2::fff:ffff", 13 },
	{ 6, "2001:db8:1:2:ffff:ffff:ffff:ffff", 13 },
	{ 6, "2001:db8:1:3::", 12 },
	{ 6, "2001:db8:1:ffff::1", 12 },
	{ 6, "2001:db8:2::", 11 },
	{ 6, "2001:db8:ffff::1", 16 },
	{ 6, "2001:db8:8000::", 16 },
	{ 6, "2001:db8:7fff::1", 11 },
	{ 6, "::", 11 },
	{ 6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 11 },
	{ 6, "::ffff:10.1.2.3", 11 },
};

static const struct wg_allowedips_entry *
nested_entries(unsigned int *n)
{
	static struct wg_allowedips_entry e[11];

	e[0] = ent(4, "0.0.0.0", 0, 1);
	e[1] = ent(4, "10.0.0.0", 8, 2);
	e[2] = ent(4, "10.1.0.0", 16, 3);
	e[3] = ent(4, "10.1.2.0", 24, 4);
	e[4] = ent(4, "10.1.2.3", 32, 5);
	e[5] = ent(6, "::", 0, 11);
	e[6] = ent(6, "2001:db8:1::", 48, 12);
	e[7] = ent(6, "2001:db8:1:2::", 64, 13);
	e[8] = ent(6, "2001:db8:1:2::5", 128, 14);
	/* prefixes ending inside a 32-bit word, and right past one */
	e[9] = ent(6, "2001:db8:1:2::1000:0", 100, 15);
	e[10] = ent(6, "2001:db8:8000::", 33, 16);
	*n = RTE_DIM(e);
	return e;
}

static void
test_nested(void)
{
	unsigned int i, n;
	const struct wg_allowedips_entry *e = nested_entries(&n);
	struct wg_allowedips *a = build(e, n);
	struct wg_allowedips_entry q;

	CHECK(a != NULL);
	if (a == NULL)
		return;
	CHECK_EQ(wg_allowedips_count(a, 4), 5);
	CHECK_EQ(wg_allowedips_count(a, 6), 6);
	for (i = 0; i < RTE_DIM(nested_queries); i++) {
		q = ent(nested_queries[i].family, nested_queries[i].addr, 0, 0);
		CHECK_EQ(ref_lookup(e, n, q.family, q.addr),
			 nested_queries[i].peer);
		expect(a, &q, nested_queries[i].peer);
	}
	wg_allowedips_free(a);

	/* the inner prefixes alone: outside them nothing matches */
	a = build(&e[1], 4);
	q = ent(4, "11.0.0.0", 0, 0);
	expect(a, &q, 0);
	q = ent(4, "10.1.2.3", 0, 0);
	expect(a, &q, 5);
	wg_allowedips_free(a);
}

/* The families never meet: ::/0 is no IPv4 default, nor the reverse. */
static void
test_families(void)
{
	struct wg_allowedips_entry v4all = ent(4, "0.0.0.0", 0, 7);
	struct wg_allowedips_entry v6all = ent(6, "::", 0, 8);
	struct wg_allowedips_entry q4 = ent(4, "10.1.2.3", 0, 0);
	struct wg_allowedips_entry q6 = ent(6, "::ffff:10.1.2.3", 0, 0);
	struct wg_allowedips *a;

	a = build(&v4all, 1);
	expect(a, &q4, 7);
	expect(a, &q6, 0);
	CHECK(strcmp(wg_allowedips_alg(a), "none") != 0);
	wg_allowedips_free(a);
	a = build(&v6all, 1);
	expect(a, &q4, 0);
	expect(a, &q6, 8);
	wg_allowedips_free(a);
}

/* Host bits are ignored; of two equal prefixes the last one wins. */
static void
test_canonical(void)
{
	struct wg_allowedips_entry e[] = {
		ent(4, "10.1.2.3", 8, 7),
		ent(4, "192.168.0.0", 16, 1),
		ent(4, "192.168.5.5", 16, 2),
		ent(4, "1.2.3.4", 0, 3),
		ent(6, "2001:db8::1", 32, 4),
		ent(6, "2001:db8:ffff::", 32, 5),
		ent(4, "192.168.0.0", 16, 2),
	};
	struct wg_allowedips_entry q;
	struct wg_allowedips *a = build(e, RTE_DIM(e));

	CHECK(a != NULL);
	if (a == NULL)
		return;
	CHECK_EQ(wg_allowedips_count(a, 4), 3);
	CHECK_EQ(wg_allowedips_count(a, 6), 1);
	q = ent(4, "10.200.0.1", 0, 0);
	expect(a, &q, 7);
	q = ent(4, "192.168.77.1", 0, 0);
	expect(a, &q, 2);
	q = ent(4, "8.8.8.8", 0, 0);
	expect(a, &q, 3);
	q = ent(6, "2001:db8:1::1", 0, 0);
	expect(a, &q, 5);
	wg_allowedips_free(a);
}

/* Version nibbles other than 4 and 6, NULL headers, odd IHL, big ids. */
static void
test_batch_edges(void)
{
	struct wg_allowedips_entry e[] = {
		ent(4, "0.0.0.0", 0, 0xffffffffu),
		ent(6, "::", 0, 0x80000000u),
		ent(4, "10.0.0.0", 8, 0x1fffffffu),
	};
	struct wg_allowedips *a = build(e, RTE_DIM(e));
	uint8_t bad[6][40];
	const uint8_t *h[9];
	uint32_t got[9];
	unsigned int i;
	struct pkt p4, p6, p4opt;

	memset(bad, 0, sizeof(bad));
	bad[0][0] = 0x00;
	bad[1][0] = 0x55;
	bad[2][0] = 0xf6;
	bad[3][0] = 0x74;
	bad[4][0] = 0x16;
	bad[5][0] = 0x5f;
	for (i = 0; i < 6; i++)
		h[i] = bad[i];
	pkt_make(&p4, 4, e[2].addr, e[2].addr);
	pkt_make(&p6, 6, e[1].addr, e[1].addr);
	pkt_make(&p4opt, 4, e[0].addr, e[0].addr);
	p4opt.b[0] = 0x4f; /* options do not move the addresses */
	h[6] = p4.b;
	h[7] = NULL;
	h[8] = p6.b;
	memset(got, 0xaa, sizeof(got));
	wg_allowedips_lookup(a, h, 9, false, got);
	for (i = 0; i < 6; i++)
		CHECK_EQ(got[i], 0);
	CHECK_EQ(got[6], 0x1fffffffu);
	CHECK_EQ(got[7], 0);
	CHECK_EQ(got[8], 0x80000000u);
	h[0] = p4opt.b;
	wg_allowedips_lookup(a, h, 1, true, got);
	CHECK_EQ(got[0], 0xffffffffu);
	CHECK_EQ(wg_allowedips_lookup_addr(a, 5, e[0].addr), 0);
	CHECK_EQ(wg_allowedips_lookup_addr(a, 0, e[0].addr), 0);
	wg_allowedips_free(a);
}

/*
 * The RCU case: a new snapshot built under the same name while the old
 * one is still published must not share its rte_acl contexts.
 */
static void
test_snapshots(void)
{
	struct wg_allowedips_entry e1 = ent(4, "10.0.0.0", 8, 1);
	struct wg_allowedips_entry e2 = ent(4, "10.0.0.0", 8, 2);
	struct wg_allowedips_entry q = ent(4, "10.9.9.9", 0, 0);
	struct wg_allowedips *a1 = build(&e1, 1);
	struct wg_allowedips *a2 = build(&e2, 1);

	CHECK(a1 != NULL && a2 != NULL && a1 != a2);
	expect(a1, &q, 1);
	expect(a2, &q, 2);
	wg_allowedips_free(a1);
	expect(a2, &q, 2);
	wg_allowedips_free(a2);
}

/* ---- randomized differential test ---- */

#define NBASES 12

/* Prefixes around a few bases, so they nest and collide often. */
static void
gen_entries(struct wg_allowedips_entry *e, unsigned int n4, unsigned int n6,
	    unsigned int npeers, bool wide_ids)
{
	static uint8_t base[2][NBASES][16];
	unsigned int i, b, len, f, from;

	for (f = 0; f < 2; f++)
		for (b = 0; b < NBASES; b++)
			for (i = 0; i < 16; i++)
				base[f][b][i] = (uint8_t)rnd();
	for (i = 0; i < n4 + n6; i++) {
		f = i < n4 ? 0 : 1;
		len = f == 0 ? 32 : 128;
		memset(&e[i], 0, sizeof(e[i]));
		e[i].family = f == 0 ? 4 : 6;
		memcpy(e[i].addr, base[f][rnd_below(NBASES)], 16);
		/* a sibling: same base up to a random bit, random after */
		from = rnd_below(len + 1);
		for (b = from; b < len; b++)
			if (rnd() & 1)
				set_bit(e[i].addr, b, rnd() & 1);
		if (len == 32)
			memset(&e[i].addr[4], 0, 12);
		e[i].prefix_len = (uint8_t)(rnd_below(4) == 0 ?
				rnd_below(len + 1) :
				len / 4 + rnd_below(len - len / 4 + 1));
		e[i].peer_id = wide_ids ? (uint32_t)rnd() | 1 :
				1 + rnd_below(npeers);
	}
}

/* An address near the table: inside, at the edges, just outside, or not. */
static void
gen_addr(const struct wg_allowedips_entry *e, unsigned int n, uint8_t family,
	 uint8_t *addr)
{
	const struct wg_allowedips_entry *p = NULL;
	unsigned int i, len = addr_len(family) * 8, r = rnd_below(100), k;

	for (k = 0; k < 8 && n > 0 && p == NULL; k++) {
		p = &e[rnd_below(n)];
		if (p->family != family)
			p = NULL;
	}
	memset(addr, 0, 16);
	for (i = 0; i < addr_len(family); i++)
		addr[i] = (uint8_t)rnd();
	if (p == NULL || r < 20)
		return;
	for (i = 0; i < p->prefix_len; i++)
		set_bit(addr, i, bit(p->addr, i));
	if (r < 35) {
		for (i = p->prefix_len; i < len; i++)
			set_bit(addr, i, r & 1);
	} else if (r < 55 && p->prefix_len > 0) {
		set_bit(addr, p->prefix_len - 1,
			!bit(p->addr, p->prefix_len - 1));
	}
}

struct round {
	unsigned int n4, n6, npeers, nqueries;
	bool wide_ids;
};

static unsigned int
check_batch(const struct wg_allowedips *a,
	    const struct wg_allowedips_entry *e, unsigned int n,
	    const struct pkt *pk, const uint8_t *src, const uint8_t *dst,
	    const uint8_t *fam, unsigned int cnt, bool by_source)
{
	const uint8_t *h[128];
	uint32_t got[128], want;
	unsigned int i, bad = 0;

	for (i = 0; i < cnt; i++)
		h[i] = fam[i] == 0xff ? NULL : pk[i].b;
	wg_allowedips_lookup(a, h, cnt, by_source, got);
	for (i = 0; i < cnt; i++) {
		if (fam[i] != 4 && fam[i] != 6)
			want = 0;
		else
			want = ref_lookup(e, n, fam[i],
					  by_source ? &src[16 * i] :
					  &dst[16 * i]);
		if (got[i] != want && bad++ < 3)
			fprintf(stderr, "  %s lookup #%u (IPv%u): got %u, want %u\n",
				by_source ? "src" : "dst", i, fam[i], got[i],
				want);
	}
	return bad;
}

static void
run_round(const struct round *rd)
{
	unsigned int n = rd->n4 + rd->n6, done, cnt, i, bad[3] = { 0, 0, 0 };
	struct wg_allowedips_entry *e = calloc(n + 1, sizeof(*e));
	uint8_t src[128 * 16], dst[128 * 16], fam[128];
	struct pkt pk[128];
	struct wg_allowedips *a;
	uint64_t seed = rng_state;

	gen_entries(e, rd->n4, rd->n6, rd->npeers, rd->wide_ids);
	a = build(e, n);
	CHECK(a != NULL);
	if (a == NULL) {
		free(e);
		return;
	}
	for (done = 0; done < rd->nqueries; done += cnt) {
		/* 1..64 mostly; now and then more, to cross the burst size */
		cnt = rnd_below(10) == 0 ? 65 + rnd_below(64) :
			1 + rnd_below(64);
		for (i = 0; i < cnt; i++) {
			uint32_t r = rnd_below(20);

			fam[i] = r < 9 ? 4 : r < 18 ? 6 : r == 18 ? 0xff : 0;
			gen_addr(e, n, fam[i] == 6 ? 6 : 4, &src[16 * i]);
			gen_addr(e, n, fam[i] == 6 ? 6 : 4, &dst[16 * i]);
			pkt_make(&pk[i], fam[i] == 6 ? 6 : 4, &src[16 * i],
				 &dst[16 * i]);
			if (fam[i] == 0)	/* neither 4 nor 6 */
				pk[i].b[0] = (uint8_t)((rnd_below(2) ? 0x50 :
						0x70) | (rnd() & 0xf));
			if (fam[i] == 4 || fam[i] == 6)
				bad[2] += wg_allowedips_lookup_addr(a, fam[i],
						&src[16 * i]) !=
					ref_lookup(e, n, fam[i], &src[16 * i]);
		}
		bad[0] += check_batch(a, e, n, pk, src, dst, fam, cnt, true);
		bad[1] += check_batch(a, e, n, pk, src, dst, fam, cnt, false);
	}
	if (bad[0] + bad[1] + bad[2] > 0)
		fprintf(stderr, "round %u+%u prefixes, seed %#llx: %u/%u/%u "
			"mismatches (src/dst/single)\n", rd->n4, rd->n6,
			(unsigned long long)seed, bad[0], bad[1], bad[2]);
	CHECK_EQ(bad[0], 0);
	CHECK_EQ(bad[1], 0);
	CHECK_EQ(bad[2], 0);
	wg_allowedips_free(a);
	free(e);
}

static void
test_random(void)
{
	static const struct round rounds[] = {
		{ 1, 1, 2, 2000, false },
		{ 40, 40, 10, 4000, false },
		{ 300, 0, 100, 4000, false },
		{ 0, 300, 100, 4000, false },
		{ 500, 500, 1000, 4000, true },
		{ 3000, 3000, 1500, 3000, false },
	};
	unsigned int i, rep;

	for (rep = 0; rep < 3; rep++)
		for (i = 0; i < RTE_DIM(rounds); i++)
			run_round(&rounds[i]);
}

/* ---- figures ---- */

static size_t
heap_bytes(void)
{
	struct rte_malloc_socket_stats st;
	unsigned int i;
	size_t sum = 0;

	for (i = 0; i < rte_socket_count(); i++)
		if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(i),
						&st) == 0)
			sum += st.heap_allocsz_bytes;
	return sum;
}

/* Peer i owns one /32 and one /128, as road warriors do. */
static void
gen_host_routes(struct wg_allowedips_entry *e, unsigned int npeers,
		uint8_t family)
{
	unsigned int i;
	uint32_t v;

	for (i = 0; i < npeers; i++) {
		memset(&e[i], 0, sizeof(e[i]));
		e[i].family = family;
		e[i].prefix_len = family == 4 ? 32 : 128;
		e[i].peer_id = i + 1;
		/* an odd stride keeps them distinct and scattered */
		v = (i * 2654435761u) & 0xffffff;
		if (family == 4) {
			e[i].addr[0] = 10;
		} else {
			e[i].addr[0] = 0xfd;
			e[i].addr[7] = 0x42;
		}
		e[i].addr[addr_len(family) - 3] = (uint8_t)(v >> 16);
		e[i].addr[addr_len(family) - 2] = (uint8_t)(v >> 8);
		e[i].addr[addr_len(family) - 1] = (uint8_t)v;
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#define BUILD_RUNS 3

/* Median build time of BUILD_RUNS, and the rte_malloc bytes kept. */
static void
timed_build(const char *what, const struct wg_allowedips_entry *e,
	    unsigned int n)
{
	double t[BUILD_RUNS], t0;
	size_t before = 0, kept = 0;
	struct wg_allowedips *a;
	unsigned int r, merged = 0;

	for (r = 0; r < BUILD_RUNS; r++) {
		before = heap_bytes();
		t0 = now_s();
		a = build(e, n);
		t[r] = now_s() - t0;
		kept = heap_bytes() - before;
		merged = wg_allowedips_count(a, 4) + wg_allowedips_count(a, 6);
		wg_allowedips_free(a);
	}
	qsort(t, BUILD_RUNS, sizeof(t[0]), cmp_double);
	printf("  build %-20s %5u prefixes (%5u distinct): %7.2f ms "
	       "[%7.2f %7.2f], %7.1f KiB\n", what, n, merged,
	       t[BUILD_RUNS / 2] * 1e3, t[0] * 1e3, t[BUILD_RUNS - 1] * 1e3,
	       kept / 1024.0);
}

#define LOOKUP_RUNS 5

/* Bursts of 32 destination lookups over npk headers, for `seconds`. */
static double
lookup_run(const struct wg_allowedips *a, const uint8_t *const h[],
	   unsigned int npk, double seconds)
{
	volatile uint32_t sink = 0;
	uint32_t got[32];
	uint64_t done = 0;
	unsigned int i;
	double t0, t;

	t0 = now_s();
	do {
		for (i = 0; i + 32 <= npk; i += 32) {
			wg_allowedips_lookup(a, &h[i], 32, false, got);
			sink += got[0];
		}
		done += npk;
		t = now_s() - t0;
	} while (t < seconds);
	(void)sink;
	return done / t / 1e6;
}

static void
lookup_figure(const struct wg_allowedips *a, const struct pkt *pk,
	      unsigned int npk, char *out, size_t outlen)
{
	const uint8_t *h[1024];
	double mpps[LOOKUP_RUNS];
	unsigned int i;

	for (i = 0; i < npk; i++)
		h[i] = pk[i].b;
	lookup_run(a, h, npk, 0.05);	/* warm caches and clocks */
	for (i = 0; i < LOOKUP_RUNS; i++)
		mpps[i] = lookup_run(a, h, npk, 0.1);
	qsort(mpps, LOOKUP_RUNS, sizeof(mpps[0]), cmp_double);
	snprintf(out, outlen, "%6.1f [%6.1f %6.1f]", mpps[LOOKUP_RUNS / 2],
		 mpps[0], mpps[LOOKUP_RUNS - 1]);
}

/*
 * Build times for 1, 1000 and 10000 prefixes of several shapes; lookup
 * rate for 1024 inner headers whose destinations are random peers' host
 * routes (all hits), in bursts of 32: IPv4 only, then IPv4/IPv6 mixed.
 */
static void
figures(void)
{
	static const unsigned int sizes[] = { 1, 1000, 10000 };
	struct wg_allowedips_entry *e = calloc(20000, sizeof(*e));
	struct pkt *pk = calloc(1024, sizeof(*pk));
	const uint8_t zero[16] = { 0 };
	char v4[64], mixed[64];
	struct wg_allowedips *a;
	unsigned int s, n, i, j;

	if (e == NULL || pk == NULL)
		abort();
	printf("figures: lcore %u; build: median of %u [min max], rte_malloc "
	       "kept; lookup: Mpps, median of %u x 0.1 s [min max]\n",
	       rte_lcore_id(), BUILD_RUNS, LOOKUP_RUNS);
	for (s = 0; s < RTE_DIM(sizes); s++) {
		n = sizes[s];
		gen_host_routes(e, n, 4);
		timed_build("IPv4 /32", e, n);
		gen_host_routes(e, n, 6);
		timed_build("IPv6 /128", e, n);
		gen_entries(e, n, 0, n, false);
		timed_build("IPv4 random lengths", e, n);
		gen_entries(e, 0, n, n, false);
		timed_build("IPv6 random lengths", e, n);
		gen_host_routes(e, n, 4);
		gen_host_routes(e + n, n, 6);
		timed_build("IPv4 /32 + IPv6 /128", e, 2 * n);
		a = build(e, 2 * n);
		for (i = 0; i < 1024; i++) {
			j = rnd_below(n);
			pkt_make(&pk[i], 4, zero, e[j].addr);
		}
		lookup_figure(a, pk, 1024, v4, sizeof(v4));
		for (i = 0; i < 1024; i++) {
			j = rnd_below(n) + (i & 1 ? n : 0);
			pkt_make(&pk[i], e[j].family, zero, e[j].addr);
		}
		lookup_figure(a, pk, 1024, mixed, sizeof(mixed));
		printf("  lookup %5u peers (%s): IPv4 %s, mixed %s\n", n,
		       wg_allowedips_alg(a), v4, mixed);
		wg_allowedips_free(a);
	}
	free(pk);
	free(e);
}

/* ---- EAL ---- */

static int
eal_start(int argc, char **argv)
{
	char prefix[64], lcore[16];
	char *eal_argv[32] = {
		"test", "--no-huge", "--no-pci", "-m", "128", "--no-shconf",
		"--no-telemetry", "--log-level=lib.eal:error", prefix,
		"-l", lcore,
	};
	int eal_argc = 11, i;
	cpu_set_t cpus;

	/* one lcore, on a CPU we may run on: no idle worker threads */
	snprintf(lcore, sizeof(lcore), "0");
	if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0)
		for (i = 0; i < CPU_SETSIZE; i++)
			if (CPU_ISSET(i, &cpus)) {
				snprintf(lcore, sizeof(lcore), "%d", i);
				break;
			}
	snprintf(prefix, sizeof(prefix), "--file-prefix=aips%d", (int)getpid());
	for (i = 1; i < argc && eal_argc < (int)RTE_DIM(eal_argv) - 1; i++)
		eal_argv[eal_argc++] = argv[i];
	return rte_eal_init(eal_argc, eal_argv);
}

/* EAL leaves its (empty) runtime directory behind: one per run. */
static void
eal_stop(void)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	rmdir(dir);
}

int
main(int argc, char **argv)
{
	int rc;

	if (eal_start(argc, argv) < 0) {
		if (geteuid() != 0) {
			printf("allowedips: EAL needs root here, skipped\n");
			return 77;
		}
		fprintf(stderr, "allowedips: rte_eal_init failed\n");
		return 1;
	}
	test_invalid();
	test_empty();
	test_nested();
	test_families();
	test_canonical();
	test_batch_edges();
	test_snapshots();
	test_random();
	figures();
	rc = wg_check_done("allowedips");
	eal_stop();
	return rc;
}
