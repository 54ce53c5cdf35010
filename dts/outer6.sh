#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# dts/outer6.sh DPDK_WG: IPv6 on either side of the tunnel.
#
#  1. IPv6 outer, IPv4 inner: dpdk-wg's uplink is 2001:db8:1::1/64 (it
#     answers neighbour solicitations for it), its peer's endpoint
#     [2001:db8:1::2]:51821. Pings 10.9.0.x both ways; nobody answers
#     ND for 2001:db8:1::99.
#  2. IPv4 outer, IPv6 inner: TUN address fd00:9::1/64, AllowedIPs
#     fd00:9::2/128; ping -6 both ways, small and full-MTU.

# shellcheck source=SCRIPTDIR/lib.sh disable=SC2119
. "$(dirname "$0")/lib.sh" || exit 1
dts_init "$@"
dts_keys

wg_peer() {
	ip netns exec "$DTS_NS_G" wg set "$DTS_IF_G" peer "$DTS_PUB_D" remove
	ip netns exec "$DTS_NS_G" wg set "$DTS_IF_G" peer "$DTS_PUB_D" \
		allowed-ips "$1" || dts_fail "wg set peer"
}

check_endpoints() {
	local want_d=$1 want_g=$2 ep
	ep=$(dts_wg_endpoint "$DTS_NS_G" "$DTS_IF_G")
	[ "$ep" = "$want_g" ] ||
		dts_fail "wireguard-go sees dpdk-wg at '$ep', want $want_g"
	dts_stats_fresh
	dts_stats_last | sed 's/^/    /'
	ep=$(dts_peer_field endpoint)
	[ "$ep" = "$want_d" ] ||
		dts_fail "dpdk-wg's peer endpoint '$ep', want $want_d"
}

dts_start_wggo "$DTS_NS_G" "$DTS_IF_G"

# ------------------------------------------ 1. IPv6 outer, IPv4 inner
dts_log "== 1. IPv6 outer, IPv4 inner"
dts_wggo_conf "$DTS_NS_G" "$DTS_IF_G" g "$DTS_PORT_G" "$DTS_IN4_G/24" \
	"$DTS_PUB_D" "$DTS_IN4_D/32"
dts_conf "$DTS_WORK/d6.conf" "priv=$(dts_key d)" "peer=$DTS_PUB_G" \
	"up_addr=$DTS_OUT6_D/64" "endpoint=[$DTS_OUT6_G]:$DTS_PORT_G"
dts_start_dpdk_wg "$DTS_WORK/d6.conf"
dts_ping_until "$DTS_NS_D" "$DTS_IN4_G" 10 ||
	dts_fail "no echo within 10 s over IPv6 (ND + handshake)"
dts_ping "$DTS_NS_D" "$DTS_IN4_G" 10 || dts_fail "pings from dpdk-wg's side lost"
dts_ping "$DTS_NS_D" "$DTS_IN4_G" 5 -s 1392 -M "do" ||
	dts_fail "full-MTU pings from dpdk-wg's side lost"
dts_ping "$DTS_NS_G" "$DTS_IN4_D" 10 || dts_fail "pings from wireguard-go's side lost"
dts_ping "$DTS_NS_G" "$DTS_IN4_D" 5 -s 1392 -M "do" ||
	dts_fail "full-MTU pings from wireguard-go's side lost"
check_endpoints "[$DTS_OUT6_G]:$DTS_PORT_G" "[$DTS_OUT6_D]:$DTS_PORT"
# wireguard-go's kernel learnt dpdk-wg's MAC by ND...
ip -n "$DTS_NS_G" -6 neigh show "$DTS_OUT6_D" | sed 's/^/    neigh: /'
ip -n "$DTS_NS_G" -6 neigh show "$DTS_OUT6_D" | grep -q lladdr ||
	dts_fail "no neighbour entry for $DTS_OUT6_D on wireguard-go's side"
# ...and nobody answers for an address that is not dpdk-wg's
ip netns exec "$DTS_NS_G" ping -6 -n -c 2 -i 0.3 -W 1 2001:db8:1::99 >/dev/null 2>&1
! ip -n "$DTS_NS_G" -6 neigh show 2001:db8:1::99 | grep -q lladdr ||
	dts_fail "someone answered ND for 2001:db8:1::99"
dts_check_wggo_log
dts_stop_dpdk_wg || dts_fail "dpdk-wg did not stop cleanly"

# ------------------------------------------ 2. IPv4 outer, IPv6 inner
dts_log "== 2. IPv4 outer, IPv6 inner"
wg_peer "$DTS_IN6_D/128"
ip -n "$DTS_NS_G" -6 addr add "$DTS_IN6_G/64" dev "$DTS_IF_G" nodad ||
	dts_fail "address $DTS_IN6_G"
dts_conf "$DTS_WORK/d4.conf" "priv=$(dts_key d)" "peer=$DTS_PUB_G" \
	"addr=$DTS_IN6_D/64" "allowed=$DTS_IN6_G/128" \
	"endpoint=$DTS_OUT4_G:$DTS_PORT_G"
dts_start_dpdk_wg "$DTS_WORK/d4.conf"
dts_ping_until "$DTS_NS_D" "$DTS_IN6_G" 10 -6 ||
	dts_fail "no IPv6 echo within 10 s"
dts_ping "$DTS_NS_D" "$DTS_IN6_G" 10 -6 || dts_fail "ping -6 from dpdk-wg's side lost"
dts_ping "$DTS_NS_D" "$DTS_IN6_G" 5 -6 -s 1372 -M "do" ||
	dts_fail "full-MTU ping -6 from dpdk-wg's side lost"
dts_ping "$DTS_NS_G" "$DTS_IN6_D" 10 -6 || dts_fail "ping -6 from wireguard-go's side lost"
dts_ping "$DTS_NS_G" "$DTS_IN6_D" 5 -6 -s 1372 -M "do" ||
	dts_fail "full-MTU ping -6 from wireguard-go's side lost"
check_endpoints "$DTS_OUT4_G:$DTS_PORT_G" "$DTS_OUT4_D:$DTS_PORT"
dts_check_wggo_log
dts_stop_dpdk_wg || dts_fail "dpdk-wg did not stop cleanly"

dts_log "PASS"
exit 0
