#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# devtools/perf-e2e.sh DPDK_WG: the end-to-end part of devtools/perf.sh.
# dts/iperf.sh's bed and helpers (dts/lib.sh), for figures rather than a
# pass/fail: iperf3 TCP through the tunnel, PERF_E2E_RUNS (5) runs of
# PERF_E2E_SECS (5) seconds in each direction (the first second omitted),
#   1. dpdk-wg <-> wireguard-go,
#   2. wireguard-go <-> wireguard-go on the same veth bed (dpdk-wg stopped,
#      a second wireguard-go in its place, as dts/iperf.sh does).
# Each run prints a line for devtools/perf-report.py:
#   PERF CONFIG DIR RUN MBITS     CONFIG dpdk|base, DIR tx|rx, MBITS or stall
# (tx: from the dpdk-wg side; rx: to it, iperf3 -R). Exit: 0 all runs gave
# a figure, 1 a run stalled or dpdk-wg failed, 77 skip (see dts/lib.sh).
# Everything it starts is undone by dts/lib.sh's EXIT trap.

# shellcheck source=SCRIPTDIR/../dts/lib.sh disable=SC2119
. "$(dirname "$0")/../dts/lib.sh" || exit 1
dts_init "$@"

# dts_iperf tracks its iperf3 server, not the client: on an interrupted
# run, stop the iperf3 (and timeout) processes left in our namespaces, by
# PID, before dts/lib.sh's clean-up deletes the namespaces.
# shellcheck disable=SC2317  # called by the trap
perf_e2e_cleanup() {
	local rc=$? ns pid
	for ns in "$DTS_NS_D" "$DTS_NS_G"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			case $(cat "/proc/$pid/comm" 2>/dev/null) in
			iperf3 | timeout) kill -TERM "$pid" 2>/dev/null ;;
			esac
		done
	done
	(exit "$rc")
	dts_cleanup
}
trap perf_e2e_cleanup EXIT

runs=${PERF_E2E_RUNS:-5}
secs=${PERF_E2E_SECS:-5}
rc=0
echo "PERF-INFO runs=$runs secs=$secs cpus=$(nproc)"

# perf_iperf CONFIG: RUNS runs each way, alternating directions so that
# both see the same share of whatever else the machine does.
perf_iperf() {
	local cfg=$1 r d mbps
	for ((r = 1; r <= runs; r++)); do
		for d in tx rx; do
			DTS_IPERF_MBPS=
			if [ $d = tx ]; then
				dts_iperf "$DTS_NS_G" "$DTS_NS_D" "$DTS_IN4_G" \
					"$secs" "$cfg-$d-$r" -O 1
			else
				dts_iperf "$DTS_NS_G" "$DTS_NS_D" "$DTS_IN4_G" \
					"$secs" "$cfg-$d-$r" -O 1 -R
			fi || DTS_IPERF_MBPS=
			mbps=${DTS_IPERF_MBPS:-stall}
			[ "$mbps" = stall ] && rc=1
			echo "PERF $cfg $d $r $mbps"
			[ "$cfg" = dpdk ] && dts_check_dpdk_alive
		done
	done
}

# ------------------------------------------ 1. dpdk-wg <-> wireguard-go
dts_log "== 1. dpdk-wg <-> wireguard-go"
dts_tunnel_up dpdk
dts_ping_until "$DTS_NS_D" "$DTS_IN4_G" 10 || dts_fail "tunnel does not come up"
dts_ping "$DTS_NS_D" "$DTS_IN4_G" 3 || dts_fail "pings lost before iperf3"
perf_iperf dpdk
dts_stats_fresh
dts_stats_last | sed 's/^/    /'
dts_stop_dpdk_wg || rc=1

# ------------------------------------- 2. wireguard-go <-> wireguard-go
dts_log "== 2. wireguard-go <-> wireguard-go (baseline)"
ip -n "$DTS_NS_D" addr add "$DTS_OUT4_D/24" dev "$DTS_VETH_D" ||
	dts_fail "address $DTS_OUT4_D"
dts_start_wggo "$DTS_NS_D" "$DTS_IF_B"
dts_wggo_conf "$DTS_NS_D" "$DTS_IF_B" d "$DTS_PORT" "$DTS_IN4_D/24" \
	"$DTS_PUB_G" "$DTS_IN4_G/32" endpoint "$DTS_OUT4_G:$DTS_PORT_G"
dts_ping_until "$DTS_NS_D" "$DTS_IN4_G" 10 ||
	dts_fail "baseline tunnel does not come up"
perf_iperf base

[ $rc -eq 0 ] || dts_log "some runs stalled or failed, see above"
exit $rc
