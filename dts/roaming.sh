#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# dts/roaming.sh DPDK_WG: dpdk-wg follows its peer to a new endpoint.
#
# dpdk-wg starts the tunnel to 192.0.2.2:51821; wireguard-go sends a
# persistent keepalive every second. While dpdk-wg pings through the
# tunnel (5 per second):
#  1. wireguard-go moves to port 51822 (wg set listen-port): its old
#     socket is gone, so dpdk-wg's echoes reach it only once dpdk-wg
#     took the new source port from an authenticated packet;
#  2. wireguard-go moves to address 192.0.2.3 (added, then 192.0.2.2
#     removed, and back to port 51821 so that wireguard-go drops its
#     sticky source address): dpdk-wg must ARP for the new address and
#     follow again.
# After each move the pings must come back (a few lost during the move
# are allowed), dpdk-wg's stats must show the new endpoint, and the
# capture on wireguard-go's side must show dpdk-wg sending to it.
#  3. wireguard-go's veth changes MAC (same address and port) and ARPs
#     for dpdk-wg's address from it: dpdk-wg's echoes must reach it
#     within 5 s (its path must take the new MAC).

# shellcheck source=SCRIPTDIR/lib.sh disable=SC2119
. "$(dirname "$0")/lib.sh" || exit 1
dts_init "$@"

new_port=$((DTS_PORT_G + 1))
new_addr=192.0.2.3

dts_keys
dts_start_wggo "$DTS_NS_G" "$DTS_IF_G"
dts_wggo_conf "$DTS_NS_G" "$DTS_IF_G" g "$DTS_PORT_G" "$DTS_IN4_G/24" \
	"$DTS_PUB_D" "$DTS_IN4_D/32" persistent-keepalive 1
dts_tunnel_up dpdk
dts_ping_until "$DTS_NS_D" "$DTS_IN4_G" 10 || dts_fail "tunnel does not come up"
dts_ping "$DTS_NS_D" "$DTS_IN4_G" 5 || dts_fail "pings lost before roaming"
dts_pcap_start "$DTS_NS_G" "$DTS_VETH_G" roam udp

# wait_endpoint WANT: dpdk-wg's stats show WANT within 5 s
wait_endpoint() {
	local i ep
	for ((i = 0; i < 50; i++)); do
		ep=$(dts_peer_field endpoint)
		[ "$ep" = "$1" ] && return 0
		sleep 0.1
	done
	dts_stats_last | sed 's/^/    /'
	dts_fail "dpdk-wg's peer endpoint is '$ep', want $1"
}

# Background pings across both moves.
ip netns exec "$DTS_NS_D" ping -n -i 0.2 -c 60 -W 1 "$DTS_IN4_G" \
	>"$DTS_WORK/ping-roam.txt" 2>&1 &
ping_pid=$!
dts_track $ping_pid

sleep 2
dts_log "== 1. wireguard-go moves to port $new_port"
ip netns exec "$DTS_NS_G" wg set "$DTS_IF_G" listen-port "$new_port" ||
	dts_fail "wg set listen-port"
wait_endpoint "$DTS_OUT4_G:$new_port"
dts_log "dpdk-wg follows: endpoint $DTS_OUT4_G:$new_port"
sleep 3

dts_log "== 2. wireguard-go moves to address $new_addr"
ip netns exec "$DTS_NS_G" sysctl -qw \
	"net.ipv4.conf.$DTS_VETH_G.promote_secondaries=1" >/dev/null
ip -n "$DTS_NS_G" addr add "$new_addr/24" dev "$DTS_VETH_G" ||
	dts_fail "address $new_addr"
ip -n "$DTS_NS_G" addr del "$DTS_OUT4_G/24" dev "$DTS_VETH_G" ||
	dts_fail "remove $DTS_OUT4_G"
# wireguard-go keeps sending from the address it last received on, and
# gives up (ENETUNREACH) when that address is gone; a new bind (listen
# port) clears that sticky source: back to the first port, new address.
ip netns exec "$DTS_NS_G" wg set "$DTS_IF_G" listen-port "$DTS_PORT_G" ||
	dts_fail "wg set listen-port"
wait_endpoint "$new_addr:$DTS_PORT_G"
dts_log "dpdk-wg follows: endpoint $new_addr:$DTS_PORT_G"

wait $ping_pid
ping_rc=$?
tail -n 2 "$DTS_WORK/ping-roam.txt" | sed 's/^/    /'
received=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$DTS_WORK/ping-roam.txt")
dts_log "background pings: ${received:-0}/60 answered across both moves (rc $ping_rc)"
# each move may cost up to ~1 s (next keepalive) + ARP: ~5 pings each,
# and a slow machine some more
[ "${received:-0}" -ge 45 ] || dts_fail "too many pings lost while roaming"

dts_ping "$DTS_NS_D" "$DTS_IN4_G" 10 || dts_fail "pings lost after roaming"
dts_ping "$DTS_NS_G" "$DTS_IN4_D" 5 || dts_fail "pings from wireguard-go lost after roaming"
dts_pcap_stop

# dpdk-wg's replies went to the new endpoint
to_new=$(tcpdump -nr "$DTS_WORK/roam.pcap" \
	"src host $DTS_OUT4_D and dst host $new_addr and dst port $DTS_PORT_G" \
	2>/dev/null | wc -l)
to_port=$(tcpdump -nr "$DTS_WORK/roam.pcap" \
	"src host $DTS_OUT4_D and dst host $DTS_OUT4_G and dst port $new_port" \
	2>/dev/null | wc -l)
dts_log "capture: $to_port packet(s) from dpdk-wg to $DTS_OUT4_G:$new_port," \
	"$to_new to $new_addr:$DTS_PORT_G"
[ "$to_port" -gt 0 ] || dts_fail "dpdk-wg never sent to the new port"
[ "$to_new" -gt 0 ] || dts_fail "dpdk-wg never sent to the new address"
dts_stats_fresh
dts_stats_last | sed 's/^/    /'

dts_log "== 3. wireguard-go's MAC changes (same address and port)"
# As after a NIC swap or a gateway failover: the neighbour announces
# itself from its new MAC (here an ARP request, for dpdk-wg's address);
# dpdk-wg must send there from then on. wireguard-go's persistent
# keepalive is turned off first: it would not help a real gateway.
ip netns exec "$DTS_NS_G" wg set "$DTS_IF_G" peer "$DTS_PUB_D" \
	persistent-keepalive 0 || dts_fail "wg set persistent-keepalive"
new_mac=02:00:00:00:d7:5a
ip -n "$DTS_NS_G" link set "$DTS_VETH_G" address "$new_mac" ||
	dts_fail "set MAC"
ip -n "$DTS_NS_G" neigh flush dev "$DTS_VETH_G"
ip netns exec "$DTS_NS_G" ping -n -c 1 -W 1 "$DTS_OUT4_D" >/dev/null 2>&1
ip -n "$DTS_NS_G" neigh show "$DTS_OUT4_D" | grep -q lladdr ||
	dts_fail "dpdk-wg did not answer ARP from the new MAC"
dts_ping_until "$DTS_NS_D" "$DTS_IN4_G" 5 ||
	{ dts_stats_fresh; dts_stats_last | sed 's/^/    /'
	  dts_fail "no echo within 5 s of the neighbour's ARP from its new MAC"; }
dts_ping "$DTS_NS_D" "$DTS_IN4_G" 5 || dts_fail "pings lost after the MAC change"
dts_stats_fresh
dts_stats_last | grep -q "path wan0 via $new_mac " ||
	dts_fail "dpdk-wg's path does not use the new MAC $new_mac"
dts_log "dpdk-wg follows: path via $new_mac"
dts_check_wggo_log
dts_stop_dpdk_wg || dts_fail "dpdk-wg did not stop cleanly"

dts_log "PASS"
exit 0
