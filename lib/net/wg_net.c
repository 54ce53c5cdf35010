/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Outer headers. Frames are read and written byte-wise through offsets
 * (wg_net_rd16() and friends compile to plain loads): a frame's headers
 * may sit at any alignment, and casting to DPDK's header structs would be
 * undefined behaviour there. Lengths are compared as "bytes left" so no
 * sum can wrap.
 */
#include <errno.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf_ptype.h>
#include <rte_memcpy.h>

#include "wg_net.h"

#define WG_NET_ETH_LEN RTE_ETHER_HDR_LEN        /* 14 */
#define WG_NET_VLAN_LEN 4
#define WG_NET_IP4_LEN 20
#define WG_NET_IP6_LEN 40
#define WG_NET_UDP_LEN 8
#define WG_NET_ARP_LEN 28
#define WG_NET_ND_LEN 24         /* NS/NA without options */
#define WG_NET_LLOPT_LEN 8       /* Ethernet link-layer address option */
#define WG_NET_ETH_MIN 60        /* shortest frame, without the FCS */
#define WG_NET_VID_MAX 4094
#define WG_NET_TTL 64

#define WG_NET_ICMP6 58
#define WG_NET_ND_NS_TYPE 135
#define WG_NET_ND_NA_TYPE 136
#define WG_NET_OPT_SLLA 1
#define WG_NET_OPT_TLLA 2
#define WG_NET_NA_R 0x80
#define WG_NET_NA_S 0x40
#define WG_NET_NA_O 0x20

static inline uint16_t
wg_net_rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_16(v);
}

static inline void
wg_net_wr16(uint8_t *p, uint16_t v)
{
	v = rte_cpu_to_be_16(v);
	memcpy(p, &v, sizeof(v));
}

/* Checksums are sums of 16-bit words in memory order; store as summed. */
static inline void
wg_net_wr_cksum(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static inline uint16_t
wg_net_fold(uint32_t sum)
{
	sum = (sum >> 16) + (sum & 0xffff);
	sum += sum >> 16;
	return (uint16_t)sum;
}

/* The pseudo-header of RFC 8200 section 8.1 (and RFC 768 for IPv4), for
 * an upper-layer length that may differ from the IP header's. */
static uint32_t
wg_net_phdr_sum(const uint8_t *addrs, size_t addrs_len, uint8_t proto,
		uint16_t l4_len)
{
	uint32_t sum = rte_raw_cksum(addrs, addrs_len);

	sum += rte_cpu_to_be_16(proto);
	sum += rte_cpu_to_be_16(l4_len);
	return sum;
}

static inline bool
wg_net_zero(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* Addresses that never legitimately source a datagram or an ARP. */
static bool
wg_net_bad_src4(const uint8_t *a)
{
	return wg_net_zero(a, 4) || a[0] == 127 || a[0] >= 224;
}

static bool
wg_net_bad_src6(const uint8_t *a)
{
	static const uint8_t loopback[16] = { [15] = 1 };

	return a[0] == 0xff || wg_net_zero(a, 16) ||
		memcmp(a, loopback, 16) == 0;
}

static enum wg_net_class
wg_net_ret(struct wg_net_info *info, enum wg_net_class c)
{
	info->class = (uint8_t)c;
	return c;
}

static enum wg_net_class
wg_net_drop(struct wg_net_info *info)
{
	memset(info, 0, sizeof(*info));
	return WG_NET_DROP;
}

/*
 * Parsing. Each step gets the first segment (p, len), the frame length
 * (frame: what the IP lengths are checked against) and the offset of its
 * header, which the caller has checked is at most len.
 */
struct wg_net_frame {
	const uint8_t *p;
	uint32_t len;            /* readable bytes: the first segment */
	uint32_t frame;          /* the whole packet */
	uint64_t ol_flags;
};

static enum wg_net_class
wg_net_parse_udp(const struct wg_net_frame *f, uint32_t l4, uint32_t l4_len,
		 struct wg_net_info *info)
{
	const uint8_t *u = f->p + l4;
	uint16_t ulen;

	if (l4_len < WG_NET_UDP_LEN || f->len - l4 < WG_NET_UDP_LEN)
		return wg_net_drop(info);
	ulen = wg_net_rd16(u + 4);
	if (ulen < WG_NET_UDP_LEN || ulen > l4_len)
		return wg_net_drop(info);
	if (wg_net_rd16(u) == 0 || wg_net_rd16(u + 2) == 0)
		return wg_net_drop(info);
	if ((f->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) ==
	    RTE_MBUF_F_RX_L4_CKSUM_BAD)
		return wg_net_drop(info);
	/* RFC 8200 section 8.1: zero is no checksum, not allowed for IPv6. */
	if (info->family == WG_AF_INET6 && wg_net_rd16(u + 6) == 0)
		return wg_net_drop(info);
	memcpy(&info->src.port, u, 2);
	memcpy(&info->dst.port, u + 2, 2);
	info->l4_off = (uint16_t)l4;
	info->payload_off = (uint16_t)(l4 + WG_NET_UDP_LEN);
	info->payload_len = ulen - WG_NET_UDP_LEN;
	return wg_net_ret(info, WG_NET_UDP);
}

static enum wg_net_class
wg_net_parse_ipv4(const struct wg_net_frame *f, uint32_t l3,
		  struct wg_net_info *info)
{
	const uint8_t *ip = f->p + l3;
	uint64_t ck = f->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	uint32_t ihl, tot;

	if (f->len - l3 < WG_NET_IP4_LEN || (ip[0] >> 4) != 4)
		return wg_net_drop(info);
	ihl = (ip[0] & 0xfu) * 4;
	if (ihl < WG_NET_IP4_LEN || f->len - l3 < ihl)
		return wg_net_drop(info);
	tot = wg_net_rd16(ip + 2);
	if (tot < ihl || tot > f->frame - l3)
		return wg_net_drop(info);
	if (ck == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
	    (ck == RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN &&
	     rte_raw_cksum(ip, ihl) != 0xffff))
		return wg_net_drop(info);
	info->family = WG_AF_INET;
	/* Fragments are not reassembled here; a caller that wants them
	 * gives OTHER to rte_ip_frag (doc/neighbours.md). */
	if ((wg_net_rd16(ip + 6) & 0x3fff) != 0 || ip[9] != IPPROTO_UDP)
		return wg_net_ret(info, WG_NET_OTHER);
	if (wg_net_bad_src4(ip + 12))
		return wg_net_drop(info);
	info->src.family = WG_AF_INET;
	info->dst.family = WG_AF_INET;
	memcpy(info->src.addr.v4, ip + 12, 4);
	memcpy(info->dst.addr.v4, ip + 16, 4);
	return wg_net_parse_udp(f, l3 + ihl, tot - ihl, info);
}

/* RFC 4861 section 7.1: what makes an NS or NA valid, and what it says. */
static enum wg_net_class
wg_net_parse_nd(const struct wg_net_frame *f, uint32_t l3, uint32_t plen,
		struct wg_net_info *info)
{
	const uint8_t *ip = f->p + l3, *icmp = ip + WG_NET_IP6_LEN;
	const uint8_t *src = ip + 8, *dst = ip + 24, *target = icmp + 8;
	const uint8_t *ll = NULL;
	bool ns = icmp[0] == WG_NET_ND_NS_TYPE;
	uint8_t want = ns ? WG_NET_OPT_SLLA : WG_NET_OPT_TLLA;
	uint32_t o, sum;

	if (ip[7] != 255 || icmp[1] != 0 || plen < WG_NET_ND_LEN)
		return wg_net_drop(info);
	sum = wg_net_phdr_sum(src, 32, WG_NET_ICMP6, (uint16_t)plen);
	sum += rte_raw_cksum(icmp, plen);
	if (wg_net_fold(sum) != 0xffff)
		return wg_net_drop(info);
	if (target[0] == 0xff || src[0] == 0xff)
		return wg_net_drop(info);
	for (o = WG_NET_ND_LEN; o < plen; ) {
		uint32_t olen;

		if (plen - o < 2)
			return wg_net_drop(info);
		olen = icmp[o + 1] * 8u;
		if (olen == 0 || olen > plen - o)
			return wg_net_drop(info);
		if (icmp[o] == want) {
			if (olen != WG_NET_LLOPT_LEN || (icmp[o + 2] & 1))
				return wg_net_drop(info);
			if (ll == NULL)
				ll = icmp + o + 2;
		}
		o += olen;
	}
	info->src.family = WG_AF_INET6;
	info->dst.family = WG_AF_INET6;
	memcpy(info->dst.addr.v6, target, 16);
	if (ns) {
		info->op = WG_NET_ND_NS;
		info->flags = WG_NET_F_OVERRIDE;
		if (wg_net_zero(src, 16)) {
			uint8_t group[16];

			/* DAD: to the target's solicited-node group, and
			 * without a link-layer address to learn. */
			wg_net_solicited_node(target, group, NULL);
			if (ll != NULL || memcmp(dst, group, 16) != 0)
				return wg_net_drop(info);
			info->flags |= WG_NET_F_DAD;
		}
		memcpy(info->src.addr.v6, src, 16);
	} else {
		uint8_t fl = icmp[4];

		if (wg_net_zero(src, 16) ||
		    (dst[0] == 0xff && (fl & WG_NET_NA_S)))
			return wg_net_drop(info);
		info->op = WG_NET_ND_NA;
		info->flags = (fl & WG_NET_NA_S ? WG_NET_F_SOLICITED : 0) |
			(fl & WG_NET_NA_O ? WG_NET_F_OVERRIDE : 0) |
			(fl & WG_NET_NA_R ? WG_NET_F_ROUTER : 0);
		memcpy(info->src.addr.v6, target, 16);
	}
	if (ll != NULL) {
		info->flags |= WG_NET_F_LLADDR;
		memcpy(info->lladdr, ll, RTE_ETHER_ADDR_LEN);
	}
	info->l4_off = (uint16_t)(l3 + WG_NET_IP6_LEN);
	info->payload_off = (uint16_t)(info->l4_off + WG_NET_ND_LEN);
	info->payload_len = (uint16_t)(plen - WG_NET_ND_LEN);
	return wg_net_ret(info, WG_NET_ND);
}

static enum wg_net_class
wg_net_parse_ipv6(const struct wg_net_frame *f, uint32_t l3,
		  struct wg_net_info *info)
{
	const uint8_t *ip = f->p + l3;
	uint32_t plen, l4 = l3 + WG_NET_IP6_LEN;

	if (f->len - l3 < WG_NET_IP6_LEN || (ip[0] >> 4) != 6)
		return wg_net_drop(info);
	plen = wg_net_rd16(ip + 4);
	/* 0 is a jumbogram, which needs a hop-by-hop header we refuse. */
	if (plen == 0 || plen > f->frame - l4)
		return wg_net_drop(info);
	info->family = WG_AF_INET6;
	if (ip[6] == IPPROTO_UDP) {
		if (wg_net_bad_src6(ip + 8))
			return wg_net_drop(info);
		info->src.family = WG_AF_INET6;
		info->dst.family = WG_AF_INET6;
		memcpy(info->src.addr.v6, ip + 8, 16);
		memcpy(info->dst.addr.v6, ip + 24, 16);
		return wg_net_parse_udp(f, l4, plen, info);
	}
	if (ip[6] != WG_NET_ICMP6)
		return wg_net_ret(info, WG_NET_OTHER);
	if (plen < 4 || f->len - l4 < 4)
		return wg_net_drop(info);
	if (f->p[l4] != WG_NET_ND_NS_TYPE && f->p[l4] != WG_NET_ND_NA_TYPE)
		return wg_net_ret(info, WG_NET_OTHER);
	/* ND is verified whole, so it must be in the first segment. */
	if (plen > f->len - l4)
		return wg_net_drop(info);
	return wg_net_parse_nd(f, l3, plen, info);
}

static enum wg_net_class
wg_net_parse_arp(const struct wg_net_frame *f, uint32_t l3,
		 struct wg_net_info *info)
{
	const uint8_t *a = f->p + l3;
	const uint8_t *sha = a + 8, *spa = a + 14, *tpa = a + 24;
	uint16_t op;

	if (f->len - l3 < WG_NET_ARP_LEN)
		return wg_net_drop(info);
	if (wg_net_rd16(a) != RTE_ARP_HRD_ETHER ||
	    wg_net_rd16(a + 2) != RTE_ETHER_TYPE_IPV4 ||
	    a[4] != RTE_ETHER_ADDR_LEN || a[5] != 4)
		return wg_net_drop(info);
	info->family = WG_AF_INET;
	op = wg_net_rd16(a + 6);
	if (op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY)
		return wg_net_ret(info, WG_NET_OTHER);
	/* A group sender MAC, or a sender or target address that cannot be
	 * a neighbour's, is a forgery or a broken stack. */
	if ((sha[0] & 1) || spa[0] == 127 || spa[0] >= 224 ||
	    tpa[0] == 127 || tpa[0] >= 224)
		return wg_net_drop(info);
	info->op = op == RTE_ARP_OP_REQUEST ? WG_NET_ARP_REQUEST :
		WG_NET_ARP_REPLY;
	info->flags = WG_NET_F_OVERRIDE;
	/* A reply to a unicast MAC answers someone's (our) request; a
	 * broadcast one is an announcement. */
	if (op == RTE_ARP_OP_REPLY && (f->p[0] & 1) == 0)
		info->flags |= WG_NET_F_SOLICITED;
	if (wg_net_zero(spa, 4)) {
		info->flags |= WG_NET_F_DAD;
	} else {
		info->flags |= WG_NET_F_LLADDR;
		memcpy(info->lladdr, sha, RTE_ETHER_ADDR_LEN);
	}
	info->src.family = WG_AF_INET;
	info->dst.family = WG_AF_INET;
	memcpy(info->src.addr.v4, spa, 4);
	memcpy(info->dst.addr.v4, tpa, 4);
	return wg_net_ret(info, WG_NET_ARP);
}

enum wg_net_class
wg_net_parse(const struct rte_mbuf *m, struct wg_net_info *info)
{
	struct wg_net_frame f = {
		.p = rte_pktmbuf_mtod(m, const uint8_t *),
		.len = RTE_MIN(rte_pktmbuf_data_len(m), rte_pktmbuf_pkt_len(m)),
		.frame = rte_pktmbuf_pkt_len(m),
		.ol_flags = m->ol_flags,
	};
	bool stripped = (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) != 0;
	uint32_t l3 = WG_NET_ETH_LEN;
	uint16_t type, vid;

	memset(info, 0, sizeof(*info));
	/* A group address is never a frame's source. */
	if (f.len < WG_NET_ETH_LEN || (f.p[6] & 1))
		return WG_NET_DROP;
	type = wg_net_rd16(f.p + 12);
	if (stripped) {
		vid = m->vlan_tci & 0xfff;
		if (vid > WG_NET_VID_MAX)
			return WG_NET_DROP;
		info->vlan = vid;
	}
	if (type == RTE_ETHER_TYPE_VLAN && !stripped) {
		if (f.len - l3 < WG_NET_VLAN_LEN)
			return WG_NET_DROP;
		vid = wg_net_rd16(f.p + l3) & 0xfff;
		if (vid > WG_NET_VID_MAX)
			return wg_net_drop(info);
		info->vlan = vid;
		type = wg_net_rd16(f.p + l3 + 2);
		l3 += WG_NET_VLAN_LEN;
	}
	info->l3_off = (uint16_t)l3;
	switch (type) {
	case RTE_ETHER_TYPE_IPV4:
		return wg_net_parse_ipv4(&f, l3, info);
	case RTE_ETHER_TYPE_IPV6:
		return wg_net_parse_ipv6(&f, l3, info);
	case RTE_ETHER_TYPE_ARP:
		return wg_net_parse_arp(&f, l3, info);
	default:
		/* Including a second tag (QinQ): we use one at most. */
		return wg_net_ret(info, WG_NET_OTHER);
	}
}

bool
wg_net_udp_cksum_ok(const struct rte_mbuf *m, const struct wg_net_info *info)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint64_t ck = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	uint16_t ulen, raw;
	uint32_t sum;

	if (info->class != WG_NET_UDP)
		return false;
	if (ck == RTE_MBUF_F_RX_L4_CKSUM_GOOD ||
	    ck == RTE_MBUF_F_RX_L4_CKSUM_NONE)
		return true;
	if (ck == RTE_MBUF_F_RX_L4_CKSUM_BAD)
		return false;
	ulen = info->payload_len + WG_NET_UDP_LEN;
	if (info->family == WG_AF_INET) {
		if (wg_net_rd16(p + info->l4_off + 6) == 0)
			return true;
		sum = wg_net_phdr_sum(p + info->l3_off + 12, 8, IPPROTO_UDP,
				      ulen);
	} else {
		sum = wg_net_phdr_sum(p + info->l3_off + 8, 32, IPPROTO_UDP,
				      ulen);
	}
	if (rte_raw_cksum_mbuf(m, info->l4_off, ulen, &raw) != 0)
		return false;
	return wg_net_fold(sum + raw) == 0xffff;
}

/*
 * Building.
 */

static uint8_t *
wg_net_put_eth(uint8_t *p, const uint8_t *dst, const uint8_t *src,
	       uint16_t vlan, uint16_t type)
{
	memcpy(p, dst, RTE_ETHER_ADDR_LEN);
	memcpy(p + 6, src, RTE_ETHER_ADDR_LEN);
	p += 12;
	if (vlan != 0) {
		wg_net_wr16(p, RTE_ETHER_TYPE_VLAN);
		wg_net_wr16(p + 2, vlan);
		p += WG_NET_VLAN_LEN;
	}
	wg_net_wr16(p, type);
	return p + 2;
}

static void
wg_net_put_ip6(uint8_t *ip, uint16_t plen, uint8_t proto, uint8_t hops,
	       const uint8_t *src, const uint8_t *dst)
{
	memset(ip, 0, 4);
	ip[0] = 0x60;
	wg_net_wr16(ip + 4, plen);
	ip[6] = proto;
	ip[7] = hops;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
}

size_t
wg_net_encap_len(const struct wg_net_path *path)
{
	return WG_NET_ETH_LEN + (path->vlan != 0 ? WG_NET_VLAN_LEN : 0) +
		(path->dst.family == WG_AF_INET6 ? WG_NET_IP6_LEN :
		 WG_NET_IP4_LEN) + WG_NET_UDP_LEN;
}

/* UDP checksum over a payload that may span segments. */
static uint16_t
wg_net_udp6_cksum(const struct rte_mbuf *m, const uint8_t *ip, uint32_t l4,
		  uint16_t ulen)
{
	uint32_t sum = wg_net_phdr_sum(ip + 8, 32, IPPROTO_UDP, ulen);
	uint16_t raw = 0, ck;

	rte_raw_cksum_mbuf(m, l4, ulen, &raw);
	ck = (uint16_t)~wg_net_fold(sum + raw);
	return ck == 0 ? 0xffff : ck;
}

int
wg_net_hdr_build(const struct wg_net_path *path, struct wg_net_hdr *h)
{
	bool v6 = path->dst.family == WG_AF_INET6;
	uint8_t *ip, *u;
	uint16_t a[4];

	memset(h, 0, sizeof(*h));      /* len 0: unusable, until the end */
	if (path->src.family != path->dst.family ||
	    (!v6 && path->dst.family != WG_AF_INET) ||
	    path->src.port == 0 || path->dst.port == 0 ||
	    path->vlan > WG_NET_VID_MAX)
		return -EINVAL;
	h->v6 = v6;
	h->l2_len = WG_NET_ETH_LEN + (path->vlan != 0 ? WG_NET_VLAN_LEN : 0);
	h->l3_len = v6 ? WG_NET_IP6_LEN : WG_NET_IP4_LEN;
	h->len = h->l2_len + h->l3_len + WG_NET_UDP_LEN;
	ip = wg_net_put_eth(h->bytes, path->dst_mac, path->src_mac, path->vlan,
			    v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	u = ip + h->l3_len;
	memcpy(u, &path->src.port, 2);
	memcpy(u + 2, &path->dst.port, 2);
	if (v6) {
		wg_net_put_ip6(ip, 0, IPPROTO_UDP, WG_NET_TTL,
			       path->src.addr.v6, path->dst.addr.v6);
	} else {
		/* No DF: see wg_net_encap(). */
		ip[0] = 0x45;
		ip[8] = WG_NET_TTL;
		ip[9] = IPPROTO_UDP;
		memcpy(ip + 12, path->src.addr.v4, 4);
		memcpy(ip + 16, path->dst.addr.v4, 4);
		/* In memory order, as rte_raw_cksum() sums: the total
		 * length and the ID are added per packet. */
		memcpy(a, path->src.addr.v4, 4);
		memcpy(a + 2, path->dst.addr.v4, 4);
		h->ip4_sum = rte_cpu_to_be_16(0x4500) +
			     rte_cpu_to_be_16((WG_NET_TTL << 8) | IPPROTO_UDP) +
			     (uint32_t)a[0] + a[1] + a[2] + a[3];
	}
	h->tx_offload = rte_mbuf_tx_offload(h->l2_len, h->l3_len,
					    WG_NET_UDP_LEN, 0, 0, 0, 0);
	h->packet_type = (path->vlan != 0 ? RTE_PTYPE_L2_ETHER_VLAN :
			  RTE_PTYPE_L2_ETHER) |
		(v6 ? RTE_PTYPE_L3_IPV6 : RTE_PTYPE_L3_IPV4) | RTE_PTYPE_L4_UDP;
	return 0;
}

/*
 * The IPv4 ID of a message (wg_net_encap()): rte_raw_cksum() of its first
 * 16 bytes, here in two 8-byte loads (every data and handshake message has
 * 16), the generic loop for shorter ones. The message may start in a later
 * segment: a duplicate is an empty header mbuf chained to the payload.
 */
static uint16_t
wg_net_ip_id(const struct rte_mbuf *m)
{
	const uint64_t lanes = 0x0000ffff0000ffffULL;
	uint8_t head[16];
	const uint8_t *msg = rte_pktmbuf_read(m, 0, sizeof(head), head);
	uint64_t a, b, t;
	uint32_t sum, n;

	if (msg == NULL) {
		n = RTE_MIN(rte_pktmbuf_pkt_len(m), (uint32_t)sizeof(head));
		msg = rte_pktmbuf_read(m, 0, n, head);
		return msg != NULL ? rte_raw_cksum(msg, n) : 0;
	}
	memcpy(&a, msg, 8);
	memcpy(&b, msg + 8, 8);
	/* Eight 16-bit words summed exactly, as rte_raw_cksum() does,
	 * then folded as it folds. */
	t = (a & lanes) + (b & lanes) + ((a >> 16) & lanes) +
	    ((b >> 16) & lanes);
	sum = (uint32_t)t + (uint32_t)(t >> 32);
	sum = ((sum & 0xffff0000) >> 16) + (sum & 0xffff);
	sum = ((sum & 0xffff0000) >> 16) + (sum & 0xffff);
	return (uint16_t)sum;
}

int
wg_net_encap_hdr(struct rte_mbuf *m, const struct wg_net_hdr *h,
		 bool tx_cksum_offload)
{
	uint32_t ulen = rte_pktmbuf_pkt_len(m) + WG_NET_UDP_LEN;
	uint16_t id = 0;
	uint8_t *p, *ip, *u;

	if (h->len == 0)
		return -EINVAL;
	if (ulen + (h->v6 ? 0 : WG_NET_IP4_LEN) > UINT16_MAX)
		return -EMSGSIZE;
	if (!h->v6)
		id = wg_net_ip_id(m);
	p = (uint8_t *)rte_pktmbuf_prepend(m, h->len);
	if (p == NULL)
		return -ENOSPC;
	rte_memcpy(p, h->bytes, h->len);
	ip = p + h->l2_len;
	u = ip + h->l3_len;
	wg_net_wr16(u + 4, (uint16_t)ulen);
	if (h->v6) {
		wg_net_wr16(ip + 4, (uint16_t)ulen);
	} else {
		uint16_t tot = (uint16_t)(ulen + WG_NET_IP4_LEN);

		wg_net_wr16(ip + 2, tot);
		wg_net_wr16(ip + 4, id);
		/* Summed from the values: reading back the header just
		 * written would stall on store forwarding. */
		wg_net_wr_cksum(ip + 10, (uint16_t)~wg_net_fold(wg_net_fold(
			h->ip4_sum + rte_cpu_to_be_16(tot) +
			rte_cpu_to_be_16(id))));
	}
	m->ol_flags &= ~RTE_MBUF_F_TX_OFFLOAD_MASK;
	/* One store: bit-field writes read the word back. */
	m->tx_offload = h->tx_offload;
	m->packet_type = h->packet_type;
	if (tx_cksum_offload) {
		m->ol_flags |= (h->v6 ? RTE_MBUF_F_TX_IPV6 :
				RTE_MBUF_F_TX_IPV4) | RTE_MBUF_F_TX_UDP_CKSUM;
		/* The DPDK helpers take the header structs: both are
		 * packed, so any alignment is fine. */
		wg_net_wr_cksum(u + 6, h->v6 ?
			rte_ipv6_phdr_cksum((const struct rte_ipv6_hdr *)ip,
					    m->ol_flags) :
			rte_ipv4_phdr_cksum((const struct rte_ipv4_hdr *)ip,
					    m->ol_flags));
	} else if (h->v6) {
		wg_net_wr_cksum(u + 6, wg_net_udp6_cksum(m, ip, h->l2_len +
							 h->l3_len,
							 (uint16_t)ulen));
	}
	return 0;
}

int
wg_net_encap(struct rte_mbuf *m, const struct wg_net_path *path,
	     bool tx_cksum_offload)
{
	struct wg_net_hdr h;
	int ret = wg_net_hdr_build(path, &h);

	return ret != 0 ? ret : wg_net_encap_hdr(m, &h, tx_cksum_offload);
}

/*
 * ARP and ND.
 */

void
wg_net_solicited_node(const uint8_t addr[16], uint8_t group[16],
		      struct rte_ether_addr *mac)
{
	static const uint8_t prefix[13] = {
		0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff,
	};

	if (group != NULL) {
		memcpy(group, prefix, sizeof(prefix));
		memcpy(group + 13, addr + 13, 3);
	}
	if (mac != NULL) {
		mac->addr_bytes[0] = 0x33;
		mac->addr_bytes[1] = 0x33;
		mac->addr_bytes[2] = 0xff;
		memcpy(&mac->addr_bytes[3], addr + 13, 3);
	}
}

static bool
wg_net_arp_reply(uint8_t *p, uint32_t len, const struct wg_net_info *info,
		 const struct rte_ether_addr *mac)
{
	uint8_t *a = p + info->l3_off;
	uint8_t sha[RTE_ETHER_ADDR_LEN], spa[4], tpa[4];

	if (len < info->l3_off || len - info->l3_off < WG_NET_ARP_LEN)
		return false;
	memcpy(sha, a + 8, sizeof(sha));
	memcpy(spa, a + 14, sizeof(spa));
	memcpy(tpa, a + 24, sizeof(tpa));
	memcpy(p, sha, RTE_ETHER_ADDR_LEN);
	memcpy(p + 6, mac->addr_bytes, RTE_ETHER_ADDR_LEN);
	wg_net_wr16(a + 6, RTE_ARP_OP_REPLY);
	memcpy(a + 8, mac->addr_bytes, RTE_ETHER_ADDR_LEN);
	memcpy(a + 14, tpa, 4);
	memcpy(a + 18, sha, RTE_ETHER_ADDR_LEN);
	memcpy(a + 24, spa, 4);
	return true;
}

static void
wg_net_icmp6_cksum(uint8_t *ip, uint16_t plen)
{
	uint8_t *icmp = ip + WG_NET_IP6_LEN;
	uint32_t sum = wg_net_phdr_sum(ip + 8, 32, WG_NET_ICMP6, plen);

	wg_net_wr16(icmp + 2, 0);
	sum += rte_raw_cksum(icmp, plen);
	wg_net_wr_cksum(icmp + 2, (uint16_t)~wg_net_fold(sum));
}

/* The NA: ICMPv6 header, target, and our target link-layer option. */
static void
wg_net_put_na(uint8_t *icmp, const uint8_t *target, bool dad,
	      const struct rte_ether_addr *mac)
{
	memset(icmp, 0, WG_NET_ND_LEN);
	icmp[0] = WG_NET_ND_NA_TYPE;
	icmp[4] = dad ? WG_NET_NA_O : WG_NET_NA_S | WG_NET_NA_O;
	memcpy(icmp + 8, target, 16);
	icmp[24] = WG_NET_OPT_TLLA;
	icmp[25] = 1;
	memcpy(icmp + 26, mac->addr_bytes, RTE_ETHER_ADDR_LEN);
}

static bool
wg_net_nd_reply(struct rte_mbuf *m, const struct wg_net_info *info,
		const struct rte_ether_addr *mac)
{
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
	static const uint8_t all_nodes_mac[RTE_ETHER_ADDR_LEN] = {
		0x33, 0x33, 0, 0, 0, 1,
	};
	const uint16_t plen = WG_NET_ND_LEN + WG_NET_LLOPT_LEN;
	uint32_t need = (uint32_t)info->l4_off + plen;
	uint32_t len = rte_pktmbuf_data_len(m);
	bool dad = (info->flags & WG_NET_F_DAD) != 0;
	uint8_t src[16], target[16], to_mac[RTE_ETHER_ADDR_LEN];
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *), *ip, *icmp;

	if (info->l4_off != info->l3_off + WG_NET_IP6_LEN ||
	    len < (uint32_t)info->l4_off + WG_NET_ND_LEN)
		return false;
	ip = p + info->l3_off;
	icmp = p + info->l4_off;
	if (len < need && rte_pktmbuf_append(m, need - len) == NULL)
		return false;
	if (len > need)
		rte_pktmbuf_trim(m, len - need);
	memcpy(src, ip + 8, 16);
	memcpy(target, icmp + 8, 16);
	if (dad)
		memcpy(to_mac, all_nodes_mac, sizeof(to_mac));
	else if (info->flags & WG_NET_F_LLADDR)
		memcpy(to_mac, info->lladdr, sizeof(to_mac));
	else
		memcpy(to_mac, p + 6, sizeof(to_mac));
	memcpy(p, to_mac, RTE_ETHER_ADDR_LEN);
	memcpy(p + 6, mac->addr_bytes, RTE_ETHER_ADDR_LEN);
	wg_net_put_ip6(ip, plen, WG_NET_ICMP6, 255, target,
		       dad ? all_nodes : src);
	wg_net_put_na(icmp, target, dad, mac);
	wg_net_icmp6_cksum(ip, plen);
	return true;
}

/* Replies carry their tag in the frame, like everything we send, so the
 * port needs no VLAN insertion offload. rte_vlan_insert() would refuse
 * the external buffers some PMDs receive into; the headroom is ours
 * either way. */
static void
wg_net_vlan_restore(struct rte_mbuf *m)
{
	uint8_t *p = (uint8_t *)rte_pktmbuf_prepend(m, WG_NET_VLAN_LEN);

	if (p == NULL)          /* the caller checked the headroom */
		return;
	memmove(p, p + WG_NET_VLAN_LEN, 12);
	wg_net_wr16(p + 12, RTE_ETHER_TYPE_VLAN);
	wg_net_wr16(p + 14, m->vlan_tci);
	m->ol_flags &= ~(RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED);
}

bool
wg_net_neigh_reply(struct rte_mbuf *m, const struct wg_net_info *info,
		   const struct rte_ether_addr *mac)
{
	bool stripped = (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) != 0;
	bool ok;

	/* Everything that can fail is checked before m is touched. */
	if (!rte_pktmbuf_is_contiguous(m) || rte_mbuf_refcnt_read(m) != 1 ||
	    (stripped && rte_pktmbuf_headroom(m) < WG_NET_VLAN_LEN))
		return false;
	if (info->class == WG_NET_ARP && info->op == WG_NET_ARP_REQUEST)
		ok = wg_net_arp_reply(rte_pktmbuf_mtod(m, uint8_t *),
				      rte_pktmbuf_data_len(m), info, mac);
	else if (info->class == WG_NET_ND && info->op == WG_NET_ND_NS)
		ok = wg_net_nd_reply(m, info, mac);
	else
		return false;
	if (ok && stripped)
		wg_net_vlan_restore(m);
	return ok;
}

static void
wg_net_arp_request(uint8_t *p, const struct rte_ether_addr *src_mac,
		   uint16_t vlan, const uint8_t *src, const uint8_t *target,
		   const struct rte_ether_addr *dst_mac)
{
	static const uint8_t bcast[RTE_ETHER_ADDR_LEN] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};
	uint8_t *a;

	a = wg_net_put_eth(p, dst_mac != NULL ? dst_mac->addr_bytes : bcast,
			   src_mac->addr_bytes, vlan, RTE_ETHER_TYPE_ARP);
	wg_net_wr16(a, RTE_ARP_HRD_ETHER);
	wg_net_wr16(a + 2, RTE_ETHER_TYPE_IPV4);
	a[4] = RTE_ETHER_ADDR_LEN;
	a[5] = 4;
	wg_net_wr16(a + 6, RTE_ARP_OP_REQUEST);
	memcpy(a + 8, src_mac->addr_bytes, RTE_ETHER_ADDR_LEN);
	memcpy(a + 14, src, 4);
	memset(a + 18, 0, RTE_ETHER_ADDR_LEN);
	memcpy(a + 24, target, 4);
}

static void
wg_net_ns_request(uint8_t *p, const struct rte_ether_addr *src_mac,
		  uint16_t vlan, const uint8_t *src, const uint8_t *target,
		  const struct rte_ether_addr *dst_mac)
{
	const uint16_t plen = WG_NET_ND_LEN + WG_NET_LLOPT_LEN;
	struct rte_ether_addr group_mac;
	uint8_t group[16], *ip, *icmp;

	wg_net_solicited_node(target, group, &group_mac);
	ip = wg_net_put_eth(p, dst_mac != NULL ? dst_mac->addr_bytes :
			    group_mac.addr_bytes, src_mac->addr_bytes, vlan,
			    RTE_ETHER_TYPE_IPV6);
	wg_net_put_ip6(ip, plen, WG_NET_ICMP6, 255, src,
		       dst_mac != NULL ? target : group);
	icmp = ip + WG_NET_IP6_LEN;
	memset(icmp, 0, WG_NET_ND_LEN);
	icmp[0] = WG_NET_ND_NS_TYPE;
	memcpy(icmp + 8, target, 16);
	icmp[24] = WG_NET_OPT_SLLA;
	icmp[25] = 1;
	memcpy(icmp + 26, src_mac->addr_bytes, RTE_ETHER_ADDR_LEN);
	wg_net_icmp6_cksum(ip, plen);
}

int
wg_net_neigh_request(struct rte_mbuf *m, const struct rte_ether_addr *src_mac,
		     uint16_t vlan, uint8_t family, const uint8_t *src,
		     const uint8_t *target,
		     const struct rte_ether_addr *dst_mac)
{
	uint32_t len = WG_NET_ETH_LEN + (vlan != 0 ? WG_NET_VLAN_LEN : 0);
	uint8_t *p;

	if (rte_pktmbuf_pkt_len(m) != 0 || vlan > WG_NET_VID_MAX)
		return -EINVAL;
	if (family == WG_AF_INET) {
		if (wg_net_bad_src4(src) || wg_net_bad_src4(target))
			return -EINVAL;
		/* Padded to the Ethernet minimum: not every port pads. */
		len = RTE_MAX(len + WG_NET_ARP_LEN, (uint32_t)WG_NET_ETH_MIN);
	} else if (family == WG_AF_INET6) {
		if (wg_net_bad_src6(src) || wg_net_bad_src6(target))
			return -EINVAL;
		len += WG_NET_IP6_LEN + WG_NET_ND_LEN + WG_NET_LLOPT_LEN;
	} else {
		return -EINVAL;
	}
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	if (p == NULL)
		return -ENOSPC;
	memset(p, 0, len);
	if (family == WG_AF_INET)
		wg_net_arp_request(p, src_mac, vlan, src, target, dst_mac);
	else
		wg_net_ns_request(p, src_mac, vlan, src, target, dst_mac);
	return 0;
}
