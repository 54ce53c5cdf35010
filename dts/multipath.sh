#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# dts/multipath.sh DPDK_WG: two uplinks to one wireguard-go peer.
#
#   dpdk-wg ($DTS_NS_D)                       wireguard-go ($DTS_NS_G)
#   wan0 192.0.2.1     $DTS_VETH_D  <----> $DTS_VETH_G  192.0.2.2
#   lte0 198.51.100.1  $MP_VETH_D   <----> $MP_VETH_G   198.51.100.2
#
# Random loss (nftables, netdev ingress on wireguard-go's side, so only
# the direction dpdk-wg -> peer loses) of 20 % on each path, independent.
#
#  1. Redundancy = duplicate: 2000 pings at 5 ms; every request is sealed
#     once and sent on both paths, so it is lost only when both copies
#     are (4 %): delivered loss at most 8 %. Each path carried them all.
#  2. Redundancy = single, same loss: about 20 % lost (at least 12 %).
#  3. An IPv4 path and an IPv6 path to the same peer, duplicate: pings
#     go through with either path cut.
#
# Redundancy = failover (cuts, link down, flapping, under iperf3) is in
# failover.sh, on the same bed.

# shellcheck source=SCRIPTDIR/lib.sh disable=SC2119
. "$(dirname "$0")/lib.sh" || exit 1
dts_init "$@"

command -v nft >/dev/null || dts_skip "nft not found"

MP_VETH_G=$DTS_VETH_G2
MP_OUT4_D=$DTS_OUT4_D2
MP_OUT4_G=$DTS_OUT4_G2

# ------------------------------------------------------------- the bed
# (the second uplink and dts_loss: end of lib.sh)
dts_uplink2_setup

# loss IFACE PERCENT: drop PERCENT % of what arrives on IFACE in $DTS_NS_G
# (0 removes the rule).
loss() { dts_loss "$DTS_NS_G" "$1" "$2"; }

dts_genkey d >/dev/null
dts_genkey g >/dev/null

# mp_conf FILE REDUNDANCY [extra [Peer] lines...]
mp_conf() {
	local file=$1 red=$2
	shift 2
	(
		umask 077
		cat <<-EOC
		[Interface]
		PrivateKey = $(dts_key d)
		ListenPort = $DTS_PORT
		Address = $DTS_IN4_D/24
		ReplayWindow = 65536

		[Uplink]
		Name = wan0
		Port = net_af_packet0
		Address = $DTS_OUT4_D/24, $DTS_OUT6_D/64
		Priority = 10

		[Uplink]
		Name = lte0
		Port = net_af_packet1
		Address = $MP_OUT4_D/24
		Priority = 20

		[Peer]
		PublicKey = $(dts_pub g)
		AllowedIPs = $DTS_IN4_G/32
		Redundancy = $red
		EOC
		for line in "$@"; do echo "$line"; done
	) >"$file"
}

# mp_start CONF: dpdk-wg on both uplinks, stats every second.
mp_start() { dts_start_dpdk_wg "$1"; }

# mp_ping_loss COUNT: percent of COUNT echoes at 5 ms that got no answer.
mp_ping_loss() {
	ip netns exec "$DTS_NS_D" ping -n -q -c "$1" -i 0.005 -W 1 "$DTS_IN4_G" \
		2>&1 | sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p'
}

# Path line of the last stats block for "UPLINK -> ENDPOINT".
mp_path_line() { dts_stats_last | grep -F "    $1 -> $2 "; }
# tx packets on a path line
mp_path_tx() { mp_path_line "$1" "$2" | sed -n 's/.* tx \([0-9]*\) pkts.*/\1/p'; }

dts_start_wggo "$DTS_NS_G" "$DTS_IF_G"
dts_wggo_conf "$DTS_NS_G" "$DTS_IF_G" g "$DTS_PORT_G" "$DTS_IN4_G/24" \
	"$(dts_pub d)" "$DTS_IN4_D/32"

ep_a="Endpoint = $DTS_OUT4_G:$DTS_PORT_G"
ep_b="Endpoint = $MP_OUT4_G:$DTS_PORT_G"

# ------------------------------------------------ 1. duplicate, 20 % each
mp_conf "$DTS_WORK/dup.conf" duplicate "$ep_a" "$ep_b"
mp_start "$DTS_WORK/dup.conf"
dts_ping_until "$DTS_NS_D" "$DTS_IN4_G" 10 || dts_fail "no tunnel (duplicate)"
loss "$DTS_VETH_G" 20
loss "$MP_VETH_G" 20
dup_loss=$(mp_ping_loss 2000)
loss "$DTS_VETH_G" 0
loss "$MP_VETH_G" 0
dts_stats_fresh
dts_stats_last | sed 's/^/    /'
tx_a=$(mp_path_tx wan0 "$DTS_OUT4_G:$DTS_PORT_G")
tx_b=$(mp_path_tx lte0 "$MP_OUT4_G:$DTS_PORT_G")
dts_log "duplicate: ${dup_loss:-?} % of 2000 pings lost; wan0 sent ${tx_a:-?}, lte0 ${tx_b:-?}"
[ -n "$dup_loss" ] || dts_fail "no ping result"
python3 -c "import sys; sys.exit(0 if float('$dup_loss') <= 8 else 1)" ||
	dts_fail "duplicate mode lost $dup_loss % (want <= 8 %)"
[ "${tx_a:-0}" -ge 2000 ] && [ "${tx_b:-0}" -ge 2000 ] ||
	dts_fail "each path must carry every packet (wan0 ${tx_a:-?}, lte0 ${tx_b:-?})"
dts_stop_dpdk_wg

# --------------------------------------------------- 2. single, 20 % each
mp_conf "$DTS_WORK/single.conf" single "$ep_a" "$ep_b"
mp_start "$DTS_WORK/single.conf"
dts_ping_until "$DTS_NS_D" "$DTS_IN4_G" 10 || dts_fail "no tunnel (single)"
loss "$DTS_VETH_G" 20
loss "$MP_VETH_G" 20
single_loss=$(mp_ping_loss 2000)
loss "$DTS_VETH_G" 0
loss "$MP_VETH_G" 0
dts_log "single: ${single_loss:-?} % of 2000 pings lost"
python3 -c "import sys; sys.exit(0 if float('${single_loss:-0}') >= 12 else 1)" ||
	dts_fail "single mode lost only ${single_loss:-?} % with 20 % loss (want >= 12 %)"
dts_stop_dpdk_wg

# ------------------------------------- 3. an IPv4 and an IPv6 path
ip -n "$DTS_NS_G" -6 addr show dev "$DTS_VETH_G" | grep -q "$DTS_OUT6_G" ||
	dts_fail "no $DTS_OUT6_G"
mp_conf "$DTS_WORK/v46.conf" duplicate "Endpoint = [$DTS_OUT6_G]:$DTS_PORT_G" "$ep_b"
mp_start "$DTS_WORK/v46.conf"
dts_ping_until "$DTS_NS_D" "$DTS_IN4_G" 20 || dts_fail "no tunnel (v4+v6)"
loss "$DTS_VETH_G" 100
dts_ping "$DTS_NS_D" "$DTS_IN4_G" 10 || dts_fail "IPv6 path cut: IPv4 path lost pings"
loss "$DTS_VETH_G" 0
loss "$MP_VETH_G" 100
dts_ping "$DTS_NS_D" "$DTS_IN4_G" 10 || dts_fail "IPv4 path cut: IPv6 path lost pings"
loss "$MP_VETH_G" 0
dts_stats_fresh
dts_stats_last | grep -F -- "-> [$DTS_OUT6_G]" | sed 's/^/    /'
dts_stop_dpdk_wg

dts_log "PASS: duplicate lost $dup_loss %, single $single_loss %"
