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
#  3. Redundancy = failover with iperf3: the preferred path (wan0) is
#     cut (100 % loss); data moves to lte0 with no gap over 1 s; restored,
#     data is back on wan0 (goal FailbackHold + 2 s; checked at + 5 s).
#  4. An IPv4 path and an IPv6 path to the same peer, duplicate: pings
#     go through with either path cut.

# shellcheck source=SCRIPTDIR/lib.sh disable=SC2119
. "$(dirname "$0")/lib.sh" || exit 1
dts_init "$@"

MP_VETH_D=dtsm$DTS_ID
MP_VETH_G=dtsn$DTS_ID
MP_OUT4_D=198.51.100.1
MP_OUT4_G=198.51.100.2

# ------------------------------------------------------------- the bed

ip link add "$MP_VETH_D" type veth peer name "$MP_VETH_G" || dts_fail "veth"
ip link set "$MP_VETH_D" netns "$DTS_NS_D" || dts_fail "veth to $DTS_NS_D"
ip link set "$MP_VETH_G" netns "$DTS_NS_G" || dts_fail "veth to $DTS_NS_G"
ip netns exec "$DTS_NS_G" python3 "$DTS_WORK/dts.py" tx-csum-off "$MP_VETH_G" ||
	dts_fail "tx checksum offload off on $MP_VETH_G"
ip netns exec "$DTS_NS_D" python3 "$DTS_WORK/dts.py" tx-csum-off "$MP_VETH_D" ||
	dts_fail "tx checksum offload off on $MP_VETH_D"
ip netns exec "$DTS_NS_D" sysctl -qw "net.ipv6.conf.$MP_VETH_D.disable_ipv6=1" >/dev/null
ip -n "$DTS_NS_D" link set "$MP_VETH_D" up || dts_fail "$MP_VETH_D up"
ip -n "$DTS_NS_G" addr add "$MP_OUT4_G/24" dev "$MP_VETH_G" || dts_fail "address"
ip -n "$DTS_NS_G" link set "$MP_VETH_G" up || dts_fail "$MP_VETH_G up"

# loss IFACE PERCENT: drop PERCENT % of what arrives on IFACE in $DTS_NS_G
# (0 removes the rule).
loss() {
	local ifc=$1 pct=$2 t=mp_$1
	ip netns exec "$DTS_NS_G" nft delete table netdev "$t" 2>/dev/null
	[ "$pct" = 0 ] && return 0
	local rule="numgen random mod 100 < $pct drop"
	[ "$pct" -ge 100 ] && rule=drop
	ip netns exec "$DTS_NS_G" nft -f - <<-EOT || dts_fail "nft loss on $ifc"
	table netdev $t {
		chain in {
			type filter hook ingress device "$ifc" priority 0;
			$rule
		}
	}
	EOT
}
command -v nft >/dev/null || dts_skip "nft not found"

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
mp_start() {
	local conf=$1 i
	dts_hugepages_ensure
	DTS_DPDK_RUNS=$((DTS_DPDK_RUNS + 1))
	DTS_DPDK_OUT=$DTS_WORK/dpdk-wg.$DTS_DPDK_RUNS.out
	DTS_DPDK_ERR=$DTS_WORK/dpdk-wg.$DTS_DPDK_RUNS.err
	ip netns exec "$DTS_NS_D" "$DTS_BIN" --no-pci --huge-dir "$DTS_HUGE_MNT" \
		--file-prefix "$DTS_FILE_PREFIX" -l 0-1 \
		"--vdev=net_af_packet0,iface=$DTS_VETH_D" \
		"--vdev=net_af_packet1,iface=$MP_VETH_D" \
		--log-level=lib.eal:error -- -c "$conf" --name "$DTS_IF_D" \
		--stats-interval 1 >"$DTS_DPDK_OUT" 2>"$DTS_DPDK_ERR" &
	DTS_DPDK_PID=$!
	for ((i = 0; i < 300; i++)); do
		dts_dpdk_up && break
		kill -0 "$DTS_DPDK_PID" 2>/dev/null ||
			{ cat "$DTS_DPDK_ERR"; dts_fail "dpdk-wg exited"; }
		sleep 0.1
	done
	dts_dpdk_up || dts_fail "dpdk-wg not up"
}

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

# ------------------------------------------- 3. failover under iperf3
mp_conf "$DTS_WORK/failover.conf" failover "$ep_a" "$ep_b" \
	"FailbackHold = 3" "ProbeInterval = 1"
mp_start "$DTS_WORK/failover.conf"
dts_ping_until "$DTS_NS_D" "$DTS_IN4_G" 10 || dts_fail "no tunnel (failover)"
sleep 2
dts_stats_fresh
mp_path_line wan0 "$DTS_OUT4_G:$DTS_PORT_G" | grep -q " active:" ||
	{ dts_stats_last; dts_fail "failover: wan0 (Priority 10) is not the active path"; }
port=$((5201 + RANDOM % 500))
ip netns exec "$DTS_NS_G" iperf3 -s -1 -B "$DTS_IN4_G" -p "$port" \
	>"$DTS_WORK/iperf-fo.server" 2>&1 &
spid=$!
dts_track "$spid"
dts_wait_for 5 dts_listening "$DTS_NS_G" "$port" || dts_fail "iperf3 server"
ip netns exec "$DTS_NS_D" timeout 60 iperf3 -c "$DTS_IN4_G" -p "$port" -t 16 \
	-i 0.25 -J >"$DTS_WORK/iperf-fo.json" 2>"$DTS_WORK/iperf-fo.err" &
cpid=$!
sleep 4
dts_log "cutting wan0 (100 % loss both ways)"
loss "$DTS_VETH_G" 100
# the other direction: drop what wireguard-go sends out of wan0
ip netns exec "$DTS_NS_G" nft -f - <<-EOT
table inet mp_out {
	chain out {
		type filter hook output priority 0;
		oifname "$DTS_VETH_G" drop
	}
}
EOT
sleep 5
dts_stats_fresh
cut_active=$(dts_stats_last | grep " active:" | head -n1)
dts_log "during the cut: ${cut_active# }"
dts_log "restoring wan0"
loss "$DTS_VETH_G" 0
ip netns exec "$DTS_NS_G" nft delete table inet mp_out
restored=$(date +%s.%N)
back=
for ((i = 0; i < 100; i++)); do
	if grep -q "peer 1: data now on wan0" "$DTS_DPDK_OUT" &&
		[ "$(grep -c 'data now on' "$DTS_DPDK_OUT")" -ge 2 ]; then
		back=$(date +%s.%N)
		break
	fi
	sleep 0.1
done
wait "$cpid"
rc=$?
dts_stop_pid "$spid" 1 >/dev/null 2>&1
grep "data now on" "$DTS_DPDK_OUT" | sed 's/^/    /'
[ $rc -eq 0 ] || { cat "$DTS_WORK/iperf-fo.err"; dts_fail "iperf3 failed ($rc)"; }
gap=$(python3 - "$DTS_WORK/iperf-fo.json" <<-'EOP'
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
)
dts_log "failover: longest gap in the transfer ${gap:-?} s"
echo "$cut_active" | grep -q "lte0 ->" ||
	dts_fail "data did not move to lte0 while wan0 was cut"
python3 -c "import sys; sys.exit(0 if float('${gap:-99}') <= 1.0 else 1)" ||
	dts_fail "a gap of ${gap:-?} s in the transfer (want <= 1 s)"
[ -n "$back" ] || dts_fail "data did not come back to wan0"
took=$(python3 -c "print('%.1f' % ($back - $restored))")
dts_log "failback to wan0 $took s after the restore (FailbackHold 3 s)"
# The goal is FailbackHold + 2 s; on a 2-core machine where iperf3,
# wireguard-go and dpdk-wg share the CPUs the probes' answers can lag, so
# the bound here is FailbackHold + 5 s (the figure is in the log).
python3 -c "import sys; sys.exit(0 if $back - $restored <= 3 + 5 else 1)" ||
	dts_fail "failback took $took s (want <= FailbackHold + 5 s)"
dts_stop_dpdk_wg

# ------------------------------------- 4. an IPv4 and an IPv6 path
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

dts_log "PASS: duplicate lost $dup_loss %, single $single_loss %; failover gap ${gap}s, failback ${took}s"
