#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# dts/handshake.sh DPDK_WG: the handshake with wireguard-go, both ways.
#
#  1. dpdk-wg initiates: it has the Endpoint, wireguard-go has none. The
#     first ping from dpdk-wg's namespace needs ARP (answered by dpdk-wg's
#     kernel-less uplink), an initiation from dpdk-wg and the response.
#  2. wireguard-go initiates: dpdk-wg has no Endpoint and must learn it
#     from the initiation; wireguard-go has Endpoint 192.0.2.1:51820 (so
#     it must ARP for dpdk-wg's uplink address).
#  3. dpdk-wg initiates to an off-link endpoint (198.51.100.2) through
#     its Gateway (192.0.2.254): it must ARP for the gateway, never for
#     the endpoint, and send to the gateway's MAC.
#
# Both parts then ping both ways through the tunnel, small and full-MTU
# (1420-byte inner packets), and check wireguard-go's latest handshake,
# its log (nothing from dpdk-wg rejected) and dpdk-wg's stats (endpoint,
# handshake, counters).

# shellcheck source=SCRIPTDIR/lib.sh disable=SC2119
. "$(dirname "$0")/lib.sh" || exit 1
dts_init "$@"

# Tunnel pings, both directions, small and full size.
pings_both_ways() {
	dts_log "ping $DTS_IN4_G from dpdk-wg's namespace"
	dts_ping "$DTS_NS_D" "$DTS_IN4_G" 10 ||
		dts_fail "pings from dpdk-wg's side lost"
	dts_ping "$DTS_NS_D" "$DTS_IN4_G" 5 -s 1392 -M "do" ||
		dts_fail "full-MTU pings from dpdk-wg's side lost"
	dts_log "ping $DTS_IN4_D from wireguard-go's namespace"
	dts_ping "$DTS_NS_G" "$DTS_IN4_D" 10 ||
		dts_fail "pings from wireguard-go's side lost"
	dts_ping "$DTS_NS_G" "$DTS_IN4_D" 5 -s 1392 -M "do" ||
		dts_fail "full-MTU pings from wireguard-go's side lost"
}

check_sides() {
	local hs ep dec enc hsd
	hs=$(dts_wg_handshake "$DTS_NS_G" "$DTS_IF_G")
	ep=$(dts_wg_endpoint "$DTS_NS_G" "$DTS_IF_G")
	dts_log "wireguard-go: latest handshake ${hs:-none}, endpoint ${ep:-none}"
	[ "${hs:-0}" != 0 ] || dts_fail "wg show: no handshake"
	[ "$ep" = "$DTS_OUT4_D:$DTS_PORT" ] ||
		dts_fail "wireguard-go sees dpdk-wg at '$ep', want $DTS_OUT4_D:$DTS_PORT"
	dts_check_wggo_log
	dts_stats_fresh
	dts_stats_last | sed 's/^/    /'
	dec=$(dts_stat decrypted)
	enc=$(dts_stat encrypted)
	ep=$(dts_peer_field endpoint)
	hsd=$(dts_peer_field handshake)
	[ "${dec:-0}" -ge 30 ] || dts_fail "dpdk-wg decrypted ${dec:-?} packets, want >= 30"
	[ "${enc:-0}" -ge 30 ] || dts_fail "dpdk-wg encrypted ${enc:-?} packets, want >= 30"
	[ "$ep" = "$DTS_OUT4_G:$DTS_PORT_G" ] ||
		dts_fail "dpdk-wg's peer endpoint '$ep', want $DTS_OUT4_G:$DTS_PORT_G"
	case $hsd in
	"" | never) dts_fail "dpdk-wg's stats show no handshake ($hsd)" ;;
	esac
}

dts_keys

# ------------------------------------------------ 1. dpdk-wg initiates
dts_log "== 1. handshake initiated by dpdk-wg"
dts_tunnel_up dpdk
dts_ping_until "$DTS_NS_D" "$DTS_IN4_G" 10 ||
	dts_fail "no echo within 10 s of the first ping (ARP + handshake)"
pings_both_ways
check_sides
# who initiated: wireguard-go logs receiving an initiation
grep -q "Received handshake initiation" \
	"$DTS_WORK/wireguard-go-$DTS_IF_G.log" ||
	dts_fail "wireguard-go never received an initiation from dpdk-wg"
dts_stop_dpdk_wg || dts_fail "dpdk-wg did not stop cleanly"
dts_stats_last | sed "s/^/    final: /"

# ------------------------------------------- 2. wireguard-go initiates
dts_log "== 2. handshake initiated by wireguard-go"
# A fresh peer on wireguard-go's side, now with dpdk-wg's endpoint.
ip netns exec "$DTS_NS_G" wg set "$DTS_IF_G" peer "$DTS_PUB_D" remove ||
	dts_fail "wg set peer remove"
ip netns exec "$DTS_NS_G" wg set "$DTS_IF_G" peer "$DTS_PUB_D" \
	allowed-ips "$DTS_IN4_D/32" endpoint "$DTS_OUT4_D:$DTS_PORT" ||
	dts_fail "wg set peer"
sent_before=$(grep -c "Sending handshake initiation" \
	"$DTS_WORK/wireguard-go-$DTS_IF_G.log")
dts_tunnel_up wggo
dts_stats_fresh
ep=$(dts_peer_field endpoint)
[ "$ep" = "(none)" ] || dts_fail "dpdk-wg has endpoint '$ep' before any handshake"
dts_ping_until "$DTS_NS_G" "$DTS_IN4_D" 10 ||
	dts_fail "no echo within 10 s of wireguard-go's first ping"
sent_after=$(grep -c "Sending handshake initiation" \
	"$DTS_WORK/wireguard-go-$DTS_IF_G.log")
[ "$sent_after" -gt "$sent_before" ] ||
	dts_fail "wireguard-go did not initiate"
pings_both_ways
check_sides
dts_stop_dpdk_wg || dts_fail "dpdk-wg did not stop cleanly"
dts_stats_last | sed "s/^/    final: /"

# ------------------------------------- 3. off-link peer via the Gateway
# wireguard-go's namespace doubles as the router: 192.0.2.254 on its veth,
# and the endpoint 198.51.100.2 on its loopback, off dpdk-wg's subnet.
dts_log "== 3. off-link endpoint through the Gateway"
gw=192.0.2.254
far=198.51.100.2
ip -n "$DTS_NS_G" addr add "$gw/24" dev "$DTS_VETH_G" || dts_fail "address $gw"
ip -n "$DTS_NS_G" addr add "$far/32" dev lo || dts_fail "address $far"
ip netns exec "$DTS_NS_G" wg set "$DTS_IF_G" peer "$DTS_PUB_D" remove ||
	dts_fail "wg set peer remove"
ip netns exec "$DTS_NS_G" wg set "$DTS_IF_G" peer "$DTS_PUB_D" \
	allowed-ips "$DTS_IN4_D/32" || dts_fail "wg set peer"
dts_pcap_start "$DTS_NS_G" "$DTS_VETH_G" gateway
dts_conf "$DTS_WORK/gw.conf" "priv=$(dts_key d)" "peer=$DTS_PUB_G" \
	"endpoint=$far:$DTS_PORT_G" "gw=$gw"
dts_start_dpdk_wg "$DTS_WORK/gw.conf"
dts_ping_until "$DTS_NS_D" "$DTS_IN4_G" 10 ||
	dts_fail "no echo within 10 s through the gateway"
dts_ping "$DTS_NS_D" "$DTS_IN4_G" 5 || dts_fail "pings through the gateway lost"
dts_ping "$DTS_NS_G" "$DTS_IN4_D" 5 || dts_fail "pings through the gateway lost"
dts_pcap_stop
gw_mac=$(ip -n "$DTS_NS_G" link show "$DTS_VETH_G" | awk '/link\/ether/ {print $2}')
dts_stats_fresh
dts_stats_last | sed 's/^/    /'
[ "$(dts_peer_field endpoint)" = "$far:$DTS_PORT_G" ] ||
	dts_fail "dpdk-wg's peer endpoint '$(dts_peer_field endpoint)', want $far:$DTS_PORT_G"
dts_stats_last | grep -q "path wan0 via $gw_mac " ||
	dts_fail "dpdk-wg's path does not go via the gateway's MAC $gw_mac"
n=$(tcpdump -nr "$DTS_WORK/gateway.pcap" "arp and arp[24:4] = 0xc00002fe" \
	2>/dev/null | grep -c "Request who-has $gw")
[ "$n" -ge 1 ] || dts_fail "dpdk-wg never asked for the gateway's MAC"
n=$(tcpdump -nr "$DTS_WORK/gateway.pcap" "arp" 2>/dev/null |
	grep -c "who-has $far")
[ "$n" -eq 0 ] || dts_fail "dpdk-wg sent ARP for the off-link endpoint $far"
dts_check_wggo_log
dts_stop_dpdk_wg || dts_fail "dpdk-wg did not stop cleanly"

dts_log "PASS"
exit 0
