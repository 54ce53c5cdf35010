#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# dts/iperf.sh DPDK_WG: TCP throughput through the tunnel, and a baseline.
#
#  1. dpdk-wg <-> wireguard-go: iperf3 TCP for DTS_IPERF_SECS (10) seconds
#     from dpdk-wg's namespace to wireguard-go's, then the same reversed
#     (-R). Every 1-second interval must have moved data (no stall).
#  2. wireguard-go <-> wireguard-go on the same veth bed: dpdk-wg is
#     stopped, a second wireguard-go takes its place (same key, same
#     addresses, the kernel owns 192.0.2.1), and the same two runs.
#
# Prints both side by side for comparison:
#   dpdk-wg <-> wireguard-go: X Mbit/s; wireguard-go <-> wireguard-go: Y Mbit/s
# The numbers depend on the machine (dpdk-wg's two lcores busy-poll; on a
# small machine they compete with iperf3 and wireguard-go for the CPUs):
# the test checks that data flows without stalls, not a rate.

# shellcheck source=SCRIPTDIR/lib.sh disable=SC2119
. "$(dirname "$0")/lib.sh" || exit 1
dts_init "$@"

secs=${DTS_IPERF_SECS:-10}

# ------------------------------------------ 1. dpdk-wg <-> wireguard-go
dts_log "== 1. dpdk-wg <-> wireguard-go"
dts_tunnel_up dpdk
dts_ping_until "$DTS_NS_D" "$DTS_IN4_G" 10 || dts_fail "tunnel does not come up"
dts_ping "$DTS_NS_D" "$DTS_IN4_G" 3 || dts_fail "pings lost before iperf3"

rc=0
dts_iperf "$DTS_NS_G" "$DTS_NS_D" "$DTS_IN4_G" "$secs" dpdk-tx ||
	{ dts_log "dpdk-wg -> wireguard-go: stalled or failed"; rc=1; }
d_tx=${DTS_IPERF_MBPS:-0}
dts_check_dpdk_alive
dts_iperf "$DTS_NS_G" "$DTS_NS_D" "$DTS_IN4_G" "$secs" dpdk-rx -R ||
	{ dts_log "wireguard-go -> dpdk-wg: stalled or failed"; rc=1; }
d_rx=${DTS_IPERF_MBPS:-0}
dts_check_dpdk_alive
dts_stats_fresh
dts_stats_last | sed 's/^/    /'
dts_check_wggo_log
dts_stop_dpdk_wg || rc=1

# ------------------------------------- 2. wireguard-go <-> wireguard-go
dts_log "== 2. wireguard-go <-> wireguard-go (baseline)"
# The kernel of dpdk-wg's namespace now owns the uplink address.
ip -n "$DTS_NS_D" addr add "$DTS_OUT4_D/24" dev "$DTS_VETH_D" ||
	dts_fail "address $DTS_OUT4_D"
dts_start_wggo "$DTS_NS_D" "$DTS_IF_B"
dts_wggo_conf "$DTS_NS_D" "$DTS_IF_B" d "$DTS_PORT" "$DTS_IN4_D/24" \
	"$DTS_PUB_G" "$DTS_IN4_G/32" endpoint "$DTS_OUT4_G:$DTS_PORT_G"
dts_ping_until "$DTS_NS_D" "$DTS_IN4_G" 10 ||
	dts_fail "baseline tunnel does not come up"
dts_iperf "$DTS_NS_G" "$DTS_NS_D" "$DTS_IN4_G" "$secs" base-tx ||
	{ dts_log "baseline: stalled or failed"; rc=1; }
b_tx=${DTS_IPERF_MBPS:-0}
dts_iperf "$DTS_NS_G" "$DTS_NS_D" "$DTS_IN4_G" "$secs" base-rx -R ||
	{ dts_log "baseline -R: stalled or failed"; rc=1; }
b_rx=${DTS_IPERF_MBPS:-0}

echo
echo "TCP, $secs s each, $(nproc) CPUs:"
echo "  -> (from the dpdk-wg side): dpdk-wg <-> wireguard-go: $d_tx Mbit/s; wireguard-go <-> wireguard-go: $b_tx Mbit/s"
echo "  <- (to the dpdk-wg side):   dpdk-wg <-> wireguard-go: $d_rx Mbit/s; wireguard-go <-> wireguard-go: $b_rx Mbit/s"
echo

[ $rc -eq 0 ] || dts_fail "see above"
dts_log "PASS"
exit 0
