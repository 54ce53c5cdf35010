#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# dts/failover.sh DPDK_WG: Redundancy = failover under iperf3, on the bed
# of multipath.sh (two uplinks to one wireguard-go peer).
#
#   dpdk-wg ($DTS_NS_D)                          wireguard-go ($DTS_NS_G)
#   wan0 192.0.2.1    Priority 10 $DTS_VETH_D  <--> $DTS_VETH_G  192.0.2.2
#   lte0 198.51.100.1 Priority 20 $DTS_VETH_D2 <--> $DTS_VETH_G2 198.51.100.2
#
# FailbackHold = 3 s, ProbeInterval = 1 s. dpdk-wg prints one line per
# switch of the data path ("NAME: peer 1: data now on UPLINK -> ENDPOINT",
# wgd_path.c, on stdout or in the DPDK log); a follower stamps each with
# the time it appeared.
#
#  1. wan0 cut by 100 % loss both ways (nftables in wireguard-go's
#     namespace) for 5 s during a 16-s iperf3 TCP stream: data moves to
#     lte0 with no gap in the transfer over 1 s; restored, data is back on
#     wan0 within FailbackHold + 2 s (see below).
#  2. The same, wan0 cut by taking its link down: $DTS_VETH_G down in
#     wireguard-go's namespace, so dpdk-wg's port loses carrier and what
#     it sends there goes nowhere; then up again.
#  3. Flapping, under iperf3 (200 Mbit/s): wan0 is cut, data moves to
#     lte0; then wan0 flaps for 15 s, up 1 s, down 1 s (1.3 s: the nft
#     changes take time), never up for FailbackHold. Data must not move
#     while it flaps. Restored for good, data goes back to wan0 once, no
#     earlier than FailbackHold after the restore. Hold-down: 1.5 s later
#     wan0 is cut again (its second failure while active), restored 0.5 s
#     after data left it: held down twice as long, data stays on lte0 for
#     at least 2 x FailbackHold (- 0.5 s). 4 switches in all. The log has
#     the timeline (cuts, restores, switches). DTS_FLAP=link flaps the
#     link instead of the loss.
#
# On the failback bound, FailbackHold + 2 s: on this bed wireguard-go's
# UDP socket overflows under the iperf3 stream (about 15 % of what it
# receives is dropped), probes included. When one lost probe took a path
# down, the hold restarted in about a third of the runs (failback 5.1 to
# 6.7 s); three in a row are needed now, and failback takes 3.1-3.7 s.

# shellcheck source=SCRIPTDIR/lib.sh disable=SC2119
. "$(dirname "$0")/lib.sh" || exit 1
dts_init "$@"
command -v nft >/dev/null || dts_skip "nft not found"

FO_HOLD=3                         # FailbackHold, s
FO_SLACK=2                        # failback bound: FailbackHold + this
FO_FLAP_SECS=${DTS_FLAP_SECS:-15}
FO_FLAP=${DTS_FLAP:-loss}         # loss | link

dts_uplink2_setup
dts_genkey d >/dev/null
dts_genkey g >/dev/null
dts_start_wggo "$DTS_NS_G" "$DTS_IF_G"
dts_wggo_conf "$DTS_NS_G" "$DTS_IF_G" g "$DTS_PORT_G" "$DTS_IN4_G/24" \
	"$(dts_pub d)" "$DTS_IN4_D/32"

EP_A=$DTS_OUT4_G:$DTS_PORT_G
EP_B=$DTS_OUT4_G2:$DTS_PORT_G

fo_conf() {
	(
		umask 077
		cat <<-EOC
		[Interface]
		PrivateKey = $(dts_key d)
		ListenPort = $DTS_PORT
		Address = $DTS_IN4_D/24

		[Uplink]
		Name = wan0
		Port = net_af_packet0
		Address = $DTS_OUT4_D/24
		Priority = 10

		[Uplink]
		Name = lte0
		Port = net_af_packet1
		Address = $DTS_OUT4_D2/24
		Priority = 20

		[Peer]
		PublicKey = $(dts_pub g)
		AllowedIPs = $DTS_IN4_G/32
		Endpoint = $EP_A
		Endpoint = $EP_B
		Redundancy = failover
		FailbackHold = $FO_HOLD
		ProbeInterval = 1
		EOC
	) >"$1"
}

# ------------------------------------------------- switches, time-stamped
cat >"$DTS_WORK/follow.py" <<'EOF'
# follow.py PATTERN FILE...: print "EPOCH LINE" for each line of the FILEs
# (as they grow) that holds PATTERN, as soon as it is complete.
import sys, time
pat, paths = sys.argv[1], sys.argv[2:]
files, parts = {}, {}
while True:
    idle = True
    for p in paths:
        if p not in files:
            try:
                files[p], parts[p] = open(p), ""
            except FileNotFoundError:
                continue
        s = files[p].readline()
        if not s:
            continue
        idle = False
        parts[p] += s
        if not s.endswith("\n"):
            continue
        if pat in parts[p]:
            print("%.3f %s" % (time.time(), parts[p].rstrip("\n")), flush=True)
        parts[p] = ""
    if idle:
        time.sleep(0.02)
EOF

FO_EVENTS=
FO_FOLLOW_PID=
fo_follow() {
	FO_EVENTS=$DTS_WORK/switches.$DTS_DPDK_RUNS
	: >"$FO_EVENTS"
	# stdout or the DPDK log (stderr): wherever the daemon puts them
	python3 -u "$DTS_WORK/follow.py" "data now on " "$DTS_DPDK_OUT" \
		"$DTS_DPDK_ERR" >"$FO_EVENTS" 2>&1 &
	FO_FOLLOW_PID=$!
	dts_track "$FO_FOLLOW_PID"
}

# Switches after time T (epoch s): "EPOCH UPLINK" lines.
fo_switches_after() {
	awk -v t="$1" '$1 > t { for (i = 2; i < NF; i++)
		if ($i == "on") { print $1, $(i + 1); break } }' "$FO_EVENTS"
}

# fo_wait_switch UPLINK AFTER TIMEOUT: the time of the first switch to
# UPLINK after AFTER (epoch s), waiting up to TIMEOUT s; empty if none.
fo_wait_switch() {
	local up=$1 after=$2 timeout=$3 i t
	for ((i = 0; i <= timeout * 20; i++)); do
		t=$(fo_switches_after "$after" | awk -v u="$up" '$2 == u {print $1; exit}')
		[ -n "$t" ] && { echo "$t"; return 0; }
		sleep 0.05
	done
	return 1
}

fo_now() { echo "$EPOCHREALTIME"; }
fo_sub() { python3 -c "print('%.2f' % ($1 - $2))"; }
fo_le() { python3 -c "import sys; sys.exit(0 if $1 <= $2 else 1)"; }

# -------------------------------------------------------------- the cuts
# 100 % loss both ways: what reaches wireguard-go on wan0 (ARP too), and
# what it sends out of it.
cut_loss() {
	dts_loss "$DTS_NS_G" "$DTS_VETH_G" 100
	ip netns exec "$DTS_NS_G" nft -f - <<-EOT || dts_fail "nft output drop"
	table inet fo_out {
		chain out {
			type filter hook output priority 0;
			oifname "$DTS_VETH_G" drop
		}
	}
	EOT
}
restore_loss() {
	dts_loss "$DTS_NS_G" "$DTS_VETH_G" 0
	ip netns exec "$DTS_NS_G" nft delete table inet fo_out 2>/dev/null
	true
}
# the link: wireguard-go's end down, dpdk-wg's end loses carrier
cut_link() {
	ip -n "$DTS_NS_G" link set "$DTS_VETH_G" down || dts_fail "$DTS_VETH_G down"
}
restore_link() {
	ip -n "$DTS_NS_G" link set "$DTS_VETH_G" up || dts_fail "$DTS_VETH_G up"
}

# ---------------------------------------------------------------- iperf3
FO_CPID=
FO_SPID=
FO_JSON=
# fo_iperf_start TAG SECONDS [client args]: a TCP stream dpdk-wg ->
# wireguard-go in the background, 0.25-s intervals.
fo_iperf_start() {
	local tag=$1 secs=$2 port
	shift 2
	port=$((5201 + RANDOM % 500))
	ip netns exec "$DTS_NS_G" iperf3 -s -1 -B "$DTS_IN4_G" -p "$port" \
		>"$DTS_WORK/iperf-$tag.server" 2>&1 &
	FO_SPID=$!
	dts_track "$FO_SPID"
	dts_wait_for 5 dts_listening "$DTS_NS_G" "$port" || dts_fail "iperf3 server"
	FO_JSON=$DTS_WORK/iperf-$tag.json
	ip netns exec "$DTS_NS_D" iperf3 -c "$DTS_IN4_G" -p "$port" -t "$secs" \
		-i 0.25 -J --connect-timeout 5000 "$@" \
		>"$FO_JSON" 2>"$DTS_WORK/iperf-$tag.err" &
	FO_CPID=$!
	dts_track "$FO_CPID"
}

# fo_iperf_end [stop]: wait for the client (or stop it: SIGTERM, iperf3
# still writes its JSON); 0 if it ran to the end (or was stopped).
fo_iperf_end() {
	local rc
	if [ "${1:-}" = stop ]; then
		kill -TERM "$FO_CPID" 2>/dev/null
	fi
	wait "$FO_CPID"
	rc=$?
	dts_stop_pid "$FO_SPID" 1 >/dev/null 2>&1
	if [ "${1:-}" = stop ] && grep -q '"error":.*interrupt' "$FO_JSON"; then
		rc=0
	fi
	[ $rc -eq 0 ] || cat "$DTS_WORK"/iperf-*.err
	return $rc
}

# The longest run of 0.25-s intervals without data, in seconds.
fo_gap() {
	python3 - "$FO_JSON" <<-'EOP'
	import json, sys
	iv = json.load(open(sys.argv[1]))["intervals"]
	run = worst = 0.0
	for i in iv:
	    s = i["sum"]
	    if s["bytes"] == 0:
	        run += s["seconds"]
	        worst = max(worst, run)
	    else:
	        run = 0.0
	print("%.2f" % worst)
	EOP
}

# Path line of the last stats block for "UPLINK -> ENDPOINT".
fo_path_line() { dts_stats_last | grep -F "    $1 -> $2 "; }

# fo_start TAG: dpdk-wg in failover mode, the tunnel up, data on wan0.
# FO_T0: the time the test proper begins.
FO_T0=
fo_start() {
	fo_conf "$DTS_WORK/$1.conf"
	dts_start_dpdk_wg "$DTS_WORK/$1.conf"
	fo_follow
	dts_ping_until "$DTS_NS_D" "$DTS_IN4_G" 10 || dts_fail "no tunnel ($1)"
	sleep 2
	dts_stats_fresh
	fo_path_line wan0 "$EP_A" | grep -q " active:" ||
		{ dts_stats_last; dts_fail "$1: wan0 (Priority 10) is not the active path"; }
	# (the daemon may log its first choice: wan0)
	[ -z "$(fo_switches_after 0 | awk '$2 != "wan0"')" ] ||
		{ cat "$FO_EVENTS"; dts_fail "$1: data went elsewhere than wan0 before the test began"; }
	FO_T0=$(fo_now)
}

fo_stop() {
	dts_stop_pid "$FO_FOLLOW_PID" 1 >/dev/null 2>&1
	sed 's/^/    /' "$FO_EVENTS"
	# what the daemon saw of the links (if it watches them)
	grep -h "uplink [a-z0-9]* link " "$DTS_DPDK_OUT" "$DTS_DPDK_ERR" | sed 's/^/    /'
	dts_stop_dpdk_wg || dts_fail "dpdk-wg did not stop cleanly"
}

# ------------------------------------------ 1 and 2. a cut under iperf3
# fo_cut_test loss|link: sets FO_GAP, FO_DETECT (s from the cut to the
# switch to lte0), FO_BACK (s from the restore to the switch to wan0).
FO_GAP="" FO_DETECT="" FO_BACK=""
fo_cut_test() {
	local how=$1 t_cut t_fo t_restore t_back cut_active
	fo_start "$how"
	fo_iperf_start "$how" 16
	sleep 4
	dts_log "$how: cutting wan0 ($([ "$how" = loss ] &&
		echo "100 % loss both ways" || echo "link down"))"
	t_cut=$(fo_now)
	"cut_$how"
	sleep 5
	dts_stats_fresh
	cut_active=$(dts_stats_last | grep " active:" | head -n1)
	dts_log "$how: during the cut: ${cut_active# }"
	dts_log "$how: restoring wan0"
	"restore_$how"
	t_restore=$(fo_now)
	t_back=$(fo_wait_switch wan0 "$t_restore" 10)
	fo_iperf_end || dts_fail "$how: iperf3 failed"
	t_fo=$(fo_switches_after "$t_cut" | awk '$2 == "lte0" {print $1; exit}')
	FO_GAP=$(fo_gap)
	FO_DETECT=$([ -n "$t_fo" ] && fo_sub "$t_fo" "$t_cut")
	FO_BACK=$([ -n "$t_back" ] && fo_sub "$t_back" "$t_restore")
	fo_stop
	dts_log "$how: data on lte0 ${FO_DETECT:-never} s after the cut; longest gap in the transfer ${FO_GAP:-?} s; back on wan0 ${FO_BACK:-never} s after the restore (FailbackHold $FO_HOLD s)"
	echo "$cut_active" | grep -q "lte0 ->" ||
		dts_fail "$how: data did not move to lte0 while wan0 was cut"
	fo_le "${FO_GAP:-99}" 1.0 ||
		dts_fail "$how: a gap of ${FO_GAP:-?} s in the transfer (want <= 1 s)"
	[ -n "$t_back" ] || dts_fail "$how: data did not come back to wan0"
	fo_le "$FO_BACK" $((FO_HOLD + FO_SLACK)) ||
		dts_fail "$how: failback took $FO_BACK s (want <= FailbackHold + $FO_SLACK s)"
}

fo_cut_test loss
LOSS_GAP=$FO_GAP LOSS_DETECT=$FO_DETECT LOSS_BACK=$FO_BACK
fo_cut_test link
LINK_GAP=$FO_GAP LINK_DETECT=$FO_DETECT LINK_BACK=$FO_BACK

# ------------------------------------------------------------ 3. flapping
# fo_mark TEXT: a stamped line for the timeline (the cuts, the restores)
fo_mark() { echo "$(fo_now) -- $*" >>"$DTS_WORK/marks.flap"; }
fo_flap_cut() { "cut_$FO_FLAP"; fo_mark "wan0 cut"; }
fo_flap_restore() { "restore_$FO_FLAP"; fo_mark "wan0 restored"; }
# the timeline, seconds after the first cut: marks and switches
fo_timeline() {
	sort -n "$DTS_WORK/marks.flap" <(awk -v t="$FO_T0" '$1 > t' "$FO_EVENTS") |
		awk -v t0="$1" '{ $1 = sprintf("%7.2f", $1 - t0); print "    " $0 }'
}
fo_uplink_at() {  # data's uplink at time T (after FO_T0): the last switch
	fo_switches_after "$FO_T0" | awk -v t="$1" '$1 <= t { u = $2 } END { print u }'
}

: >"$DTS_WORK/marks.flap"
fo_start flap
fo_iperf_start flap 120 -b 200M
sleep 3
dts_log "flap: cutting wan0 ($FO_FLAP)"
t_cut=$(fo_now)
fo_flap_cut
t_fo=$(fo_wait_switch lte0 "$t_cut" 5) ||
	{ fo_iperf_end stop; fo_stop; dts_fail "flap: data did not move to lte0"; }
sleep 1
dts_log "flap: wan0 flaps for $FO_FLAP_SECS s: up 1 s, down 1 s ($FO_FLAP)"
t_flap=$(fo_now)
while fo_le "$(fo_sub "$(fo_now)" "$t_flap")" $((FO_FLAP_SECS - 2)); do
	fo_flap_restore
	sleep 1
	fo_flap_cut
	sleep 1
done
fo_flap_restore
t_final=$(fo_now)
dts_log "flap: wan0 restored for good"
flap_switches=$(fo_switches_after "$t_fo" | awk -v t="$t_final" '$1 <= t' | wc -l)
# data back on wan0: a switch after the restore, or already there
t_back=
flap_back=
if [ "$(fo_uplink_at "$t_final")" = wan0 ]; then
	t_back=$t_final
	flap_back=0
	dts_log "flap: data is already on wan0"
else
	t_back=$(fo_wait_switch wan0 "$t_final" 30)
	[ -n "$t_back" ] && flap_back=$(fo_sub "$t_back" "$t_final")
fi
t_fo2='' t_back2='' held='' t_cut2='' t_restore2=''
if [ -n "$t_back" ]; then
	# hold-down: wan0 fails again, once data is back on it
	fo_wait_for_time() { fo_le "$1" "$(fo_now)"; }
	dts_wait_for 5 fo_wait_for_time "$(python3 -c "print($t_back + 1.5)")"
	dts_log "flap: cutting wan0 again (hold-down)"
	t_cut2=$(fo_now)
	fo_flap_cut
	t_fo2=$(fo_wait_switch lte0 "$t_cut2" 5)
	sleep 0.5
	fo_flap_restore
	t_restore2=$(fo_now)
	[ -n "$t_fo2" ] && t_back2=$(fo_wait_switch wan0 "$t_fo2" 30)
	[ -n "$t_back2" ] && held=$(fo_sub "$t_back2" "$t_fo2")
	sleep 1
fi
fo_iperf_end stop || dts_fail "flap: iperf3 failed"
FLAP_GAP=$(fo_gap)
all_switches=$(fo_switches_after "$FO_T0" | wc -l)
dts_log "flap: timeline (s after the first cut):"
fo_timeline "$t_cut"
fo_stop
dts_log "flap: $flap_switches switch(es) while wan0 flapped; back on wan0 ${flap_back:-never} s after the restore; $all_switches switches in all; longest gap in the transfer ${FLAP_GAP:-?} s"
[ -n "$t_fo2" ] &&
	dts_log "flap: wan0 failed again: data on lte0 $(fo_sub "$t_fo2" "$t_cut2") s after the cut, held there ${held:-over 30} s (wan0 restored $(fo_sub "$t_restore2" "$t_fo2") s after data left it; FailbackHold $FO_HOLD s)"
[ "$flap_switches" -eq 0 ] ||
	dts_fail "flap: data switched $flap_switches time(s) while wan0 flapped (want 0)"
[ -n "$t_back" ] ||
	dts_fail "flap: data did not come back to wan0 within 30 s of the restore"
fo_le "$FO_HOLD - 0.3" "$flap_back" ||
	dts_fail "flap: back on wan0 $flap_back s after the restore: wan0 had not been up for FailbackHold ($FO_HOLD s)"
[ -n "$t_fo2" ] || dts_fail "flap: data did not leave wan0 when it was cut again"
[ -n "$t_back2" ] ||
	dts_fail "flap: data did not come back to wan0 within 30 s after its second failure"
fo_le "$((FO_HOLD * 2)) - 0.5" "$held" ||
	dts_fail "flap: held down only $held s after a second failure (want >= 2 x FailbackHold = $((FO_HOLD * 2)) s)"
[ "$all_switches" -eq 4 ] ||
	dts_fail "flap: $all_switches switches in all (want 4: out, back, out, back)"

dts_log "PASS: loss cut: switch ${LOSS_DETECT}s, gap ${LOSS_GAP}s, failback ${LOSS_BACK}s; link down: switch ${LINK_DETECT}s, gap ${LINK_GAP}s, failback ${LINK_BACK}s; flapping: 0 switches, failback ${flap_back}s, hold-down ${held}s after a 2nd failure"
