/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef WG_NET_H
#define WG_NET_H

/**
 * @file
 * The outer (uplink) side of dpdk-wg's packets, on DPDK mbufs: sort a
 * received frame (WireGuard UDP, ARP, Neighbour Discovery, other, drop),
 * put Ethernet/802.1Q/IP/UDP headers in front of a sealed message, answer
 * ARP requests and Neighbour Solicitations in place, and build requests.
 *
 * Every function is reentrant and keeps no state, so worker lcores call
 * them on their own mbufs without locks. Which addresses are ours, and the
 * neighbour cache, belong to the caller (lib/neigh holds the cache).
 *
 * Parsing trusts nothing in the frame: every length is checked against
 * the mbuf before a byte is read, and a frame that is truncated or
 * inconsistent anywhere is WG_NET_DROP. Headers (Ethernet to UDP, and a
 * whole ARP or ND message) must lie in the first segment; a UDP payload
 * may run on into later segments (payload_len counts it all) and the
 * caller must then read it segment-aware (rte_pktmbuf_read()). The L2
 * destination is not checked: the port's MAC filter does that.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "wg_endpoint.h"

/** What a received frame is. */
enum wg_net_class {
	/** Malformed, truncated, or not acceptable from the wire (bad
	 * checksum, multicast source, ND hop limit not 255, ...): count and
	 * free it. */
	WG_NET_DROP = 0,
	/** A well-formed UDP datagram over IPv4 or IPv6; the caller checks
	 * dst (address and port) against its uplink addresses and port. */
	WG_NET_UDP,
	/** An ARP request or reply for IPv4 over Ethernet. */
	WG_NET_ARP,
	/** An ICMPv6 Neighbour Solicitation or Advertisement that passed
	 * RFC 4861 section 7.1 validation (hop limit 255, checksum, code,
	 * length, options). */
	WG_NET_ND,
	/** Well-formed but none of the above: other EtherTypes, IPv4
	 * fragments, other IP protocols, IPv6 extension headers, other
	 * ICMPv6, more than one VLAN tag, other ARP opcodes. */
	WG_NET_OTHER,
};

/** wg_net_info.op for WG_NET_ARP and WG_NET_ND. */
enum wg_net_neigh_op {
	WG_NET_ARP_REQUEST = 1,
	WG_NET_ARP_REPLY,
	WG_NET_ND_NS,
	WG_NET_ND_NA,
};

/*
 * wg_net_info.flags for WG_NET_ARP and WG_NET_ND. SOLICITED and OVERRIDE
 * have the values of WG_NEIGH_F_SOLICITED and WG_NEIGH_F_OVERRIDE, so
 * (flags & (WG_NET_F_SOLICITED | WG_NET_F_OVERRIDE)) is what
 * wg_neigh_learn() takes for (src, lladdr).
 */
/** The NA S flag; for ARP, a reply sent to a unicast MAC (to us). */
#define WG_NET_F_SOLICITED 0x01
/** The NA O flag; always set for ARP and for NS. */
#define WG_NET_F_OVERRIDE 0x02
/** lladdr is the link-layer address of src (ARP sender not 0.0.0.0; NS
 * source link-layer option; NA target link-layer option). */
#define WG_NET_F_LLADDR 0x04
/** The NA R flag (the sender is a router). */
#define WG_NET_F_ROUTER 0x08
/** An NS from :: (duplicate address detection); an ARP probe (sender
 * 0.0.0.0, RFC 5227). */
#define WG_NET_F_DAD 0x10

/** What wg_net_parse() found; only the fields of the class are set, the
 * others are zero. */
struct wg_net_info {
	uint8_t class;           /**< enum wg_net_class */
	/** WG_AF_INET (IPv4, ARP) or WG_AF_INET6 (IPv6, ND); 0 when the
	 * frame is not IP or ARP. */
	uint8_t family;
	/** VLAN ID of the 802.1Q tag in the frame, or of the tag the port
	 * stripped (RTE_MBUF_F_RX_VLAN_STRIPPED); 0: untagged or priority
	 * tagged. */
	uint16_t vlan;
	uint16_t l3_off;         /**< IPv4, IPv6 or ARP header */
	uint16_t l4_off;         /**< UDP or ICMPv6 header; 0 for ARP */
	/** UDP: the payload (the WireGuard message) and its length, from
	 * the UDP length (bytes beyond it, Ethernet padding included, are
	 * not payload). ND: the options. */
	uint16_t payload_off;
	uint16_t payload_len;
	uint8_t op;              /**< ARP and ND: enum wg_net_neigh_op */
	uint8_t flags;           /**< ARP and ND: WG_NET_F_* */
	uint8_t lladdr[RTE_ETHER_ADDR_LEN]; /**< with WG_NET_F_LLADDR */
	/**
	 * UDP: source and destination addresses and ports (network order).
	 * ARP and ND (port 0): src is the address lladdr belongs to (ARP
	 * sender, NS IPv6 source, NA target) and dst the address asked
	 * about or announced (ARP target, NS or NA target): a request is
	 * for us when dst is one of our addresses.
	 */
	struct wg_endpoint src, dst;
};

/**
 * Sort a received frame. Never reads outside the first segment's data.
 *
 * Accepted: Ethernet II; at most one 802.1Q tag (VID 4095 is DROP, a tag
 * inside a stripped one or a QinQ tag is OTHER); IPv4 with options (IHL
 * at least 5, total length within the frame, header checksum valid unless
 * the port says it checked it); IPv6 without extension headers; UDP whose
 * length is at least 8 and at most the IP payload (shorter is trimmed, as
 * Linux does), ports not 0, IPv6 checksum not 0, source address unicast
 * (not 0.0.0.0, 127/8, 224/3, ::, ::1, ff00::/8). The UDP
 * checksum is not verified here (see wg_net_udp_cksum_ok()) but a port's
 * RTE_MBUF_F_RX_L4_CKSUM_BAD is DROP.
 *
 * @param info  filled in; info->class is the return value
 */
enum wg_net_class wg_net_parse(const struct rte_mbuf *m,
			       struct wg_net_info *info);

/**
 * Verify the UDP checksum of a frame wg_net_parse() called WG_NET_UDP, in
 * software unless the port verified it (RTE_MBUF_F_RX_L4_CKSUM_GOOD or
 * _NONE); segment-aware. An IPv4 checksum of 0 means none and passes.
 *
 * The AEAD authenticates every WireGuard message, so this is optional on
 * the data path; it guards the one thing the AEAD does not cover, the
 * outer ports and addresses a peer's endpoint roams to.
 */
bool wg_net_udp_cksum_ok(const struct rte_mbuf *m,
			 const struct wg_net_info *info);

/** Where and how a peer's packets leave an uplink. */
struct wg_net_path {
	uint8_t src_mac[RTE_ETHER_ADDR_LEN];    /**< the uplink port's */
	uint8_t dst_mac[RTE_ETHER_ADDR_LEN];    /**< the next hop's */
	uint16_t vlan;           /**< VID 1..4094 for a tagged uplink, 0 */
	/** Our uplink address and ListenPort, the peer's endpoint; same
	 * family, ports in network order and not 0. */
	struct wg_endpoint src, dst;
};

/** Bytes wg_net_encap() puts in front: 42, 46 (VLAN), 62 or 66 (IPv6). */
size_t wg_net_encap_len(const struct wg_net_path *path);

/**
 * Put Ethernet (and 802.1Q), IPv4 or IPv6, and UDP headers in front of
 * the payload at m's data start (the WireGuard message, any number of
 * segments): lengths, TTL/hop limit 64, IPv4 header checksum in software.
 *
 * IPv4 goes without DF, as the kernel's WireGuard sends it, so a router
 * on a narrower path fragments rather than drops. Its ID is the ones'
 * complement sum of the first 16 payload bytes: for a data message that
 * is the receiver index plus the counter, so 65535 consecutive packets of
 * a session get distinct IDs with no state shared between lcores; the
 * random ephemeral keys do the same for handshake messages.
 *
 * UDP checksum: with tx_cksum_offload (the port has
 * RTE_ETH_TX_OFFLOAD_UDP_CKSUM), set by the port for both families
 * (RTE_MBUF_F_TX_IPV4/6 | RTE_MBUF_F_TX_UDP_CKSUM, l2_len, l3_len and the
 * pseudo-header sum); without, 0 for IPv4 (RFC 768 allows it) and
 * computed in software for IPv6, where it is mandatory. Any other TX
 * offload flag m carried is cleared; the tag is always in the frame, so
 * no VLAN insertion offload is needed.
 *
 * @return 0; -EINVAL (path families differ or unknown, a port 0, VID
 *   4095 or more); -EMSGSIZE (the datagram would exceed 65535 bytes);
 *   -ENOSPC (not enough headroom in the first segment). m is unchanged
 *   on error.
 */
int wg_net_encap(struct rte_mbuf *m, const struct wg_net_path *path,
		 bool tx_cksum_offload);

/** The longest outer headers: Ethernet, 802.1Q, IPv6, UDP. */
#define WG_NET_HDR_MAX 66

/**
 * A path's outer headers, built once (when the path is published) for
 * every packet sent on it: what wg_net_encap() writes, without the
 * lengths, the IPv4 ID and the checksums.
 */
struct wg_net_hdr {
	uint8_t len;             /**< 42, 46, 62 or 66; 0: not built */
	uint8_t l2_len, l3_len;
	bool v6;
	uint32_t ip4_sum;        /**< IPv4: sum of the header's fixed words */
	uint32_t packet_type;
	uint64_t tx_offload;     /**< l2_len, l3_len, l4_len for the mbuf */
	uint8_t bytes[WG_NET_HDR_MAX];  /**< then the bytes, as they go */
};

/**
 * Build path's headers into h, checking path as wg_net_encap() does.
 * @return 0, or -EINVAL (h->len is then 0: wg_net_encap_hdr() refuses it).
 */
int wg_net_hdr_build(const struct wg_net_path *path, struct wg_net_hdr *h);

/**
 * wg_net_encap() with headers wg_net_hdr_build() made: the same frame,
 * the same mbuf fields, the same errors (-EINVAL: h was not built).
 */
int wg_net_encap_hdr(struct rte_mbuf *m, const struct wg_net_hdr *h,
		     bool tx_cksum_offload);

/**
 * Turn an ARP request or a Neighbour Solicitation for one of our
 * addresses into the reply, in place: the caller has checked that
 * info->dst (the target) is ours, and m and info are as wg_net_parse()
 * left them.
 *
 * ARP: a reply from mac to the requester's hardware address. NS: an NA
 * from the target to the solicitation's source with flags S and O and our
 * target link-layer option, or, for duplicate address detection (source
 * ::), to ff02::1 with O only (RFC 4861 section 7.2.4); the frame is
 * resized to the NA. The VLAN tag is kept; a tag the port stripped is put
 * back into the frame.
 *
 * @param mac  our MAC on the uplink
 * @return true: send m back out of the port it came from; false: m is not
 *   a request this function answers, or is shared, segmented or without
 *   room; m is then unchanged (free it).
 */
bool wg_net_neigh_reply(struct rte_mbuf *m, const struct wg_net_info *info,
			const struct rte_ether_addr *mac);

/**
 * Build an ARP who-has (IPv4) or a Neighbour Solicitation with our
 * source link-layer option (IPv6) into an empty mbuf.
 *
 * @param src_mac  our MAC on the uplink
 * @param vlan     VID of the uplink, 0 for none
 * @param src      our address on the uplink (4 or 16 bytes)
 * @param target   the address to resolve
 * @param dst_mac  NULL: broadcast (ARP) or the solicited-node multicast
 *   group of target (NS); else a unicast probe of a known neighbour
 *   (wg_neigh_request.unicast): sent to dst_mac, and for NS to target.
 * @return 0; -EINVAL (m not empty, family, VID, src unspecified or
 *   multicast, target not unicast); -ENOSPC (no room in m).
 */
int wg_net_neigh_request(struct rte_mbuf *m,
			 const struct rte_ether_addr *src_mac, uint16_t vlan,
			 uint8_t family, const uint8_t *src,
			 const uint8_t *target,
			 const struct rte_ether_addr *dst_mac);

/**
 * The solicited-node multicast group of an IPv6 address (ff02::1:ffXX:XXXX)
 * and its MAC (33:33:ff:XX:XX:XX). A port must receive that MAC for each
 * of our IPv6 addresses (rte_eth_dev_set_mc_addr_list(), or all-multicast)
 * or it never sees the solicitations for them.
 *
 * @param group  if not NULL, the group address
 * @param mac    if not NULL, its MAC
 */
void wg_net_solicited_node(const uint8_t addr[16], uint8_t group[16],
			   struct rte_ether_addr *mac);

#endif /* WG_NET_H */
