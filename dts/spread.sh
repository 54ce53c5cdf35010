#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# dts/spread.sh DPDK_WG: one large peer is not held to one worker.
#
# dpdk-wg with two workers (--lcores 0@0,1@1,2@0: the control lcore and
# worker 2 share CPU 0) and two queues on its uplink and TUN, against one
# wireguard-go peer. One TCP flow each way: RSS (af_packet's fanout hash)
# and the TUN's flow hash put it on one queue, so one worker receives it.
#
#  1. --spread on: iperf3 to, then from, wireguard-go. Both
#     workers must have sealed (to) and opened (from) packets of the one
#     flow, one of them handing bursts out and the other taking them
#     (telemetry /wg/stats, per lcore); no authentication failure, and no
#     replay drop beyond a handful (packets of a flow reordered by the
#     spread are still new to the window).
#  2. --spread off (the default): the same runs; one worker does nearly
#     all the opening, nothing is handed out (what spreading changes).
#
# Prints the rates of both; on this 2-CPU bed they say little about
# scaling (wireguard-go and iperf3 share the CPUs): doc/performance.md
# has the data plane's figures.

# shellcheck source=SCRIPTDIR/lib.sh disable=SC2119
. "$(dirname "$0")/lib.sh" || exit 1
dts_init "$@"

TEL=$(command -v dpdk-telemetry.py) ||
	dts_skip "dpdk-telemetry.py not found (Debian: dpdk-dev)"

secs=${DTS_IPERF_SECS:-6}
DTS_QPAIRS=2
DTS_LCORES="--lcores 0@0,1@1,2@0"

# sp_workers FILE: one line per worker from /wg/stats into FILE:
#   "LCORE encrypted decrypted spread_out spread_in"
sp_workers() {
	printf '/wg/stats\n' | timeout 10 python3 "$TEL" -f "$DTS_FILE_PREFIX" \
		>"$DTS_WORK/stats.json" 2>&1 ||
		dts_fail "dpdk-telemetry.py failed: $(cat "$DTS_WORK/stats.json")"
	python3 - "$DTS_WORK/stats.json" >"$1" <<'EOF' ||
import json, sys
for line in open(sys.argv[1]):
    if not line.startswith("{"):
        continue
    st = json.loads(line).get("/wg/stats")
    for lcore, s in sorted(st["lcores"].items(), key=lambda x: int(x[0])):
        if s["role"] != "worker":
            continue
        print(lcore, s["encrypted_pkts"], s["decrypted_pkts"],
              s["spread_out_pkts"], s["spread_in_pkts"])
EOF
		dts_fail "no per-worker counters in /wg/stats: $(cat "$DTS_WORK/stats.json")"
}

# sp_run MODE: the tunnel with --spread MODE, a TCP run each way; sets
# SP_TX / SP_RX (Mbit/s) and leaves the per-worker counters in
# $DTS_WORK/workers-MODE.
sp_run() {
	local mode=$1
	dts_tunnel_up dpdk -- --spread "$mode" --idle-us 50
	dts_ping_until "$DTS_NS_D" "$DTS_IN4_G" 10 ||
		dts_fail "$mode: tunnel does not come up"
	dts_iperf "$DTS_NS_G" "$DTS_NS_D" "$DTS_IN4_G" "$secs" "$mode-tx" ||
		dts_fail "$mode: dpdk-wg -> wireguard-go stalled or failed"
	SP_TX=$DTS_IPERF_MBPS
	dts_iperf "$DTS_NS_G" "$DTS_NS_D" "$DTS_IN4_G" "$secs" "$mode-rx" -R ||
		dts_fail "$mode: wireguard-go -> dpdk-wg stalled or failed"
	SP_RX=$DTS_IPERF_MBPS
	dts_check_dpdk_alive
	sp_workers "$DTS_WORK/workers-$mode"
	dts_log "$mode: per worker (lcore encrypted decrypted spread_out spread_in):"
	sed 's/^/    /' "$DTS_WORK/workers-$mode"
	[ "$(wc -l <"$DTS_WORK/workers-$mode")" -eq 2 ] ||
		dts_fail "$mode: expected 2 workers in /wg/stats"
	dts_stats_fresh
	SP_AUTH=$(dts_drop data_auth)
	SP_REPLAY=$(( $(dts_drop replay) + $(dts_drop too_old) ))
	dts_log "$mode: drops: $(dts_drops_line)"
	dts_check_wggo_log
	dts_stop_dpdk_wg || dts_fail "$mode: dpdk-wg did not stop cleanly"
}

# sp_field MODE COLUMN: that column (2 encrypted .. 5 spread_in) of both
# workers, space separated.
sp_field() { awk -v c="$2" '{ printf "%s ", $c }' "$DTS_WORK/workers-$1"; }

# ----------------------------------------------------------- 1. spread on
dts_log "== 1. --spread on"
sp_run on
on_tx=$SP_TX on_rx=$SP_RX
read -r e1 e2 <<<"$(sp_field on 2)"
read -r d1 d2 <<<"$(sp_field on 3)"
read -r o1 o2 <<<"$(sp_field on 4)"
read -r i1 i2 <<<"$(sp_field on 5)"
[ "$SP_AUTH" -eq 0 ] || dts_fail "on: $SP_AUTH packets failed authentication"
# A handful of replays may be real duplicates from the veth bed; a
# window that refused reordered packets would drop thousands.
[ "$SP_REPLAY" -le 10 ] || dts_fail "on: $SP_REPLAY replay or too-old drops"
[ $((o1 + o2)) -gt 0 ] || dts_fail "on: no burst was handed out"
[ $((i1 + i2)) -gt 0 ] || dts_fail "on: no burst was taken from the ring"
[ "$e1" -gt 0 ] && [ "$e2" -gt 0 ] ||
	dts_fail "on: one worker sealed all of the flow ($e1, $e2)"
[ "$d1" -gt 0 ] && [ "$d2" -gt 0 ] ||
	dts_fail "on: one worker opened all of the flow ($d1, $d2)"
on_share=$((100 * (d1 < d2 ? d1 : d2) / (d1 + d2)))
on_eshare=$((100 * (e1 < e2 ? e1 : e2) / (e1 + e2)))

# ---------------------------------------------------------- 2. spread off
dts_log "== 2. --spread off"
sp_run off
off_tx=$SP_TX off_rx=$SP_RX
read -r e1 e2 <<<"$(sp_field off 2)"
read -r d1 d2 <<<"$(sp_field off 3)"
read -r o1 o2 <<<"$(sp_field off 4)"
[ "$SP_AUTH" -eq 0 ] || dts_fail "off: $SP_AUTH packets failed authentication"
[ $((o1 + o2)) -eq 0 ] || dts_fail "off: bursts were handed out"
# The flow's packets on one worker. The other sees some only when the
# first one's socket ring is full: af_packet's fanout rolls those over to
# the next queue (PACKET_FANOUT_FLAG_ROLLOVER).
min() { echo $(($1 < $2 ? $1 : $2)); }
max() { echo $(($1 > $2 ? $1 : $2)); }
[ "$(min "$d1" "$d2")" -le $(($(max "$d1" "$d2") / 10)) ] ||
	dts_fail "off: both workers opened the one flow ($d1, $d2)"
off_share=$((100 * $(min "$d1" "$d2") / (d1 + d2)))

echo
echo "one TCP flow, 2 workers, $secs s each way, $(nproc) CPUs:"
echo "  --spread on:  to wireguard-go $on_tx Mbit/s, from it $on_rx Mbit/s;" \
	"the less busy worker sealed $on_eshare %, opened $on_share %"
echo "  --spread off: to wireguard-go $off_tx Mbit/s, from it $off_rx Mbit/s;" \
	"the less busy worker opened $off_share % (af_packet rollover)"
echo
dts_log "PASS"
exit 0
