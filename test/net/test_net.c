/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/net on real mbufs. The frames are built here byte by byte, not with
 * lib/net, so a round trip cannot hide a bug shared by both directions.
 *
 * Every parse runs three times: on an mbuf whose external buffer is
 * exactly the frame (so ASan catches any read past it), and on two pool
 * mbufs whose bytes beyond the frame are 0x00 and 0xff; the three results
 * must agree, which catches such reads without ASan too.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_random.h>

#include "wg_check.h"
#include "wg_neigh.h"
#include "wg_net.h"

_Static_assert(WG_NET_F_SOLICITED == WG_NEIGH_F_SOLICITED,
	       "flags go straight to wg_neigh_learn()");
_Static_assert(WG_NET_F_OVERRIDE == WG_NEIGH_F_OVERRIDE,
	       "flags go straight to wg_neigh_learn()");

static struct rte_mempool *pool;

static const uint8_t our_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t peer_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t our4[4] = { 192, 0, 2, 10 };
static const uint8_t peer4[4] = { 198, 51, 100, 7 };
static uint8_t our6[16], peer6[16];

#define FRAME_MAX 2048

struct frame {
	uint8_t b[FRAME_MAX];
	uint16_t len;
	uint64_t ol_flags;       /* RX flags the "port" set */
	uint16_t vlan_tci;
};

/*
 * Frame building, independent of lib/net.
 */

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* RFC 1071, written out rather than borrowed from DPDK. */
static uint32_t
sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t
fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Ethernet, and a tag when vlan is not 0 (or tag is set). */
static uint16_t
eth(struct frame *f, const uint8_t *dst, const uint8_t *src, int vlan,
    uint16_t type)
{
	uint16_t o = 12;

	memset(f, 0, sizeof(*f));
	memcpy(f->b, dst, 6);
	memcpy(f->b + 6, src, 6);
	if (vlan >= 0) {
		put16(f->b + 12, 0x8100);
		put16(f->b + 14, (uint16_t)vlan);
		o += 4;
	}
	put16(f->b + o, type);
	return o + 2;
}

static void
ip4_cksum(uint8_t *ip)
{
	unsigned int ihl = (ip[0] & 0xf) * 4;

	put16(ip + 10, 0);
	put16(ip + 10, (uint16_t)~fold(sum16(ip, ihl, 0)));
}

/* Ethernet [802.1Q] IPv4 (optlen bytes of options) UDP payload. */
static uint16_t
udp4(struct frame *f, int vlan, unsigned int optlen, const uint8_t *src,
     const uint8_t *dst, uint16_t sport, uint16_t dport,
     const uint8_t *payload, uint16_t plen)
{
	uint16_t l3 = eth(f, our_mac, peer_mac, vlan, 0x0800);
	uint8_t *ip = f->b + l3, *u = ip + 20 + optlen;
	unsigned int i;

	ip[0] = (uint8_t)(0x40 | (5 + optlen / 4));
	put16(ip + 2, (uint16_t)(20 + optlen + 8 + plen));
	put16(ip + 4, 0x1234);
	put16(ip + 6, 0x4000);          /* DF */
	ip[8] = 57;
	ip[9] = 17;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	for (i = 0; i < optlen; i++)
		ip[20 + i] = 1;         /* NOP options */
	ip4_cksum(ip);
	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (uint16_t)(8 + plen));
	memcpy(u + 8, payload, plen);
	f->len = (uint16_t)(u + 8 + plen - f->b);
	return l3;
}

static void
udp6_cksum(uint8_t *ip, uint8_t *l4, uint16_t l4len, uint8_t proto,
	   unsigned int cksum_off)
{
	uint32_t sum = sum16(ip + 8, 32, 0) + l4len + proto;

	put16(l4 + cksum_off, 0);
	put16(l4 + cksum_off, (uint16_t)~fold(sum16(l4, l4len, sum)));
}

static uint16_t
ip6(struct frame *f, int vlan, const uint8_t *src, const uint8_t *dst,
    uint8_t nh, uint8_t hops, uint16_t plen, const uint8_t *dmac,
    const uint8_t *smac)
{
	uint16_t l3 = eth(f, dmac, smac, vlan, 0x86dd);
	uint8_t *ip = f->b + l3;

	ip[0] = 0x60;
	put16(ip + 4, plen);
	ip[6] = nh;
	ip[7] = hops;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	f->len = (uint16_t)(l3 + 40 + plen);
	return l3;
}

static uint16_t
udp6(struct frame *f, int vlan, const uint8_t *src, const uint8_t *dst,
     uint16_t sport, uint16_t dport, const uint8_t *payload, uint16_t plen)
{
	uint16_t l3 = ip6(f, vlan, src, dst, 17, 64, (uint16_t)(8 + plen),
			  our_mac, peer_mac);
	uint8_t *ip = f->b + l3, *u = ip + 40;

	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (uint16_t)(8 + plen));
	memcpy(u + 8, payload, plen);
	udp6_cksum(ip, u, (uint16_t)(8 + plen), 17, 6);
	return l3;
}

static uint16_t
arp(struct frame *f, int vlan, uint16_t op, const uint8_t *edst,
    const uint8_t *sha, const uint8_t *spa, const uint8_t *tha,
    const uint8_t *tpa)
{
	uint16_t l3 = eth(f, edst, sha, vlan, 0x0806);
	uint8_t *a = f->b + l3;

	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, sha, 6);
	memcpy(a + 14, spa, 4);
	memcpy(a + 18, tha, 6);
	memcpy(a + 24, tpa, 4);
	f->len = 60;                    /* padded, as on the wire */
	return l3;
}

static void
sn_group(const uint8_t *a, uint8_t g[16], uint8_t mac[6])
{
	static const uint8_t pre[13] = { 0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					 1, 0xff };

	memcpy(g, pre, 13);
	memcpy(g + 13, a + 13, 3);
	mac[0] = 0x33;
	mac[1] = 0x33;
	memcpy(mac + 2, g + 12, 4);
}

/* An NS or NA with options (opts, optlen bytes), checksum filled in. */
static uint16_t
nd(struct frame *f, int vlan, uint8_t type, const uint8_t *src,
   const uint8_t *dst, const uint8_t *target, uint8_t flags,
   const uint8_t *opts, uint16_t optlen, const uint8_t *dmac)
{
	uint16_t l3 = ip6(f, vlan, src, dst, 58, 255, (uint16_t)(24 + optlen),
			  dmac, peer_mac);
	uint8_t *ip = f->b + l3, *icmp = ip + 40;

	icmp[0] = type;
	icmp[4] = flags;
	memcpy(icmp + 8, target, 16);
	memcpy(icmp + 24, opts, optlen);
	udp6_cksum(ip, icmp, (uint16_t)(24 + optlen), 58, 2);
	return l3;
}

static uint16_t
ns(struct frame *f, int vlan, bool slla)
{
	uint8_t opt[8] = { 1, 1 }, g[16], gmac[6];

	memcpy(opt + 2, peer_mac, 6);
	sn_group(our6, g, gmac);
	return nd(f, vlan, 135, peer6, g, our6, 0, opt, slla ? 8 : 0, gmac);
}

static uint16_t
na(struct frame *f, bool tlla, uint8_t flags)
{
	uint8_t opt[8] = { 2, 1 };

	memcpy(opt + 2, peer_mac, 6);
	return nd(f, -1, 136, peer6, our6, peer6, flags, opt, tlla ? 8 : 0,
		  our_mac);
}

/* Recompute an ND frame's checksum after a test changed it. */
static void
nd_fix(struct frame *f, uint16_t l3)
{
	uint8_t *ip = f->b + l3;

	udp6_cksum(ip, ip + 40, get16(ip + 4), ip[6], 2);
}

/*
 * Mbufs.
 */

static void
ext_free(void *addr, void *opaque)
{
	(void)opaque;
	free(addr);
}

/* The frame in an external buffer of exactly len bytes. */
static struct rte_mbuf *
exact_mbuf(const struct frame *f, uint16_t len,
	   struct rte_mbuf_ext_shared_info *shinfo)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *buf = malloc(len != 0 ? len : 1);

	if (m == NULL || buf == NULL)
		abort();
	memcpy(buf, f->b, len);
	memset(shinfo, 0, sizeof(*shinfo));
	shinfo->free_cb = ext_free;
	rte_mbuf_ext_refcnt_set(shinfo, 1);
	rte_pktmbuf_attach_extbuf(m, buf, 0, len, shinfo);
	m->data_len = len;
	m->pkt_len = len;
	m->ol_flags |= f->ol_flags;
	m->vlan_tci = f->vlan_tci;
	return m;
}

/* The frame in a pool mbuf, the rest of whose buffer is fill. */
static struct rte_mbuf *
pool_mbuf(const struct frame *f, uint16_t len, int fill)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *p;

	if (m == NULL)
		abort();
	p = (uint8_t *)rte_pktmbuf_append(m, len);
	if (p == NULL)
		abort();
	memcpy(p, f->b, len);
	memset(p + len, fill, rte_pktmbuf_tailroom(m));
	m->ol_flags |= f->ol_flags;
	m->vlan_tci = f->vlan_tci;
	return m;
}

static unsigned int disagreements;

/* Parse the first len bytes of f three ways; they must agree. */
static enum wg_net_class
parse_len(const struct frame *f, uint16_t len, struct wg_net_info *info)
{
	struct rte_mbuf_ext_shared_info shinfo;
	struct wg_net_info i0, i1;
	struct rte_mbuf *m;
	enum wg_net_class c;

	m = exact_mbuf(f, len, &shinfo);
	c = wg_net_parse(m, info);
	rte_pktmbuf_free(m);
	m = pool_mbuf(f, len, 0x00);
	wg_net_parse(m, &i0);
	rte_pktmbuf_free(m);
	m = pool_mbuf(f, len, 0xff);
	wg_net_parse(m, &i1);
	rte_pktmbuf_free(m);
	if (memcmp(info, &i0, sizeof(i0)) != 0 ||
	    memcmp(info, &i1, sizeof(i1)) != 0 || info->class != c)
		disagreements++;
	return c;
}

static enum wg_net_class
parse(const struct frame *f, struct wg_net_info *info)
{
	return parse_len(f, f->len, info);
}

static enum wg_net_class
class_of(const struct frame *f)
{
	struct wg_net_info info;

	return parse(f, &info);
}

/* Every proper prefix of f shorter than valid_len is DROP; from there to
 * the whole frame (padding) the result is the same as the whole frame. */
static void
truncations(const struct frame *f, uint16_t valid_len)
{
	struct wg_net_info full, info;
	unsigned int bad = 0, diff = 0;
	uint16_t len;

	parse(f, &full);
	for (len = 0; len < f->len; len++) {
		enum wg_net_class c = parse_len(f, len, &info);

		if (len < valid_len && c != WG_NET_DROP)
			bad++;
		if (len >= valid_len && memcmp(&info, &full, sizeof(info)))
			diff++;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(diff, 0);
}

/*
 * Parsing.
 */

static const uint8_t wg_init[8] = { 1, 0, 0, 0, 0xaa, 0xbb, 0xcc, 0xdd };

static void
test_parse_udp4(void)
{
	struct wg_net_info info;
	struct frame f;
	uint16_t l3;

	l3 = udp4(&f, -1, 0, peer4, our4, 40000, 51820, wg_init, 8);
	CHECK_EQ(parse(&f, &info), WG_NET_UDP);
	CHECK_EQ(info.family, WG_AF_INET);
	CHECK_EQ(info.vlan, 0);
	CHECK_EQ(info.l3_off, 14);
	CHECK_EQ(info.l4_off, 34);
	CHECK_EQ(info.payload_off, 42);
	CHECK_EQ(info.payload_len, 8);
	CHECK_EQ(info.src.family, WG_AF_INET);
	CHECK(memcmp(info.src.addr.v4, peer4, 4) == 0);
	CHECK(memcmp(info.dst.addr.v4, our4, 4) == 0);
	CHECK_EQ(info.src.port, htons(40000));
	CHECK_EQ(info.dst.port, htons(51820));
	truncations(&f, f.len);
	(void)l3;

	/* IP options, VLAN, padding beyond the datagram. */
	l3 = udp4(&f, 100, 8, peer4, our4, 40000, 51820, wg_init, 8);
	CHECK_EQ(parse(&f, &info), WG_NET_UDP);
	CHECK_EQ(info.vlan, 100);
	CHECK_EQ(info.l3_off, 18);
	CHECK_EQ(info.l4_off, 18 + 28);
	CHECK_EQ(info.payload_off, 18 + 36);
	CHECK_EQ(info.payload_len, 8);
	memset(f.b + f.len, 0xee, 10);
	f.len += 10;
	CHECK_EQ(parse(&f, &info), WG_NET_UDP);
	CHECK_EQ(info.payload_len, 8);
	truncations(&f, (uint16_t)(f.len - 10));
	/* Maximal options (IHL 15). */
	udp4(&f, -1, 40, peer4, our4, 1, 2, wg_init, 8);
	CHECK_EQ(parse(&f, &info), WG_NET_UDP);
	CHECK_EQ(info.l4_off, 14 + 60);
	truncations(&f, f.len);
	/* Priority tag (VID 0): untagged. */
	udp4(&f, 0x6000, 0, peer4, our4, 1, 2, wg_init, 8);
	CHECK_EQ(parse(&f, &info), WG_NET_UDP);
	CHECK_EQ(info.vlan, 0);
	CHECK_EQ(info.l3_off, 18);
	/* PCP bits are not part of the VID. */
	udp4(&f, 0xe000 | 42, 0, peer4, our4, 1, 2, wg_init, 8);
	CHECK_EQ(parse(&f, &info), WG_NET_UDP);
	CHECK_EQ(info.vlan, 42);
	/* An empty datagram is still UDP (the caller drops it). */
	udp4(&f, -1, 0, peer4, our4, 1, 2, wg_init, 0);
	CHECK_EQ(parse(&f, &info), WG_NET_UDP);
	CHECK_EQ(info.payload_len, 0);
	truncations(&f, f.len);
}

static void
test_parse_udp6(void)
{
	struct wg_net_info info;
	struct frame f;

	udp6(&f, -1, peer6, our6, 40000, 51820, wg_init, 8);
	CHECK_EQ(parse(&f, &info), WG_NET_UDP);
	CHECK_EQ(info.family, WG_AF_INET6);
	CHECK_EQ(info.l3_off, 14);
	CHECK_EQ(info.l4_off, 54);
	CHECK_EQ(info.payload_off, 62);
	CHECK_EQ(info.payload_len, 8);
	CHECK_EQ(info.src.family, WG_AF_INET6);
	CHECK(memcmp(info.src.addr.v6, peer6, 16) == 0);
	CHECK(memcmp(info.dst.addr.v6, our6, 16) == 0);
	CHECK_EQ(info.src.port, htons(40000));
	CHECK_EQ(info.dst.port, htons(51820));
	truncations(&f, f.len);
	udp6(&f, 4094, peer6, our6, 40000, 51820, wg_init, 8);
	CHECK_EQ(parse(&f, &info), WG_NET_UDP);
	CHECK_EQ(info.vlan, 4094);
	CHECK_EQ(info.payload_off, 66);
	memset(f.b + f.len, 0, 6);
	f.len += 6;
	truncations(&f, (uint16_t)(f.len - 6));
	CHECK(memcmp(&info.src, &info.src, sizeof(info.src)) == 0);
}

/* Valid frames made bad one way at a time. */
static void
test_parse_bad_ip(void)
{
	struct wg_net_info info;
	struct frame f, g;
	uint8_t *ip;
	uint16_t l3;
	int i;

	l3 = udp4(&g, -1, 0, peer4, our4, 40000, 51820, wg_init, 8);
	/* Version, IHL below 5, IHL beyond the frame. */
	f = g; ip = f.b + l3;
	ip[0] = 0x55; ip4_cksum(ip);
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	for (i = 0; i < 5; i++) {
		f = g; ip = f.b + l3;
		ip[0] = (uint8_t)(0x40 | i);
		ip4_cksum(ip);          /* over IHL * 4 bytes: "valid" */
		CHECK_EQ(class_of(&f), WG_NET_DROP);
	}
	/* IHL 4 with all else consistent: a 16-byte header, then UDP (whose
	 * ports a lax parser takes for the destination address). */
	f = g; ip = f.b + l3;
	memmove(ip + 16, ip + 20, 16);
	ip[0] = 0x44;
	put16(ip + 2, 32);
	ip4_cksum(ip);
	f.len -= 4;
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	f = g; ip = f.b + l3;
	ip[0] = 0x4f; ip4_cksum(ip);    /* 60 bytes, frame has 36 after l3 */
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	f = g; ip = f.b + l3;
	ip[0] = 0x47; ip4_cksum(ip);    /* options eat the UDP header */
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	/* Total length: below the header, beyond the frame. */
	f = g; ip = f.b + l3;
	put16(ip + 2, 19); ip4_cksum(ip);
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	f = g; ip = f.b + l3;
	put16(ip + 2, (uint16_t)(get16(ip + 2) + 1)); ip4_cksum(ip);
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	f = g; ip = f.b + l3;
	put16(ip + 2, 0xffff); ip4_cksum(ip);
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	/* Header checksum; the port's verdict overrides ours. */
	f = g; ip = f.b + l3;
	ip[11] ^= 1;
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	f.ol_flags = RTE_MBUF_F_RX_IP_CKSUM_GOOD;
	CHECK_EQ(class_of(&f), WG_NET_UDP);
	f = g;
	f.ol_flags = RTE_MBUF_F_RX_IP_CKSUM_BAD;
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	f.ol_flags = RTE_MBUF_F_RX_L4_CKSUM_BAD;
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	f.ol_flags = RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	CHECK_EQ(class_of(&f), WG_NET_UDP);
	/* Fragments and other protocols are OTHER, not ours. */
	f = g; ip = f.b + l3;
	put16(ip + 6, 0x2000); ip4_cksum(ip);           /* MF */
	CHECK_EQ(class_of(&f), WG_NET_OTHER);
	put16(ip + 6, 0x0001); ip4_cksum(ip);           /* offset 8 */
	CHECK_EQ(class_of(&f), WG_NET_OTHER);
	put16(ip + 6, 0x0000); ip[9] = 6; ip4_cksum(ip);
	CHECK_EQ(class_of(&f), WG_NET_OTHER);
	CHECK_EQ(parse(&f, &info), WG_NET_OTHER);
	CHECK_EQ(info.family, WG_AF_INET);
	CHECK_EQ(info.l3_off, 14);
	truncations(&f, f.len);
	/* Sources that cannot be a peer. */
	{
		static const uint8_t bad[][4] = {
			{ 0, 0, 0, 0 }, { 127, 0, 0, 1 }, { 224, 0, 0, 1 },
			{ 239, 1, 1, 1 }, { 240, 0, 0, 1 },
			{ 255, 255, 255, 255 },
		};

		for (i = 0; i < (int)(sizeof(bad) / sizeof(bad[0])); i++) {
			udp4(&f, -1, 0, bad[i], our4, 1, 2, wg_init, 8);
			CHECK_EQ(class_of(&f), WG_NET_DROP);
		}
	}
	/* UDP: length below 8, beyond the IP payload; ports 0. */
	f = g;
	put16(f.b + l3 + 24, 7);
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	put16(f.b + l3 + 24, 17);
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	/* Shorter than the IP payload: trimmed to the UDP length. */
	put16(f.b + l3 + 24, 12);
	CHECK_EQ(parse(&f, &info), WG_NET_UDP);
	CHECK_EQ(info.payload_len, 4);
	f = g;
	put16(f.b + l3 + 20, 0);
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	f = g;
	put16(f.b + l3 + 22, 0);
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	/* An IP payload too short for a UDP header. */
	f = g; ip = f.b + l3;
	put16(ip + 2, 27); ip4_cksum(ip);
	CHECK_EQ(class_of(&f), WG_NET_DROP);

	/* IPv6. */
	l3 = udp6(&g, -1, peer6, our6, 40000, 51820, wg_init, 8);
	f = g; f.b[l3] = 0x40;
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	f = g; put16(f.b + l3 + 4, 0);
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	f.b[l3 + 6] = 0;                /* a jumbogram's hop-by-hop header */
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	f = g; put16(f.b + l3 + 4, 17);
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	f = g; put16(f.b + l3 + 4, 7);
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	f = g; put16(f.b + l3 + 4, 15);                  /* UDP len 16 > 15 */
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	f = g; put16(f.b + l3 + 40 + 6, 0);             /* no checksum */
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	f = g; f.ol_flags = RTE_MBUF_F_RX_L4_CKSUM_BAD;
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	/* Extension headers and other protocols: OTHER. */
	{
		static const uint8_t nhs[] = { 0, 43, 44, 50, 60, 6, 59 };

		for (i = 0; i < (int)sizeof(nhs); i++) {
			f = g;
			f.b[l3 + 6] = nhs[i];
			CHECK_EQ(class_of(&f), WG_NET_OTHER);
		}
	}
	{
		static const char *const bad[] = { "::", "::1", "ff02::1",
						   "ff05::2" };
		uint8_t a[16];

		for (i = 0; i < 4; i++) {
			inet_pton(AF_INET6, bad[i], a);
			udp6(&f, -1, a, our6, 1, 2, wg_init, 8);
			CHECK_EQ(class_of(&f), WG_NET_DROP);
		}
	}
	/* Other ICMPv6 (an echo request) is OTHER; a stub of one DROP. */
	ip6(&f, -1, peer6, our6, 58, 64, 8, our_mac, peer_mac);
	f.b[54] = 128;
	CHECK_EQ(class_of(&f), WG_NET_OTHER);
	truncations(&f, f.len);
	ip6(&f, -1, peer6, our6, 58, 64, 3, our_mac, peer_mac);
	f.b[54] = 128;
	CHECK_EQ(class_of(&f), WG_NET_DROP);
}

static void
test_parse_l2(void)
{
	struct wg_net_info info;
	struct frame f, g;
	uint16_t l3;

	l3 = udp4(&g, -1, 0, peer4, our4, 40000, 51820, wg_init, 8);
	(void)l3;
	/* A group source MAC. */
	f = g; f.b[6] |= 1;
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	/* Other EtherTypes, 802.3 lengths. */
	f = g; put16(f.b + 12, 0x88cc);                 /* LLDP */
	CHECK_EQ(class_of(&f), WG_NET_OTHER);
	truncations(&f, 14);
	f = g; put16(f.b + 12, 0x0040);
	CHECK_EQ(class_of(&f), WG_NET_OTHER);
	/* Tags: VID 4095, a second tag, QinQ. */
	udp4(&f, 4095, 0, peer4, our4, 1, 2, wg_init, 8);
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	udp4(&f, 7, 0, peer4, our4, 1, 2, wg_init, 8);
	put16(f.b + 16, 0x8100);
	CHECK_EQ(class_of(&f), WG_NET_OTHER);
	udp4(&f, 7, 0, peer4, our4, 1, 2, wg_init, 8);
	put16(f.b + 12, 0x88a8);
	CHECK_EQ(class_of(&f), WG_NET_OTHER);
	/* Stripped by the port: the VID comes from the mbuf. */
	f = g;
	f.ol_flags = RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
	f.vlan_tci = 0x2000 | 300;
	CHECK_EQ(parse(&f, &info), WG_NET_UDP);
	CHECK_EQ(info.vlan, 300);
	CHECK_EQ(info.l3_off, 14);
	f.vlan_tci = 4095;
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	/* ... and a tag left in the frame is a second one. */
	udp4(&f, 7, 0, peer4, our4, 1, 2, wg_init, 8);
	f.ol_flags = RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
	f.vlan_tci = 300;
	CHECK_EQ(class_of(&f), WG_NET_OTHER);
}

static void
test_parse_arp(void)
{
	static const uint8_t zero[6];
	static const uint8_t probe_src[4];
	struct wg_net_info info;
	struct frame f, g;
	uint16_t l3;

	l3 = arp(&g, -1, 1, bcast, peer_mac, peer4, zero, our4);
	f = g;
	CHECK_EQ(parse(&f, &info), WG_NET_ARP);
	CHECK_EQ(info.family, WG_AF_INET);
	CHECK_EQ(info.op, WG_NET_ARP_REQUEST);
	CHECK_EQ(info.flags, WG_NET_F_OVERRIDE | WG_NET_F_LLADDR);
	CHECK(memcmp(info.lladdr, peer_mac, 6) == 0);
	CHECK(memcmp(info.src.addr.v4, peer4, 4) == 0);
	CHECK(memcmp(info.dst.addr.v4, our4, 4) == 0);
	CHECK_EQ(info.l3_off, 14);
	truncations(&f, 42);
	/* A reply to us is solicited; a broadcast one is not. */
	arp(&f, 9, 2, our_mac, peer_mac, peer4, our_mac, our4);
	CHECK_EQ(parse(&f, &info), WG_NET_ARP);
	CHECK_EQ(info.op, WG_NET_ARP_REPLY);
	CHECK_EQ(info.vlan, 9);
	CHECK_EQ(info.l3_off, 18);
	CHECK_EQ(info.flags, WG_NET_F_OVERRIDE | WG_NET_F_LLADDR |
		 WG_NET_F_SOLICITED);
	truncations(&f, 46);
	arp(&f, -1, 2, bcast, peer_mac, peer4, bcast, peer4);
	CHECK_EQ(parse(&f, &info), WG_NET_ARP);
	CHECK_EQ(info.flags, WG_NET_F_OVERRIDE | WG_NET_F_LLADDR);
	/* A probe (RFC 5227): nothing to learn. */
	arp(&f, -1, 1, bcast, peer_mac, probe_src, zero, our4);
	CHECK_EQ(parse(&f, &info), WG_NET_ARP);
	CHECK_EQ(info.flags, WG_NET_F_OVERRIDE | WG_NET_F_DAD);
	/* Wrong hardware or protocol types or lengths. */
	f = g; put16(f.b + l3, 6);
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	f = g; put16(f.b + l3 + 2, 0x86dd);
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	f = g; f.b[l3 + 4] = 5;
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	f = g; f.b[l3 + 4] = 8;
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	f = g; f.b[l3 + 5] = 16;
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	f = g; f.b[l3 + 5] = 0;
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	/* Other opcodes (RARP, InARP) are OTHER. */
	f = g; put16(f.b + l3 + 6, 3);
	CHECK_EQ(class_of(&f), WG_NET_OTHER);
	f = g; put16(f.b + l3 + 6, 0);
	CHECK_EQ(class_of(&f), WG_NET_OTHER);
	/* Group sender MAC; multicast or loopback addresses. */
	arp(&f, -1, 1, bcast, bcast, peer4, zero, our4);
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	f = g; f.b[l3 + 8] = 0x01;
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	f = g; f.b[l3 + 14] = 224;
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	f = g; f.b[l3 + 14] = 127;
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	f = g; f.b[l3 + 24] = 239;
	CHECK_EQ(class_of(&f), WG_NET_DROP);
}

static void
test_parse_nd(void)
{
	struct wg_net_info info;
	uint8_t g6[16], gmac[6], opt[32];
	struct frame f, g;
	uint16_t l3;

	sn_group(our6, g6, gmac);
	/* NS with a source link-layer option. */
	l3 = ns(&g, -1, true);
	f = g;
	CHECK_EQ(parse(&f, &info), WG_NET_ND);
	CHECK_EQ(info.family, WG_AF_INET6);
	CHECK_EQ(info.op, WG_NET_ND_NS);
	CHECK_EQ(info.flags, WG_NET_F_OVERRIDE | WG_NET_F_LLADDR);
	CHECK(memcmp(info.lladdr, peer_mac, 6) == 0);
	CHECK(memcmp(info.src.addr.v6, peer6, 16) == 0);
	CHECK(memcmp(info.dst.addr.v6, our6, 16) == 0);
	CHECK_EQ(info.l4_off, 54);
	CHECK_EQ(info.payload_off, 78);
	CHECK_EQ(info.payload_len, 8);
	truncations(&f, f.len);
	/* Without it (a unicast probe): nothing to learn. */
	ns(&f, 5, false);
	CHECK_EQ(parse(&f, &info), WG_NET_ND);
	CHECK_EQ(info.flags, WG_NET_F_OVERRIDE);
	CHECK_EQ(info.vlan, 5);
	truncations(&f, f.len);
	/* NA, solicited, with a target link-layer option. */
	na(&f, true, 0x60);
	CHECK_EQ(parse(&f, &info), WG_NET_ND);
	CHECK_EQ(info.op, WG_NET_ND_NA);
	CHECK_EQ(info.flags, WG_NET_F_SOLICITED | WG_NET_F_OVERRIDE |
		 WG_NET_F_LLADDR);
	CHECK(memcmp(info.lladdr, peer_mac, 6) == 0);
	CHECK(memcmp(info.src.addr.v6, peer6, 16) == 0);  /* the target */
	CHECK(memcmp(info.dst.addr.v6, peer6, 16) == 0);
	truncations(&f, f.len);
	na(&f, false, 0x80);
	CHECK_EQ(parse(&f, &info), WG_NET_ND);
	CHECK_EQ(info.flags, WG_NET_F_ROUTER);
	/* Unknown options are skipped; only the first LL option counts. */
	memset(opt, 0, sizeof(opt));
	opt[0] = 14; opt[1] = 1;                        /* nonce */
	opt[8] = 1; opt[9] = 1; memcpy(opt + 10, peer_mac, 6);
	opt[16] = 1; opt[17] = 1; memcpy(opt + 18, our_mac, 6);
	nd(&f, -1, 135, peer6, g6, our6, 0, opt, 24, gmac);
	CHECK_EQ(parse(&f, &info), WG_NET_ND);
	CHECK(memcmp(info.lladdr, peer_mac, 6) == 0);
	truncations(&f, f.len);
	/* A TLLA in an NS is not the sender's address: ignored. */
	opt[8] = 2;
	opt[16] = 2;
	nd(&f, -1, 135, peer6, g6, our6, 0, opt, 24, gmac);
	CHECK_EQ(parse(&f, &info), WG_NET_ND);
	CHECK_EQ(info.flags, WG_NET_F_OVERRIDE);

	/* Hop limit not 255 (it came through a router), checksum, code. */
	f = g; f.b[l3 + 7] = 254; nd_fix(&f, l3);
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	f = g; f.b[l3 + 7] = 64; nd_fix(&f, l3);
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	f = g; f.b[l3 + 42] ^= 0x10;
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	f = g; f.b[l3 + 40 + 30] ^= 1;                   /* option byte */
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	f = g; f.b[l3 + 41] = 1; nd_fix(&f, l3);
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	/* Short message; options of length 0, overrunning, or a bad LL
	 * option length; a group LL address. */
	nd(&f, -1, 135, peer6, g6, our6, 0, opt, 0, gmac);
	put16(f.b + 18, 20);
	f.len -= 4;
	nd_fix(&f, 14);
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	memset(opt, 0, sizeof(opt));
	opt[0] = 1; opt[1] = 0;
	nd(&f, -1, 135, peer6, g6, our6, 0, opt, 8, gmac);
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	opt[1] = 2;
	nd(&f, -1, 135, peer6, g6, our6, 0, opt, 8, gmac);
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	nd(&f, -1, 135, peer6, g6, our6, 0, opt, 16, gmac);
	CHECK_EQ(class_of(&f), WG_NET_DROP);         /* LL option of 16 */
	opt[1] = 1;
	nd(&f, -1, 135, peer6, g6, our6, 0, opt, 4, gmac);
	CHECK_EQ(class_of(&f), WG_NET_DROP);         /* 4 bytes left */
	nd(&f, -1, 135, peer6, g6, our6, 0, opt, 1, gmac);
	CHECK_EQ(class_of(&f), WG_NET_DROP);         /* 1 byte left */
	opt[2] = 0x01;
	nd(&f, -1, 135, peer6, g6, our6, 0, opt, 8, gmac);
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	/* Multicast target; multicast source. */
	nd(&f, -1, 135, peer6, g6, g6, 0, opt, 0, gmac);
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	nd(&f, -1, 136, g6, our6, peer6, 0, opt, 0, our_mac);
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	/* DAD: from ::, to the solicited-node group, no SLLA. */
	{
		static const uint8_t any[16];
		uint8_t slla[8] = { 1, 1 };

		memcpy(slla + 2, peer_mac, 6);
		nd(&f, -1, 135, any, g6, our6, 0, slla, 0, gmac);
		CHECK_EQ(parse(&f, &info), WG_NET_ND);
		CHECK_EQ(info.flags, WG_NET_F_OVERRIDE | WG_NET_F_DAD);
		truncations(&f, f.len);
		nd(&f, -1, 135, any, g6, our6, 0, slla, 8, gmac);
		CHECK_EQ(class_of(&f), WG_NET_DROP);
		nd(&f, -1, 135, any, our6, our6, 0, slla, 0, our_mac);
		CHECK_EQ(class_of(&f), WG_NET_DROP);
		/* An NA from :: is not valid either. */
		nd(&f, -1, 136, any, our6, peer6, 0x20, slla, 0, our_mac);
		CHECK_EQ(class_of(&f), WG_NET_DROP);
	}
	/* A solicited NA to a multicast group. */
	nd(&f, -1, 136, peer6, g6, peer6, 0x40, opt, 0, gmac);
	CHECK_EQ(class_of(&f), WG_NET_DROP);
	nd(&f, -1, 136, peer6, g6, peer6, 0x20, opt, 0, gmac);
	CHECK_EQ(class_of(&f), WG_NET_ND);
}

/* data in segments of seg bytes. Past each segment's end its buffer
 * holds what the next segment holds, so a parse that strays beyond a
 * segment reads plausible bytes and gets a wrong answer, not a lucky
 * DROP. */
static struct rte_mbuf *
chain(const uint8_t *data, uint32_t len, uint16_t seg)
{
	struct rte_mbuf *head = NULL;
	uint32_t off;

	for (off = 0; off < len || head == NULL; off += seg) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		uint16_t n = (uint16_t)RTE_MIN((uint32_t)seg, len - off);
		uint8_t *p;

		if (m == NULL)
			abort();
		p = (uint8_t *)rte_pktmbuf_append(m, n);
		memcpy(p, data + off, n);
		memcpy(p + n, data + off + n,
		       RTE_MIN(rte_pktmbuf_tailroom(m), len - off - n));
		if (head == NULL)
			head = m;
		else if (rte_pktmbuf_chain(head, m) != 0)
			abort();
	}
	return head;
}

static void
test_parse_multiseg(void)
{
	static uint8_t payload[1400];
	struct wg_net_info info;
	struct frame f;
	struct rte_mbuf *m;
	unsigned int i;

	for (i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)i;
	udp6(&f, -1, peer6, our6, 1000, 2000, payload, sizeof(payload));
	/* Headers in the first segment, payload running on. */
	m = chain(f.b, f.len, 100);
	CHECK_EQ(m->nb_segs, (f.len + 99) / 100);
	CHECK_EQ(wg_net_parse(m, &info), WG_NET_UDP);
	CHECK_EQ(info.payload_len, sizeof(payload));
	CHECK(wg_net_udp_cksum_ok(m, &info));
	rte_pktmbuf_free(m);
	/* Headers across the boundary. */
	m = chain(f.b, f.len, 60);
	CHECK_EQ(wg_net_parse(m, &info), WG_NET_DROP);
	rte_pktmbuf_free(m);
	/* An NS must be whole in the first segment. */
	ns(&f, -1, true);
	m = chain(f.b, f.len, 80);
	CHECK_EQ(wg_net_parse(m, &info), WG_NET_DROP);
	rte_pktmbuf_free(m);
	m = chain(f.b, f.len, 86);
	CHECK_EQ(wg_net_parse(m, &info), WG_NET_ND);
	rte_pktmbuf_free(m);
}

static void
test_udp_cksum(void)
{
	struct rte_mbuf_ext_shared_info shinfo;
	struct wg_net_info info;
	struct rte_mbuf *m;
	struct frame f;
	uint16_t l3;
	uint8_t *u;

	l3 = udp4(&f, -1, 0, peer4, our4, 1, 2, wg_init, 8);
	u = f.b + l3 + 20;
	m = exact_mbuf(&f, f.len, &shinfo);      /* checksum 0: none */
	CHECK_EQ(wg_net_parse(m, &info), WG_NET_UDP);
	CHECK(wg_net_udp_cksum_ok(m, &info));
	rte_pktmbuf_free(m);
	{
		uint32_t sum = sum16(f.b + l3 + 12, 8, 0) + 17 + 16;

		put16(u + 6, (uint16_t)~fold(sum16(u, 16, sum)));
	}
	m = exact_mbuf(&f, f.len, &shinfo);
	CHECK_EQ(wg_net_parse(m, &info), WG_NET_UDP);
	CHECK(wg_net_udp_cksum_ok(m, &info));
	rte_pktmbuf_free(m);
	u[9] ^= 0x40;
	m = exact_mbuf(&f, f.len, &shinfo);
	CHECK_EQ(wg_net_parse(m, &info), WG_NET_UDP);
	CHECK(!wg_net_udp_cksum_ok(m, &info));
	m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	CHECK(wg_net_udp_cksum_ok(m, &info));
	rte_pktmbuf_free(m);
	/* IPv6: the UDP length, not the IP payload, bounds the sum. */
	l3 = udp6(&f, -1, peer6, our6, 1, 2, wg_init, 8);
	m = exact_mbuf(&f, f.len, &shinfo);
	CHECK_EQ(wg_net_parse(m, &info), WG_NET_UDP);
	CHECK(wg_net_udp_cksum_ok(m, &info));
	rte_pktmbuf_free(m);
	f.b[f.len - 1] ^= 1;
	m = exact_mbuf(&f, f.len, &shinfo);
	CHECK_EQ(wg_net_parse(m, &info), WG_NET_UDP);
	CHECK(!wg_net_udp_cksum_ok(m, &info));
	info.class = WG_NET_ARP;
	CHECK(!wg_net_udp_cksum_ok(m, &info));
	rte_pktmbuf_free(m);
}

/*
 * Encapsulation.
 */

static void
path_init(struct wg_net_path *p, uint8_t family, uint16_t vlan)
{
	memset(p, 0, sizeof(*p));
	memcpy(p->src_mac, our_mac, 6);
	memcpy(p->dst_mac, peer_mac, 6);
	p->vlan = vlan;
	p->src.family = family;
	p->dst.family = family;
	p->src.port = htons(51820);
	p->dst.port = htons(40001);
	if (family == WG_AF_INET) {
		memcpy(p->src.addr.v4, our4, 4);
		memcpy(p->dst.addr.v4, peer4, 4);
	} else {
		memcpy(p->src.addr.v6, our6, 16);
		memcpy(p->dst.addr.v6, peer6, 16);
	}
}

/* What a NIC does with RTE_MBUF_F_TX_UDP_CKSUM. */
static void
nic_udp_cksum(struct rte_mbuf *m)
{
	uint8_t *u = rte_pktmbuf_mtod_offset(m, uint8_t *,
					     m->l2_len + m->l3_len);
	uint16_t ulen = get16(u + 4), raw = 0;

	CHECK_EQ(rte_raw_cksum_mbuf(m, m->l2_len + m->l3_len, ulen, &raw), 0);
	raw = (uint16_t)~raw;
	if (raw == 0)
		raw = 0xffff;
	memcpy(u + 6, &raw, 2);
}

static void
encap_one(uint8_t family, uint16_t vlan, bool offload, uint32_t plen,
	  uint16_t seg)
{
	static uint8_t payload[4000];
	struct wg_net_path path;
	struct wg_net_info info;
	struct rte_mbuf *m;
	uint8_t *ip, *u, buf[4096];
	size_t hl;
	unsigned int i;

	for (i = 0; i < plen; i++)
		payload[i] = (uint8_t)(i * 7 + plen);
	path_init(&path, family, vlan);
	hl = wg_net_encap_len(&path);
	m = chain(payload, plen, seg);
	m->ol_flags |= RTE_MBUF_F_TX_TCP_SEG;   /* stale: must go */
	CHECK_EQ(wg_net_encap(m, &path, offload), 0);
	CHECK_EQ(rte_pktmbuf_pkt_len(m), hl + plen);
	CHECK_EQ(m->l2_len, vlan != 0 ? 18 : 14);
	CHECK_EQ(m->l3_len, family == WG_AF_INET ? 20 : 40);
	CHECK((m->ol_flags & RTE_MBUF_F_TX_TCP_SEG) == 0);
	ip = rte_pktmbuf_mtod_offset(m, uint8_t *, m->l2_len);
	u = ip + m->l3_len;
	CHECK(memcmp(rte_pktmbuf_mtod(m, uint8_t *), peer_mac, 6) == 0);
	CHECK(memcmp(rte_pktmbuf_mtod(m, uint8_t *) + 6, our_mac, 6) == 0);
	if (offload) {
		uint16_t ph, stored;

		CHECK(m->ol_flags & RTE_MBUF_F_TX_UDP_CKSUM);
		CHECK(m->ol_flags & (family == WG_AF_INET ?
				     RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6));
		memcpy(&stored, u + 6, 2);
		ph = family == WG_AF_INET ?
			rte_ipv4_phdr_cksum((struct rte_ipv4_hdr *)ip, 0) :
			rte_ipv6_phdr_cksum((struct rte_ipv6_hdr *)ip, 0);
		CHECK_EQ(stored, ph);
		nic_udp_cksum(m);
	} else {
		CHECK((m->ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK) == 0);
	}
	if (family == WG_AF_INET) {
		struct rte_ipv4_hdr h;

		memcpy(&h, ip, sizeof(h));
		CHECK_EQ(rte_ipv4_cksum(&h), 0);        /* sums to 0xffff */
		h.hdr_checksum = 0;
		CHECK_EQ(rte_ipv4_cksum(&h),
			 ((struct rte_ipv4_hdr *)ip)->hdr_checksum);
		CHECK_EQ(get16(ip + 6), 0);             /* no DF, no frag */
		CHECK_EQ(ip[8], 64);
		CHECK_EQ(get16(ip + 2), 28 + plen);
		if (!offload)
			CHECK_EQ(get16(u + 6), 0);
		else
			CHECK_EQ(rte_ipv4_udptcp_cksum_mbuf_verify(m,
				(struct rte_ipv4_hdr *)ip, m->l2_len + 20), 0);
	} else {
		CHECK_EQ(get16(ip + 4), 8 + plen);
		CHECK_EQ(ip[7], 64);
		CHECK(get16(u + 6) != 0);
		CHECK_EQ(rte_ipv6_udptcp_cksum_mbuf_verify(m,
			(struct rte_ipv6_hdr *)ip, m->l2_len + 40), 0);
		if (m->nb_segs == 1)
			CHECK_EQ(rte_ipv6_udptcp_cksum_verify(
				(struct rte_ipv6_hdr *)ip, u), 0);
	}
	/* Parse gives back the path and the payload. */
	CHECK_EQ(wg_net_parse(m, &info), WG_NET_UDP);
	CHECK_EQ(info.vlan, vlan);
	CHECK(wg_endpoint_equal(&info.src, &path.src));
	CHECK(wg_endpoint_equal(&info.dst, &path.dst));
	CHECK_EQ(info.payload_off, hl);
	CHECK_EQ(info.payload_len, plen);
	CHECK(plen == 0 || memcmp(rte_pktmbuf_read(m, info.payload_off, plen,
						   buf), payload, plen) == 0);
	CHECK(wg_net_udp_cksum_ok(m, &info));
	rte_pktmbuf_free(m);
}

static void
test_encap(void)
{
	static const uint32_t lens[] = { 0, 1, 32, 148, 92, 1452, 3000 };
	struct wg_net_path path;
	unsigned int i, fam, vl, off;

	path_init(&path, WG_AF_INET, 0);
	CHECK_EQ(wg_net_encap_len(&path), 42);
	path.vlan = 5;
	CHECK_EQ(wg_net_encap_len(&path), 46);
	path_init(&path, WG_AF_INET6, 0);
	CHECK_EQ(wg_net_encap_len(&path), 62);
	path.vlan = 5;
	CHECK_EQ(wg_net_encap_len(&path), 66);
	for (fam = 0; fam < 2; fam++)
		for (vl = 0; vl < 2; vl++)
			for (off = 0; off < 2; off++)
				for (i = 0; i < sizeof(lens) / sizeof(lens[0]);
				     i++) {
					uint32_t n = lens[i];

					encap_one(fam ? WG_AF_INET6 : WG_AF_INET,
						  vl ? 4094 : 0, off, n,
						  n > 2000 ? 1000 : 2000);
					/* and split into segments */
					if (n > 1)
						encap_one(fam ? WG_AF_INET6 :
							  WG_AF_INET, vl ? 1 : 0,
							  off, n,
							  (uint16_t)(n / 2 + 1));
				}
}

static void
test_encap_ip_id(void)
{
	uint8_t msg[32] = { 4, 0, 0, 0, 1, 2, 3, 4 };
	struct wg_net_path path;
	struct rte_mbuf *m;
	uint16_t id[3];
	unsigned int i;

	path_init(&path, WG_AF_INET, 0);
	for (i = 0; i < 3; i++) {
		msg[8] = (uint8_t)(0xfe + i);   /* counters ...fe, ...ff, 100 */
		msg[9] = i == 2 ? 1 : 0;
		m = chain(msg, sizeof(msg), 2000);
		CHECK_EQ(wg_net_encap(m, &path, false), 0);
		id[i] = get16(rte_pktmbuf_mtod(m, uint8_t *) + 14 + 4);
		rte_pktmbuf_free(m);
	}
	/* The counter is little-endian on the wire and summed in host
	 * (x86: little-endian) words: consecutive counters, consecutive
	 * IDs, across the carry into the second byte too. */
	CHECK_EQ((uint16_t)(id[1] - id[0]), 1);
	CHECK_EQ((uint16_t)(id[2] - id[1]), 1);

	/* The ID is rte_raw_cksum() of the first 16 bytes, whatever they
	 * are (the daemon sums them in two 8-byte loads); shorter
	 * messages (never WireGuard's) sum what there is. */
	rte_srand(20261127);   /* the same messages every run */
	for (i = 0; i < 200; i++) {
		uint8_t r[32];
		uint32_t len = i < 100 ? 32 : i % 17;

		for (unsigned int k = 0; k < sizeof(r); k++)
			r[k] = (uint8_t)(rte_rand() >> (k % 8));
		if (i % 50 == 0)
			memset(r, i % 100 == 0 ? 0xff : 0, sizeof(r));
		m = chain(r, len, 2000);
		CHECK_EQ(wg_net_encap(m, &path, false), 0);
		CHECK_EQ(get16(rte_pktmbuf_mtod(m, uint8_t *) + 14 + 4),
			 len == 0 ? 0 : rte_raw_cksum(r, RTE_MIN(len, 16u)));
		rte_pktmbuf_free(m);
	}

	/* A duplicate for another path: an empty header mbuf chained to
	 * the message gets the same ID as the message itself. */
	m = chain(msg, sizeof(msg), 2000);
	{
		struct rte_mbuf *hdr = rte_pktmbuf_alloc(pool);

		CHECK(hdr != NULL);
		CHECK_EQ(rte_pktmbuf_chain(hdr, m), 0);
		CHECK_EQ(wg_net_encap(hdr, &path, false), 0);
		CHECK_EQ(get16(rte_pktmbuf_mtod(hdr, uint8_t *) + 14 + 4),
			 id[2]);
		rte_pktmbuf_free(hdr);
	}
}

/* One wg_net_hdr, built once, serves every packet of its path: each
 * frame as wg_net_encap() builds it from the path, field for field. */
static void
test_encap_hdr(void)
{
	static const uint32_t lens[] = { 0, 32, 148, 1452, 1, 3000, 64 };
	struct wg_net_path path;
	struct wg_net_hdr h;
	uint8_t msg[3000], a[4096], b[4096];
	unsigned int fam, vl, off, i;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 13 + 5);
	for (fam = 0; fam < 2; fam++)
		for (vl = 0; vl < 2; vl++)
			for (off = 0; off < 2; off++) {
				path_init(&path, fam ? WG_AF_INET6 : WG_AF_INET,
					  vl ? 100 : 0);
				CHECK_EQ(wg_net_hdr_build(&path, &h), 0);
				CHECK_EQ(h.len, wg_net_encap_len(&path));
				for (i = 0; i < RTE_DIM(lens); i++) {
					struct rte_mbuf *x, *y;

					msg[4] = (uint8_t)i;   /* another ID */
					x = chain(msg, lens[i], 2000);
					y = chain(msg, lens[i], 2000);
					CHECK_EQ(wg_net_encap_hdr(x, &h, off), 0);
					CHECK_EQ(wg_net_encap(y, &path, off), 0);
					CHECK_EQ(rte_pktmbuf_pkt_len(x),
						 rte_pktmbuf_pkt_len(y));
					CHECK(memcmp(rte_pktmbuf_read(x, 0,
						rte_pktmbuf_pkt_len(x), a),
						rte_pktmbuf_read(y, 0,
						rte_pktmbuf_pkt_len(y), b),
						rte_pktmbuf_pkt_len(x)) == 0);
					CHECK_EQ(x->ol_flags, y->ol_flags);
					CHECK_EQ(x->tx_offload, y->tx_offload);
					CHECK_EQ(x->packet_type, y->packet_type);
					rte_pktmbuf_free(x);
					rte_pktmbuf_free(y);
				}
			}
	path_init(&path, WG_AF_INET, 4095);
	CHECK_EQ(wg_net_hdr_build(&path, &h), -EINVAL);
	path_init(&path, WG_AF_INET6, 0);
	path.src.family = WG_AF_INET;
	CHECK_EQ(wg_net_hdr_build(&path, &h), -EINVAL);
	/* A header that did not build is refused, m unchanged. */
	CHECK_EQ(h.len, 0);
	{
		struct rte_mbuf *m = chain(msg, 64, 2000);

		CHECK_EQ(wg_net_encap_hdr(m, &h, false), -EINVAL);
		CHECK_EQ(rte_pktmbuf_pkt_len(m), 64);
		rte_pktmbuf_free(m);
	}
}

static void
test_encap_errors(void)
{
	static uint8_t big[65600];
	struct wg_net_path path;
	struct rte_mbuf *m;
	uint16_t off;

	path_init(&path, WG_AF_INET, 0);
	m = chain(wg_init, 8, 2000);
	path.src.family = WG_AF_INET6;
	CHECK_EQ(wg_net_encap(m, &path, false), -EINVAL);
	path.src.family = path.dst.family = WG_AF_NONE;
	CHECK_EQ(wg_net_encap(m, &path, false), -EINVAL);
	path_init(&path, WG_AF_INET, 4095);
	CHECK_EQ(wg_net_encap(m, &path, false), -EINVAL);
	path_init(&path, WG_AF_INET, 0);
	path.src.port = 0;
	CHECK_EQ(wg_net_encap(m, &path, false), -EINVAL);
	path_init(&path, WG_AF_INET6, 0);
	path.dst.port = 0;
	CHECK_EQ(wg_net_encap(m, &path, false), -EINVAL);
	CHECK_EQ(rte_pktmbuf_pkt_len(m), 8);
	rte_pktmbuf_free(m);

	/* Not enough headroom: m unchanged. */
	m = rte_pktmbuf_alloc(pool);
	m->data_off = 61;
	memcpy(rte_pktmbuf_append(m, 8), wg_init, 8);
	path_init(&path, WG_AF_INET6, 0);
	CHECK_EQ(wg_net_encap(m, &path, false), -ENOSPC);
	CHECK_EQ(m->data_off, 61);
	CHECK_EQ(rte_pktmbuf_pkt_len(m), 8);
	CHECK_EQ(wg_net_encap(m, &path, true), -ENOSPC);
	path_init(&path, WG_AF_INET, 0);
	CHECK_EQ(wg_net_encap(m, &path, false), 0);     /* 42 fit */
	rte_pktmbuf_free(m);
	m = rte_pktmbuf_alloc(pool);
	off = 61;
	m->data_off = off;
	memcpy(rte_pktmbuf_append(m, 8), wg_init, 8);
	path_init(&path, WG_AF_INET6, 0);
	path.vlan = 0;
	CHECK_EQ(wg_net_encap(m, &path, false), -ENOSPC);
	rte_pktmbuf_free(m);

	/* The largest datagrams, and one byte more. */
	path_init(&path, WG_AF_INET, 0);
	m = chain(big, 65535 - 28, 2000);
	CHECK_EQ(wg_net_encap(m, &path, false), 0);
	rte_pktmbuf_free(m);
	m = chain(big, 65535 - 27, 2000);
	CHECK_EQ(wg_net_encap(m, &path, false), -EMSGSIZE);
	rte_pktmbuf_free(m);
	path_init(&path, WG_AF_INET6, 0);
	m = chain(big, 65535 - 8, 2000);
	CHECK_EQ(wg_net_encap(m, &path, false), 0);
	rte_pktmbuf_free(m);
	m = chain(big, 65535 - 7, 2000);
	CHECK_EQ(wg_net_encap(m, &path, false), -EMSGSIZE);
	rte_pktmbuf_free(m);
}

/*
 * Replies and requests.
 */

static struct rte_ether_addr ourmac;

/* Parse f in a pool mbuf and ask for the reply; m is returned. */
static struct rte_mbuf *
reply_of(const struct frame *f, bool *ok, struct wg_net_info *info)
{
	struct rte_mbuf *m = pool_mbuf(f, f->len, 0x5a);

	wg_net_parse(m, info);
	*ok = wg_net_neigh_reply(m, info, &ourmac);
	return m;
}

static void
test_arp_reply(void)
{
	static const uint8_t zero[6];
	struct wg_net_info info, r;
	struct rte_mbuf *m;
	struct frame f;
	uint8_t *p, *a;
	bool ok;

	arp(&f, -1, 1, bcast, peer_mac, peer4, zero, our4);
	m = reply_of(&f, &ok, &info);
	CHECK(ok);
	CHECK_EQ(rte_pktmbuf_pkt_len(m), 60);
	p = rte_pktmbuf_mtod(m, uint8_t *);
	a = p + 14;
	CHECK(memcmp(p, peer_mac, 6) == 0);
	CHECK(memcmp(p + 6, our_mac, 6) == 0);
	CHECK_EQ(get16(p + 12), 0x0806);
	CHECK_EQ(get16(a), 1);
	CHECK_EQ(get16(a + 2), 0x0800);
	CHECK_EQ(a[4], 6);
	CHECK_EQ(a[5], 4);
	CHECK_EQ(get16(a + 6), 2);
	CHECK(memcmp(a + 8, our_mac, 6) == 0);
	CHECK(memcmp(a + 14, our4, 4) == 0);
	CHECK(memcmp(a + 18, peer_mac, 6) == 0);
	CHECK(memcmp(a + 24, peer4, 4) == 0);
	CHECK_EQ(wg_net_parse(m, &r), WG_NET_ARP);
	CHECK_EQ(r.op, WG_NET_ARP_REPLY);
	CHECK_EQ(r.flags, WG_NET_F_OVERRIDE | WG_NET_F_LLADDR |
		 WG_NET_F_SOLICITED);
	CHECK(memcmp(r.lladdr, our_mac, 6) == 0);
	CHECK(memcmp(r.src.addr.v4, our4, 4) == 0);
	/* Not a request: no reply, nothing touched. */
	CHECK(!wg_net_neigh_reply(m, &r, &ourmac));
	CHECK(memcmp(rte_pktmbuf_mtod(m, uint8_t *), peer_mac, 6) == 0);
	rte_pktmbuf_free(m);

	/* Tagged: the tag stays. */
	arp(&f, 77, 1, bcast, peer_mac, peer4, zero, our4);
	m = reply_of(&f, &ok, &info);
	CHECK(ok);
	CHECK_EQ(wg_net_parse(m, &r), WG_NET_ARP);
	CHECK_EQ(r.vlan, 77);
	CHECK_EQ(r.op, WG_NET_ARP_REPLY);
	rte_pktmbuf_free(m);
	/* Stripped by the port: put back into the frame. */
	arp(&f, -1, 1, bcast, peer_mac, peer4, zero, our4);
	f.ol_flags = RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
	f.vlan_tci = 0x2000 | 77;
	m = reply_of(&f, &ok, &info);
	CHECK(ok);
	CHECK_EQ(rte_pktmbuf_pkt_len(m), 64);
	CHECK((m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) == 0);
	p = rte_pktmbuf_mtod(m, uint8_t *);
	CHECK_EQ(get16(p + 12), 0x8100);
	CHECK_EQ(get16(p + 14), 0x2000 | 77);
	CHECK_EQ(wg_net_parse(m, &r), WG_NET_ARP);
	CHECK_EQ(r.vlan, 77);
	CHECK_EQ(r.op, WG_NET_ARP_REPLY);
	CHECK(memcmp(r.src.addr.v4, our4, 4) == 0);
	rte_pktmbuf_free(m);
	/* ... unless there is no headroom for it: then m is untouched. */
	m = rte_pktmbuf_alloc(pool);
	m->data_off = 2;
	memcpy(rte_pktmbuf_append(m, f.len), f.b, f.len);
	m->ol_flags |= f.ol_flags;
	m->vlan_tci = f.vlan_tci;
	CHECK_EQ(wg_net_parse(m, &info), WG_NET_ARP);
	CHECK(!wg_net_neigh_reply(m, &info, &ourmac));
	CHECK_EQ(rte_pktmbuf_pkt_len(m), f.len);
	CHECK(memcmp(rte_pktmbuf_mtod(m, uint8_t *), f.b, f.len) == 0);
	rte_pktmbuf_free(m);
	/* Shared mbufs are not rewritten. */
	arp(&f, -1, 1, bcast, peer_mac, peer4, zero, our4);
	m = pool_mbuf(&f, f.len, 0);
	wg_net_parse(m, &info);
	rte_mbuf_refcnt_update(m, 1);
	CHECK(!wg_net_neigh_reply(m, &info, &ourmac));
	rte_mbuf_refcnt_update(m, -1);
	CHECK(wg_net_neigh_reply(m, &info, &ourmac));
	rte_pktmbuf_free(m);
	/* Neither UDP nor DROP are answered. */
	udp4(&f, -1, 0, peer4, our4, 1, 2, wg_init, 8);
	m = reply_of(&f, &ok, &info);
	CHECK(!ok);
	rte_pktmbuf_free(m);
	f.len = 10;
	m = reply_of(&f, &ok, &info);
	CHECK(!ok);
	rte_pktmbuf_free(m);
}

/* The NA wg_net_neigh_reply() made of an NS: check it all. */
static void
check_na(struct rte_mbuf *m, int vlan, const uint8_t *to_mac,
	 const uint8_t *to_ip, uint8_t flags)
{
	uint16_t l3 = vlan >= 0 ? 18 : 14;
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *), *ip = p + l3;
	uint8_t *icmp = ip + 40;
	struct wg_net_info r;

	CHECK_EQ(rte_pktmbuf_pkt_len(m), l3 + 40 + 32);
	CHECK(memcmp(p, to_mac, 6) == 0);
	CHECK(memcmp(p + 6, our_mac, 6) == 0);
	if (vlan >= 0)
		CHECK_EQ(get16(p + 14), vlan);
	CHECK_EQ(get16(p + l3 - 2), 0x86dd);
	CHECK_EQ(ip[0], 0x60);
	CHECK_EQ(get16(ip + 4), 32);
	CHECK_EQ(ip[6], 58);
	CHECK_EQ(ip[7], 255);
	CHECK(memcmp(ip + 8, our6, 16) == 0);
	CHECK(memcmp(ip + 24, to_ip, 16) == 0);
	CHECK_EQ(icmp[0], 136);
	CHECK_EQ(icmp[1], 0);
	CHECK_EQ(icmp[4], flags);
	CHECK(memcmp(icmp + 8, our6, 16) == 0);
	CHECK_EQ(icmp[24], 2);
	CHECK_EQ(icmp[25], 1);
	CHECK(memcmp(icmp + 26, our_mac, 6) == 0);
	CHECK_EQ(rte_ipv6_udptcp_cksum_verify((struct rte_ipv6_hdr *)ip, icmp),
		 0);
	CHECK_EQ(fold(sum16(ip + 8, 32, 32 + 58) + sum16(icmp, 32, 0)), 0xffff);
	CHECK_EQ(wg_net_parse(m, &r), WG_NET_ND);
	CHECK_EQ(r.op, WG_NET_ND_NA);
	CHECK_EQ(r.flags & WG_NET_F_LLADDR, WG_NET_F_LLADDR);
	CHECK(memcmp(r.lladdr, our_mac, 6) == 0);
	CHECK(memcmp(r.src.addr.v6, our6, 16) == 0);
}

static void
test_nd_reply(void)
{
	static const uint8_t any[16];
	static const uint8_t all_nodes[16] = { 0xff, 2, [15] = 1 };
	static const uint8_t all_nodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	struct wg_net_info info;
	uint8_t g6[16], gmac[6], opt[24];
	struct rte_mbuf *m;
	struct frame f;
	uint16_t l3;
	bool ok;

	sn_group(our6, g6, gmac);
	ns(&f, -1, true);
	m = reply_of(&f, &ok, &info);
	CHECK(ok);
	check_na(m, -1, peer_mac, peer6, 0x60);
	rte_pktmbuf_free(m);
	/* No SLLA: to the frame's source MAC; the frame grows. */
	ns(&f, 12, false);
	memcpy(f.b + 6, (const uint8_t[]){ 2, 9, 9, 9, 9, 9 }, 6);
	m = reply_of(&f, &ok, &info);
	CHECK(ok);
	check_na(m, 12, (const uint8_t[]){ 2, 9, 9, 9, 9, 9 }, peer6, 0x60);
	rte_pktmbuf_free(m);
	/* More options and Ethernet padding: the frame shrinks. */
	memset(opt, 0, sizeof(opt));
	opt[0] = 14; opt[1] = 2;
	opt[16] = 1; opt[17] = 1; memcpy(opt + 18, peer_mac, 6);
	l3 = nd(&f, -1, 135, peer6, g6, our6, 0, opt, 24, gmac);
	(void)l3;
	f.len += 20;
	m = reply_of(&f, &ok, &info);
	CHECK(ok);
	check_na(m, -1, peer_mac, peer6, 0x60);
	rte_pktmbuf_free(m);
	/* DAD: to all nodes, not solicited. */
	nd(&f, -1, 135, any, g6, our6, 0, opt, 0, gmac);
	m = reply_of(&f, &ok, &info);
	CHECK(ok);
	check_na(m, -1, all_nodes_mac, all_nodes, 0x20);
	rte_pktmbuf_free(m);
	/* Stripped tag: back in the frame. */
	ns(&f, -1, true);
	f.ol_flags = RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
	f.vlan_tci = 33;
	m = reply_of(&f, &ok, &info);
	CHECK(ok);
	check_na(m, 33, peer_mac, peer6, 0x60);
	rte_pktmbuf_free(m);
	/* An NA is not answered; nor an NS with no room to grow. */
	na(&f, true, 0x60);
	m = reply_of(&f, &ok, &info);
	CHECK(!ok);
	rte_pktmbuf_free(m);
	ns(&f, -1, false);
	m = rte_pktmbuf_alloc(pool);
	m->data_off = (uint16_t)(m->buf_len - f.len - 4);
	memcpy(rte_pktmbuf_append(m, f.len), f.b, f.len);
	CHECK_EQ(wg_net_parse(m, &info), WG_NET_ND);
	CHECK(!wg_net_neigh_reply(m, &info, &ourmac));
	CHECK_EQ(rte_pktmbuf_pkt_len(m), f.len);
	CHECK(memcmp(rte_pktmbuf_mtod(m, uint8_t *), f.b, f.len) == 0);
	rte_pktmbuf_free(m);
}

static void
test_requests(void)
{
	static const uint8_t zero[6];
	struct rte_ether_addr peer;
	struct wg_net_info info;
	uint8_t g6[16], gmac[6], *p, *ip;
	struct rte_ether_addr mac;
	struct rte_mbuf *m;

	memcpy(peer.addr_bytes, peer_mac, 6);
	/* ARP who-has, broadcast, padded to 60. */
	m = rte_pktmbuf_alloc(pool);
	CHECK_EQ(wg_net_neigh_request(m, &ourmac, 0, WG_AF_INET, our4, peer4,
				      NULL), 0);
	CHECK_EQ(rte_pktmbuf_pkt_len(m), 60);
	p = rte_pktmbuf_mtod(m, uint8_t *);
	CHECK(memcmp(p, bcast, 6) == 0);
	CHECK(memcmp(p + 6, our_mac, 6) == 0);
	CHECK_EQ(get16(p + 12), 0x0806);
	CHECK_EQ(get16(p + 14), 1);
	CHECK_EQ(get16(p + 16), 0x0800);
	CHECK_EQ(p[18], 6);
	CHECK_EQ(p[19], 4);
	CHECK_EQ(get16(p + 20), 1);
	CHECK(memcmp(p + 22, our_mac, 6) == 0);
	CHECK(memcmp(p + 28, our4, 4) == 0);
	CHECK(memcmp(p + 32, zero, 6) == 0);
	CHECK(memcmp(p + 38, peer4, 4) == 0);
	CHECK_EQ(wg_net_parse(m, &info), WG_NET_ARP);
	CHECK_EQ(info.op, WG_NET_ARP_REQUEST);
	CHECK(memcmp(info.dst.addr.v4, peer4, 4) == 0);
	/* Not into a non-empty mbuf. */
	CHECK_EQ(wg_net_neigh_request(m, &ourmac, 0, WG_AF_INET, our4, peer4,
				      NULL), -EINVAL);
	rte_pktmbuf_free(m);
	/* Tagged and unicast. */
	m = rte_pktmbuf_alloc(pool);
	CHECK_EQ(wg_net_neigh_request(m, &ourmac, 4094, WG_AF_INET, our4,
				      peer4, &peer), 0);
	CHECK_EQ(rte_pktmbuf_pkt_len(m), 60);
	p = rte_pktmbuf_mtod(m, uint8_t *);
	CHECK(memcmp(p, peer_mac, 6) == 0);
	CHECK_EQ(wg_net_parse(m, &info), WG_NET_ARP);
	CHECK_EQ(info.vlan, 4094);
	CHECK_EQ(info.op, WG_NET_ARP_REQUEST);
	rte_pktmbuf_free(m);

	/* NS to the solicited-node group with our SLLA. */
	sn_group(peer6, g6, gmac);
	m = rte_pktmbuf_alloc(pool);
	CHECK_EQ(wg_net_neigh_request(m, &ourmac, 0, WG_AF_INET6, our6, peer6,
				      NULL), 0);
	CHECK_EQ(rte_pktmbuf_pkt_len(m), 86);
	p = rte_pktmbuf_mtod(m, uint8_t *);
	ip = p + 14;
	CHECK(memcmp(p, gmac, 6) == 0);
	CHECK(memcmp(ip + 24, g6, 16) == 0);
	CHECK(memcmp(ip + 8, our6, 16) == 0);
	CHECK_EQ(ip[7], 255);
	CHECK_EQ(ip[40], 135);
	CHECK_EQ(rte_ipv6_udptcp_cksum_verify((struct rte_ipv6_hdr *)ip,
					      ip + 40), 0);
	CHECK_EQ(wg_net_parse(m, &info), WG_NET_ND);
	CHECK_EQ(info.op, WG_NET_ND_NS);
	CHECK_EQ(info.flags, WG_NET_F_OVERRIDE | WG_NET_F_LLADDR);
	CHECK(memcmp(info.lladdr, our_mac, 6) == 0);
	CHECK(memcmp(info.src.addr.v6, our6, 16) == 0);
	CHECK(memcmp(info.dst.addr.v6, peer6, 16) == 0);
	rte_pktmbuf_free(m);
	/* Unicast probe, tagged: to the target itself. */
	m = rte_pktmbuf_alloc(pool);
	CHECK_EQ(wg_net_neigh_request(m, &ourmac, 3, WG_AF_INET6, our6, peer6,
				      &peer), 0);
	CHECK_EQ(rte_pktmbuf_pkt_len(m), 90);
	p = rte_pktmbuf_mtod(m, uint8_t *);
	CHECK(memcmp(p, peer_mac, 6) == 0);
	CHECK(memcmp(p + 18 + 24, peer6, 16) == 0);
	CHECK_EQ(wg_net_parse(m, &info), WG_NET_ND);
	CHECK_EQ(info.vlan, 3);
	/* The peer's stack answers it: our NS becomes its NA. */
	{
		struct rte_ether_addr pm;

		memcpy(pm.addr_bytes, peer_mac, 6);
		CHECK(wg_net_neigh_reply(m, &info, &pm));
		CHECK_EQ(wg_net_parse(m, &info), WG_NET_ND);
		CHECK_EQ(info.op, WG_NET_ND_NA);
		CHECK(memcmp(info.lladdr, peer_mac, 6) == 0);
		CHECK(memcmp(info.src.addr.v6, peer6, 16) == 0);
		CHECK_EQ(info.flags & (WG_NET_F_SOLICITED | WG_NET_F_OVERRIDE),
			 WG_NEIGH_F_SOLICITED | WG_NEIGH_F_OVERRIDE);
	}
	rte_pktmbuf_free(m);

	/* Bad arguments; no room. */
	m = rte_pktmbuf_alloc(pool);
	CHECK_EQ(wg_net_neigh_request(m, &ourmac, 4095, WG_AF_INET, our4,
				      peer4, NULL), -EINVAL);
	CHECK_EQ(wg_net_neigh_request(m, &ourmac, 0, 0, our4, peer4, NULL),
		 -EINVAL);
	CHECK_EQ(wg_net_neigh_request(m, &ourmac, 0, WG_AF_INET,
				      (const uint8_t[4]){ 0 }, peer4, NULL),
		 -EINVAL);
	CHECK_EQ(wg_net_neigh_request(m, &ourmac, 0, WG_AF_INET, our4,
				      (const uint8_t[4]){ 224, 0, 0, 1 },
				      NULL), -EINVAL);
	CHECK_EQ(wg_net_neigh_request(m, &ourmac, 0, WG_AF_INET6,
				      (const uint8_t[16]){ 0 }, peer6, NULL),
		 -EINVAL);
	CHECK_EQ(wg_net_neigh_request(m, &ourmac, 0, WG_AF_INET6, our6, g6,
				      NULL), -EINVAL);
	CHECK_EQ(rte_pktmbuf_pkt_len(m), 0);
	m->data_off = (uint16_t)(m->buf_len - 80);
	CHECK_EQ(wg_net_neigh_request(m, &ourmac, 0, WG_AF_INET6, our6, peer6,
				      NULL), -ENOSPC);
	CHECK_EQ(wg_net_neigh_request(m, &ourmac, 0, WG_AF_INET, our4, peer4,
				      NULL), 0);
	rte_pktmbuf_free(m);

	/* The solicited-node group of 2001:db8::aabb:ccdd. */
	{
		static const uint8_t want[16] = { 0xff, 2, [11] = 1, 0xff,
						  0xbb, 0xcc, 0xdd };
		uint8_t a[16], g[16];

		inet_pton(AF_INET6, "2001:db8::aabb:ccdd", a);
		wg_net_solicited_node(a, g, &mac);
		CHECK(memcmp(g, want, 16) == 0);
		CHECK(memcmp(mac.addr_bytes,
			     (const uint8_t[]){ 0x33, 0x33, 0xff, 0xbb, 0xcc,
						0xdd }, 6) == 0);
		wg_net_solicited_node(a, NULL, NULL);
	}
}

/*
 * Garbage: valid frames mutated at random must never be read past their
 * end (ASan, and the three-way parse), and whatever is accepted must be
 * consistent, and answerable if it is a request.
 */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static void
check_invariants(const struct frame *f, const struct wg_net_info *i,
		 unsigned int *bad)
{
	switch (i->class) {
	case WG_NET_DROP:
	case WG_NET_OTHER:
		return;
	case WG_NET_UDP:
		if (i->l4_off + 8u > f->len || i->payload_off != i->l4_off + 8 ||
		    i->payload_off + i->payload_len > f->len ||
		    i->src.family != i->family || i->src.port == 0)
			(*bad)++;
		return;
	case WG_NET_ARP:
		if (i->l3_off + 28u > f->len || i->family != WG_AF_INET)
			(*bad)++;
		return;
	case WG_NET_ND:
		if (i->payload_off + i->payload_len > f->len ||
		    f->b[i->l3_off + 7] != 255 || i->family != WG_AF_INET6)
			(*bad)++;
		return;
	default:
		(*bad)++;
	}
}

static void
test_garbage(void)
{
	struct frame t[12], f;
	struct wg_net_info info, r;
	unsigned int n, k, bad = 0, replies = 0, accepted = 0, nt = 0;
	static const uint8_t zero[6];

	udp4(&t[nt++], -1, 0, peer4, our4, 1, 51820, wg_init, 8);
	udp4(&t[nt++], 10, 12, peer4, our4, 1, 51820, wg_init, 8);
	udp6(&t[nt++], -1, peer6, our6, 1, 51820, wg_init, 8);
	udp6(&t[nt++], 20, peer6, our6, 1, 51820, wg_init, 8);
	arp(&t[nt++], -1, 1, bcast, peer_mac, peer4, zero, our4);
	arp(&t[nt++], 30, 2, our_mac, peer_mac, peer4, our_mac, our4);
	ns(&t[nt++], -1, true);
	ns(&t[nt++], 40, false);
	na(&t[nt++], true, 0x60);
	na(&t[nt++], false, 0xe0);
	for (n = 0; n < 200000; n++) {
		unsigned int muts = 1 + rnd() % 3;

		f = t[rnd() % nt];
		for (k = 0; k < muts; k++) {
			uint32_t span = rnd() % 4 ? 64 : f.len;
			uint32_t pos = rnd() % span;

			if (rnd() % 2)
				f.b[pos] = (uint8_t)rnd();
			else
				f.b[pos] ^= (uint8_t)(1u << (rnd() % 8));
		}
		if (rnd() % 4 == 0)
			f.len = (uint16_t)(rnd() % (f.len + 1));
		if (rnd() % 8 == 0) {
			f.ol_flags = RTE_MBUF_F_RX_VLAN |
				RTE_MBUF_F_RX_VLAN_STRIPPED;
			f.vlan_tci = (uint16_t)rnd();
		}
		if (rnd() % 8 == 0)
			f.ol_flags |= (uint64_t)(rnd() % 2 ?
				RTE_MBUF_F_RX_IP_CKSUM_GOOD :
				RTE_MBUF_F_RX_L4_CKSUM_BAD);
		parse(&f, &info);
		check_invariants(&f, &info, &bad);
		if (info.class != WG_NET_DROP)
			accepted++;
		if ((info.class == WG_NET_ARP &&
		     info.op == WG_NET_ARP_REQUEST) ||
		    (info.class == WG_NET_ND && info.op == WG_NET_ND_NS)) {
			struct rte_mbuf *m;
			bool ok;

			m = reply_of(&f, &ok, &info);
			if (!ok || wg_net_parse(m, &r) != info.class ||
			    (r.op != WG_NET_ARP_REPLY && r.op != WG_NET_ND_NA))
				bad++;
			replies++;
			rte_pktmbuf_free(m);
		}
	}
	CHECK_EQ(bad, 0);
	CHECK(accepted > 1000);
	CHECK(replies > 1000);
	printf("garbage: %u frames, %u accepted, %u replies\n", n, accepted,
	       replies);
}

int
main(int argc, char **argv)
{
	char prefix[64], rundir[PATH_MAX];
	char *eal_argv[] = {
		"test", "--no-huge", "--no-pci", "-m", "128", "--no-shconf",
		"--log-level=lib.eal:error", prefix,
		/* no socket in the runtime directory, so it can go */
		"--no-telemetry", NULL,
	};
	int ret;

	(void)argc;
	(void)argv;
	snprintf(prefix, sizeof(prefix), "--file-prefix=net%d", (int)getpid());
	if (rte_eal_init(9, eal_argv) < 0) {
		fprintf(stderr, "EAL init failed (not root?): skipped\n");
		return 77;
	}
	pool = rte_pktmbuf_pool_create("net_test", 1023, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	if (pool == NULL) {
		fprintf(stderr, "no mempool: %s\n", rte_strerror(rte_errno));
		rte_eal_cleanup();
		return 1;
	}
	memcpy(ourmac.addr_bytes, our_mac, 6);
	inet_pton(AF_INET6, "2001:db8:1::10", our6);
	inet_pton(AF_INET6, "2001:db8:1::77", peer6);

	test_parse_udp4();
	test_parse_udp6();
	test_parse_bad_ip();
	test_parse_l2();
	test_parse_arp();
	test_parse_nd();
	test_parse_multiseg();
	test_udp_cksum();
	test_encap();
	test_encap_ip_id();
	test_encap_hdr();
	test_encap_errors();
	test_arp_reply();
	test_nd_reply();
	test_requests();
	test_garbage();
	CHECK_EQ(disagreements, 0);
	CHECK_EQ(rte_mempool_in_use_count(pool), 0);

	ret = wg_check_done("net");
	/* DPDK 22.11 leaves its (by then empty) runtime directory behind. */
	snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	rte_mempool_free(pool);
	rte_eal_cleanup();
	rmdir(rundir);
	return ret;
}
