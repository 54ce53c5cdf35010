#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# dts/drops.sh DPDK_WG: what must not pass is dropped and counted, and
# nothing leaves dpdk-wg in the clear.
#
#  1. no_peer: pings to 10.9.0.77 (in the TUN's /24, in no AllowedIPs)
#     and to 198.51.100.7 (routed to the TUN by hand).
#  2. unknown_index: forged transport messages (type 4, random receiver
#     index, counter and body) sent with a UDP socket from wireguard-go's
#     namespace to 192.0.2.1:51820.
#  3. data_auth: the same with the receiver index of dpdk-wg's current
#     keypair (taken from a captured message): the index is found, the
#     tag does not verify.
#  4. replay: a real transport message from wireguard-go, captured on the
#     veth, sent again (from another port: the endpoint must not move).
#  5. allowedips_src: ICMP with inner source 10.9.0.5 sent into
#     wireguard-go's tunnel (a raw socket): authenticated, but the peer
#     may only use 10.9.0.2.
#  6. Nobody answers ARP for 192.0.2.99 (not dpdk-wg's address).
#  7. stale_timestamp: wireguard-go starts a new session; its initiation,
#     captured, is sent again three times (0.2 s apart).
#  8. handshake_auth: initiations with random contents but a valid MAC1.
#     Data-path and handshake drops must count each message once.
#  9. A flood of 20000 such initiations (dpdk-wg, under load, answers with
#     cookie replies) while wireguard-go starts a new session: it must
#     complete (within 15 s: a cookie costs wireguard-go a 5-s retry).
# 10. The capture on wireguard-go's side of the veth, from before dpdk-wg
#     starts to the end, holds only ARP, ND/MLD and WireGuard messages to
#     or from the WireGuard ports (first byte 1..4, three zero bytes, the
#     right length), and never the ping payload pattern, which the
#     capture on wireguard-go's tunnel interface does hold.
# The tunnel must still work afterwards, with its endpoint unchanged.

# shellcheck source=SCRIPTDIR/lib.sh disable=SC2119
. "$(dirname "$0")/lib.sh" || exit 1
dts_init "$@"

pattern=deadbeefcafef00d

dts_keys
dts_start_wggo "$DTS_NS_G" "$DTS_IF_G"
dts_wggo_conf "$DTS_NS_G" "$DTS_IF_G" g "$DTS_PORT_G" "$DTS_IN4_G/24" \
	"$DTS_PUB_D" "$DTS_IN4_D/32"
dts_pcap_start "$DTS_NS_G" "$DTS_VETH_G" outer
outer_pid=$DTS_PCAP_PID
dts_pcap_start "$DTS_NS_G" "$DTS_IF_G" inner
inner_pid=$DTS_PCAP_PID
dts_tunnel_up dpdk
dts_ping_until "$DTS_NS_D" "$DTS_IN4_G" 10 || dts_fail "tunnel does not come up"

dts_log "pings with payload pattern $pattern, both ways"
dts_ping "$DTS_NS_D" "$DTS_IN4_G" 10 -p "$pattern" || dts_fail "pings lost"
dts_ping "$DTS_NS_D" "$DTS_IN4_G" 5 -p "$pattern" -s 1392 || dts_fail "pings lost"
dts_ping "$DTS_NS_G" "$DTS_IN4_D" 10 -p "$pattern" || dts_fail "pings lost"
dts_ping "$DTS_NS_G" "$DTS_IN4_D" 5 -p "$pattern" -s 1392 || dts_fail "pings lost"
dts_stats_fresh
dts_log "before: $(dts_drops_line)"

# expect REASON MIN: the counter reaches MIN within 5 s
expect() {
	if dts_wait_for 5 dts_drop_ge "$1" "$2"; then
		dts_log "  $1=$(dts_drop "$1") (>= $2)"
		return 0
	fi
	dts_log "  drops now: $(dts_drops_line)"
	dts_fail "$1 is $(dts_drop "$1"), want >= $2"
}

# expect_exact REASON N: the counter reaches N, and a later stats line
# still says N (each dropped message counted once)
expect_exact() {
	dts_wait_for 5 dts_drop_ge "$1" "$2" || {
		dts_log "  drops now: $(dts_drops_line)"
		dts_fail "$1 is $(dts_drop "$1"), want $2"
	}
	dts_stats_fresh
	[ "$(dts_drop "$1")" -eq "$2" ] || {
		dts_log "  drops now: $(dts_drops_line)"
		dts_fail "$1 is $(dts_drop "$1"), want exactly $2 (counted twice?)"
	}
	dts_log "  $1=$2"
}

# ------------------------------------------------------------ no_peer
dts_log "== 1. no peer for the destination"
np0=$(dts_drop no_peer)
ip netns exec "$DTS_NS_D" ping -n -c 3 -i 0.2 -W 1 10.9.0.77 >/dev/null 2>&1 &&
	dts_fail "10.9.0.77 answered"
expect no_peer $((np0 + 3))
ip -n "$DTS_NS_D" route add 198.51.100.0/24 dev "$DTS_IF_D" ||
	dts_fail "route via $DTS_IF_D"
ip netns exec "$DTS_NS_D" ping -n -c 2 -i 0.2 -W 1 198.51.100.7 >/dev/null 2>&1 &&
	dts_fail "198.51.100.7 answered"
expect no_peer $((np0 + 5))

# ------------------------------------------------------ unknown_index
dts_log "== 2. forged transport messages, unknown receiver index"
ui0=$(dts_drop unknown_index)
msgs=()
for i in 1 2 3; do
	msgs+=("$(dts_py forged $((RANDOM * 65536 + RANDOM)) $((RANDOM + 1)) 64)")
done
ip netns exec "$DTS_NS_G" python3 "$DTS_WORK/dts.py" send "$DTS_OUT4_D" \
	"$DTS_PORT" 0 "${msgs[@]}" || dts_fail "sending forged messages"
expect_exact unknown_index $((ui0 + 3))

# ---------------------------------------------------------- data_auth
dts_log "== 3. forged transport messages, dpdk-wg's receiver index"
real=$(dts_py last-transport "$DTS_WORK/outer.pcap" "$DTS_OUT4_G:$DTS_PORT_G" "$DTS_PORT") ||
	dts_fail "no transport message from wireguard-go captured"
# little-endian receiver index and counter of the real message
idx=$(python3 -c 'import sys,struct; print(struct.unpack("<I", bytes.fromhex(sys.argv[1])[4:8])[0])' "$real")
ctr=$(python3 -c 'import sys,struct; print(struct.unpack("<Q", bytes.fromhex(sys.argv[1])[8:16])[0])' "$real")
dts_log "  captured message: receiver index $idx, counter $ctr"
da0=$(dts_drop data_auth)
msgs=()
for i in 1 2 3; do
	msgs+=("$(dts_py forged "$idx" $((ctr + 100 + i)) 64)")
done
ip netns exec "$DTS_NS_G" python3 "$DTS_WORK/dts.py" send "$DTS_OUT4_D" \
	"$DTS_PORT" 0 "${msgs[@]}" || dts_fail "sending forged messages"
expect_exact data_auth $((da0 + 3))

# ------------------------------------------------------------- replay
dts_log "== 4. replayed transport message"
# A fresh real message (the last one wireguard-go sent), sent 3 times.
dts_ping "$DTS_NS_G" "$DTS_IN4_D" 1 >/dev/null || dts_fail "ping"
sleep 0.3
real=$(dts_py last-transport "$DTS_WORK/outer.pcap" "$DTS_OUT4_G:$DTS_PORT_G" "$DTS_PORT") ||
	dts_fail "no transport message from wireguard-go captured"
rp0=$(dts_drop replay)
ip netns exec "$DTS_NS_G" python3 "$DTS_WORK/dts.py" send "$DTS_OUT4_D" \
	"$DTS_PORT" 0 "$real" "$real" "$real" || dts_fail "sending replays"
expect_exact replay $((rp0 + 3))

# ----------------------------------------------------- allowedips_src
dts_log "== 5. inner source outside the peer's AllowedIPs"
# wireguard-go seals whatever its routes send to 10.9.0.1; dpdk-wg must
# refuse an inner source the peer may not use (10.9.0.5, not 10.9.0.2).
as0=$(dts_drop allowedips_src)
ip netns exec "$DTS_NS_G" python3 "$DTS_WORK/dts.py" spoof 10.9.0.5 \
	"$DTS_IN4_D" 3 || dts_fail "sending spoofed packets"
expect_exact allowedips_src $((as0 + 3))

# ------------------------------------------------------------ not ours
dts_log "== 6. ARP for an address that is not dpdk-wg's"
ip netns exec "$DTS_NS_G" ping -n -c 2 -i 0.3 -W 1 192.0.2.99 >/dev/null 2>&1
nb=$(ip -n "$DTS_NS_G" neigh show 192.0.2.99 | grep -c lladdr)
[ "$nb" -eq 0 ] ||
	dts_fail "someone answered ARP for 192.0.2.99: $(ip -n "$DTS_NS_G" neigh show 192.0.2.99)"
dts_log "  no ARP answer for 192.0.2.99"

# ---------------------------------------------------- stale_timestamp
dts_log "== 7. replayed handshake initiation"
# wireguard-go starts a fresh session (peer removed and added back, now
# with dpdk-wg's endpoint): its initiation is captured and sent again.
ip netns exec "$DTS_NS_G" wg set "$DTS_IF_G" peer "$DTS_PUB_D" remove ||
	dts_fail "wg set peer remove"
ip netns exec "$DTS_NS_G" wg set "$DTS_IF_G" peer "$DTS_PUB_D" \
	allowed-ips "$DTS_IN4_D/32" endpoint "$DTS_OUT4_D:$DTS_PORT" ||
	dts_fail "wg set peer"
dts_ping_until "$DTS_NS_G" "$DTS_IN4_D" 10 ||
	dts_fail "no new session started by wireguard-go"
sleep 0.3
init=$(dts_py last-initiation "$DTS_WORK/outer.pcap" "$DTS_OUT4_G:$DTS_PORT_G" "$DTS_PORT") ||
	dts_fail "no initiation from wireguard-go captured"
dts_stats_fresh
st0=$(dts_drop stale_timestamp)
for i in 1 2 3; do
	# 0.2 s apart: not a flood, just old
	ip netns exec "$DTS_NS_G" python3 "$DTS_WORK/dts.py" send "$DTS_OUT4_D" \
		"$DTS_PORT" 0 "$init" || dts_fail "sending the initiation"
	sleep 0.2
done
expect_exact stale_timestamp $((st0 + 3))

# ----------------------------------------------------- handshake_auth
dts_log "== 8. forged initiations with a valid MAC1"
ha0=$(dts_drop handshake_auth)
ip netns exec "$DTS_NS_G" python3 "$DTS_WORK/dts.py" initiations \
	"$DTS_OUT4_D" "$DTS_PORT" "$DTS_PUB_D" 3 || dts_fail "sending initiations"
expect_exact handshake_auth $((ha0 + 3))

# -------------------------------------------------------- under load
dts_log "== 9. a flood of initiations; wireguard-go's own still gets through"
ip netns exec "$DTS_NS_G" python3 "$DTS_WORK/dts.py" initiations \
	"$DTS_OUT4_D" "$DTS_PORT" "$DTS_PUB_D" 20000 &
flood=$!
dts_track $flood
sleep 0.2
# a fresh session from wireguard-go in the middle of it: it may get a
# cookie reply and retry (REKEY_TIMEOUT, 5 s) with MAC2
ip netns exec "$DTS_NS_G" wg set "$DTS_IF_G" peer "$DTS_PUB_D" remove ||
	dts_fail "wg set peer remove"
ip netns exec "$DTS_NS_G" wg set "$DTS_IF_G" peer "$DTS_PUB_D" \
	allowed-ips "$DTS_IN4_D/32" endpoint "$DTS_OUT4_D:$DTS_PORT" ||
	dts_fail "wg set peer"
dts_ping_until "$DTS_NS_G" "$DTS_IN4_D" 15 ||
	dts_fail "no session with wireguard-go during/after the flood"
wait $flood
dts_check_dpdk_alive
dts_stats_fresh
dts_log "  $(dts_drops_line | sed 's/^ *//')"
dts_log "  wireguard-go got $(grep -c "Receiving cookie response" \
	"$DTS_WORK/wireguard-go-$DTS_IF_G.log") cookie reply(ies)"

# ------------------------------------------------ the tunnel still works
dts_ping "$DTS_NS_D" "$DTS_IN4_G" 5 -p "$pattern" || dts_fail "pings lost afterwards"
dts_ping "$DTS_NS_G" "$DTS_IN4_D" 5 -p "$pattern" || dts_fail "pings lost afterwards"
dts_stats_fresh
ep=$(dts_peer_field endpoint)
[ "$ep" = "$DTS_OUT4_G:$DTS_PORT_G" ] ||
	dts_fail "dpdk-wg's peer endpoint moved to '$ep' (forged or replayed traffic must not move it)"
dts_stats_last | sed 's/^/    /'
dts_check_dpdk_alive

# ------------------------------------------------------- the capture
dts_log "== 10. nothing in the clear on the uplink"
sleep 0.3
dts_stop_pid "$outer_pid" 2
dts_stop_pid "$inner_pid" 2
python3 - "$DTS_WORK/inner.pcap" "$pattern" <<'EOF' ||
import sys
data = open(sys.argv[1], "rb").read()
n = data.count(bytes.fromhex(sys.argv[2]))
print("    inner capture: pattern found %d times (plaintext side)" % n)
sys.exit(0 if n > 0 else 1)
EOF
	dts_fail "the pattern is not even in the inner capture: audit meaningless"
dts_py audit "$DTS_WORK/outer.pcap" "$pattern" "$DTS_PORT,$DTS_PORT_G" |
	sed 's/^/    /'
[ "${PIPESTATUS[0]}" -eq 0 ] || dts_fail "the uplink carried something other than WireGuard, ARP and ND"

dts_check_wggo_log
dts_stop_dpdk_wg || dts_fail "dpdk-wg did not stop cleanly"
dts_stats_last | sed "s/^/    final: /"

dts_log "PASS"
exit 0
