#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# dts/rekey.sh DPDK_WG: timer-driven rekeys under a running TCP stream.
#
# dpdk-wg runs with --clock-scale 20: REKEY_AFTER_TIME (120 s) comes every
# 6 s of real time and REJECT_AFTER_TIME (180 s) after 9 s, so a stream of
# DTS_REKEY_SECS (16) seconds sees two or three rekeys, and stops dead at
# 9 s if one fails. dpdk-wg is the initiator (it has the endpoint) and
# the sender.
#
# Checks: iperf3 moved data in every 1-second interval; wireguard-go saw
# more than one handshake (its "Received handshake initiation" log lines,
# and the changes of `wg show latest-handshakes`, sampled twice a second);
# dpdk-wg's stats ("handshake N s ago", printed every second) agree.
#
# Then the same clock with wireguard-go as the initiator: dpdk-wg, the
# responder, must start its own handshake when its keypair expires
# (REJECT_AFTER_TIME, 9 s) under a TCP stream it sends, without a stall.

# shellcheck source=SCRIPTDIR/lib.sh disable=SC2119
. "$(dirname "$0")/lib.sh" || exit 1
dts_init "$@"

secs=${DTS_REKEY_SECS:-16}
wglog=$DTS_WORK/wireguard-go-$DTS_IF_G.log

dts_log "== 1. dpdk-wg as initiator: rekeys every 6 s"
dts_tunnel_up dpdk -- --clock-scale 20
dts_ping_until "$DTS_NS_D" "$DTS_IN4_G" 10 || dts_fail "tunnel does not come up"
inits0=$(grep -c "Received handshake initiation" "$wglog")

# Sample wireguard-go's latest handshake while the stream runs.
(
	while :; do
		dts_wg_handshake "$DTS_NS_G" "$DTS_IF_G"
		sleep 0.5
	done
) >"$DTS_WORK/handshakes.txt" 2>/dev/null &
dts_track $!
sampler=$!

rc=0
dts_iperf "$DTS_NS_G" "$DTS_NS_D" "$DTS_IN4_G" "$secs" rekey ||
	{ dts_log "TCP stream stalled or failed across rekeys"; rc=1; }
dts_stop_pid "$sampler" 1
dts_check_dpdk_alive

inits=$(($(grep -c "Received handshake initiation" "$wglog") - inits0))
distinct=$(sort -u "$DTS_WORK/handshakes.txt" | grep -cv '^0*$')
# dpdk-wg's view: the "handshake N s ago" of successive stats lines
# drops back whenever a new handshake completed.
resets=$(grep '^  peer ' "$DTS_DPDK_OUT" |
	sed -n 's/.* handshake \([0-9]*\) s ago.*/\1/p' |
	awk 'NR > 1 && $1 < prev { n++ } { prev = $1 } END { print n + 0 }')
dts_stats_fresh
dts_stats_last | sed 's/^/    /'
dts_log "during ${secs}s: wireguard-go received $inits initiation(s)," \
	"saw $distinct distinct latest-handshake values; dpdk-wg's" \
	"handshake age went back $resets time(s)"

[ "$inits" -ge 2 ] ||
	{ dts_log "expected >= 2 rekeys (every 6 s), wireguard-go got $inits initiation(s)"; rc=1; }
[ "$distinct" -ge 2 ] ||
	{ dts_log "wg show latest-handshakes never changed"; rc=1; }
[ "$resets" -ge 1 ] ||
	{ dts_log "dpdk-wg's stats show no new handshake"; rc=1; }
dts_check_wggo_log
dts_stop_dpdk_wg || rc=1

# ------------------------------------------- 2. responder keypair expiry
# wireguard-go (real time) starts the session, so dpdk-wg is the
# responder: it does not rekey at REKEY_AFTER_TIME, but at
# REJECT_AFTER_TIME (9 s) its keypair may no longer send, and the next
# packet of its TCP stream must start a handshake of its own.
dts_log "== 2. dpdk-wg as responder, its keypair expires under load"
ip netns exec "$DTS_NS_G" wg set "$DTS_IF_G" peer "$DTS_PUB_D" remove ||
	dts_fail "wg set peer remove"
ip netns exec "$DTS_NS_G" wg set "$DTS_IF_G" peer "$DTS_PUB_D" \
	allowed-ips "$DTS_IN4_D/32" endpoint "$DTS_OUT4_D:$DTS_PORT" ||
	dts_fail "wg set peer"
dts_tunnel_up wggo -- --clock-scale 20
dts_ping_until "$DTS_NS_G" "$DTS_IN4_D" 10 || dts_fail "tunnel does not come up"
inits0=$(grep -c "Received handshake initiation" "$wglog")
secs2=${DTS_REKEY_SECS2:-12}
dts_iperf "$DTS_NS_G" "$DTS_NS_D" "$DTS_IN4_G" "$secs2" expiry ||
	{ dts_log "TCP stream stalled or failed across the expiry"; rc=1; }
dts_check_dpdk_alive
inits=$(($(grep -c "Received handshake initiation" "$wglog") - inits0))
dts_stats_fresh
dts_stats_last | sed 's/^/    /'
dts_log "during ${secs2}s: wireguard-go received $inits initiation(s) from dpdk-wg"
[ "$inits" -ge 1 ] ||
	{ dts_log "dpdk-wg never started a handshake of its own"; rc=1; }
dts_check_wggo_log
dts_stop_dpdk_wg || rc=1

[ $rc -eq 0 ] || dts_fail "see above"
dts_log "PASS"
exit 0
