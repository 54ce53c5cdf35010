#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The dpdk-wg demo: two lossy uplinks, one tunnel that does not lose.
#
# Installs what is missing, builds, then on a namespace test bed runs
# dpdk-wg with two uplinks through wg-impair (wan0: 20 ms, 5 % loss;
# lte0: 40 ms, 10 % loss, each way), Redundancy = duplicate, towards
#   (a) a wireguard-go peer (redundant in dpdk-wg's sending direction),
#   (b) a second dpdk-wg (redundant both ways),
# drives pings through the tunnel while showing dpdk-wg's live per-path
# table, and ends with a summary: the loss of each path alone against the
# loss delivered through the tunnel, and which path delivered first how
# often. Cleans up after itself, even when interrupted.
#
#   devtools/demo.sh [--quick]      (as root)
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
quick=0
[ "${1:-}" = --quick ] && quick=1
"$top/devtools/setup.sh" "$top/build" || exit 1
[ "$(id -u)" = 0 ] || { echo "demo: run as root (namespaces, hugepages)" >&2; exit 1; }

bin=$top/build/app/dpdk-wg/dpdk-wg
impair=$top/build/app/wg-impair/wg-impair
id=$$
work=$(mktemp -d "/tmp/dpdk-wg-demo.XXXXXX")
ns_d=demo-d-$id ns_i=demo-i-$id ns_g=demo-g-$id ns_e=demo-e-$id
pids=()
huge_old=$(cat /proc/sys/vm/nr_hugepages)
pings=${DEMO_PINGS:-1500}
[ $quick = 1 ] && pings=300

cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	sleep 1
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	for n in "$ns_d" "$ns_i" "$ns_g" "$ns_e"; do ip netns del "$n" 2>/dev/null; done
	umount "$work/huge" 2>/dev/null
	echo "$huge_old" >/proc/sys/vm/nr_hugepages
	rm -rf "$work" /var/run/dpdk/demo*-"$id"
	rm -f /var/run/wireguard/dg"$id".sock
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo 512 >/proc/sys/vm/nr_hugepages
mkdir "$work/huge" && mount -t hugetlbfs -o pagesize=2M nodev "$work/huge" || exit 1

# veth A B NS_A NS_B: a pair, no offloads (af_packet passes frames as they are).
veth() {
	ip link add "$1" netns "$3" type veth peer name "$2" netns "$4" || exit 1
	ip netns exec "$3" ethtool -K "$1" tx off >/dev/null 2>&1
	ip netns exec "$4" ethtool -K "$2" tx off >/dev/null 2>&1
	ip -n "$3" link set "$1" up
	ip -n "$4" link set "$2" up
}
for n in "$ns_d" "$ns_i" "$ns_g"; do ip netns add "$n"; ip -n "$n" link set lo up; done
for n in "$ns_d" "$ns_i"; do ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1; done
# dpdk-wg <-> impair <-> peer, twice
veth dw0 iw0 "$ns_d" "$ns_i"; veth iw1 gw0 "$ns_i" "$ns_g"
veth dl0 il0 "$ns_d" "$ns_i"; veth il1 gl0 "$ns_i" "$ns_g"
mac() { ip -n "$1" link show "$2" | awk '/link\/ether/ {print $2}'; }

priv_d=$(wg genkey); pub_d=$(echo "$priv_d" | wg pubkey)
priv_g=$(wg genkey); pub_g=$(echo "$priv_g" | wg pubkey)

eal() {  # eal PREFIX LCORES VDEV...
	local prefix=$1 lcores=$2
	shift 2
	echo --no-pci --huge-dir "$work/huge" --file-prefix "$prefix-$id" -l "$lcores" \
		--log-level=lib.eal:error "$@"
}

# impairment: wan0 20 ms / 5 %, lte0 40 ms / 10 %, both ways
ip netns exec "$ns_i" "$impair" $(eal demoi 1 --vdev=net_af_packet0,iface=iw0 \
	--vdev=net_af_packet1,iface=iw1 --vdev=net_af_packet2,iface=il0 \
	--vdev=net_af_packet3,iface=il1) -- --rt-prio 10 \
	--pair 0:1 --delay-ms 20 --loss 5 --pair 2:3 --delay-ms 40 --loss 10 \
	--stats-interval 0 >"$work/impair.log" 2>&1 &
pids+=($!)

# dpdk_conf FILE PRIV PEERPUB WAN_ADDR LTE_ADDR PEER_WAN PEER_LTE PEER_WAN_MAC PEER_LTE_MAC TUN_ADDR PEER_TUN
dpdk_conf() {
	cat >"$1" <<-EOC
	[Interface]
	PrivateKey = $2
	ListenPort = 51820
	Address = ${10}/24
	ReplayWindow = 65536
	[Uplink]
	Name = wan0
	Port = net_af_packet0
	Address = $4/24
	Neighbor = $6 $8
	[Uplink]
	Name = lte0
	Port = net_af_packet1
	Address = $5/24
	Neighbor = $7 $9
	[Peer]
	PublicKey = $3
	AllowedIPs = ${11}/32
	Endpoint = $6:51820
	Endpoint = $7:51820
	Redundancy = duplicate
	EOC
}

start_dpdk() {  # start_dpdk NS PREFIX CONF LOG LCORES IF_WAN IF_LTE
	# Both dpdk-wg of part (b) are named wgdemo (one in each namespace):
	# their UAPI sockets go in the work directory, not side by side in
	# /var/run/wireguard.
	ip netns exec "$1" "$bin" $(eal "$2" "$5" --vdev=net_af_packet0,iface="$6" \
		--vdev=net_af_packet1,iface="$7") -- -c "$3" --name wgdemo \
		--uapi-dir "$work/uapi-$2" \
		--stats-interval 1 --idle-us 50 >"$4" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do grep -q " up, " "$4" && return 0; sleep 0.1; done
	cat "$4"; echo "demo: dpdk-wg did not start" >&2; exit 1
}

# Live table: the last stats block of LOG, refreshed, for SECONDS.
show_live() {
	local log=$1 secs=$2 t
	for ((t = 0; t < secs; t++)); do
		sleep 1
		printf '\033[H\033[J'
		echo "== $3 ($t/$secs s) =="
		awk '/: uplink rx/ {blk = ""} {blk = blk $0 "\n"} END {printf "%s", blk}' "$log" |
			grep -v "data now on"
	done
}

# summary LOG SENT RECEIVED LABEL
summary() {
	awk -v sent="$2" -v got="$3" -v label="$4" '
		/-> .* (active|up):/ { line[$1] = $0 }
		END {
			printf "\n== %s\n", label
			printf "  through the tunnel: %d sent, %d arrived: %.2f %% lost\n",
				sent, got, sent ? 100 * (sent - got) / sent : 0
			for (u in line) {
				split(line[u], f, "first "); split(f[2], g, "%")
				printf "  %s delivered first %s %% of the time\n", u, g[1]
			}
		}' "$1"
	echo "  wan0 alone loses 5 % each way, lte0 10 %: one path alone would lose"
	echo "  5-10 % of these packets; both together lose about 0.5 %."
}

count_rx() {  # count_rx NS IF: packets the interface received
	ip -n "$1" -s link show "$2" | awk '/RX:/ {getline; print $2}'
}

# ------------------------------------------------ (a) against wireguard-go
mac_dw=$(mac "$ns_d" dw0) mac_dl=$(mac "$ns_d" dl0)
mac_gw=$(mac "$ns_g" gw0) mac_gl=$(mac "$ns_g" gl0)
ip -n "$ns_g" addr add 192.0.2.2/24 dev gw0
ip -n "$ns_g" addr add 198.51.100.2/24 dev gl0
ip -n "$ns_g" neigh replace 192.0.2.1 lladdr "$mac_dw" dev gw0
ip -n "$ns_g" neigh replace 198.51.100.1 lladdr "$mac_dl" dev gl0
ip netns exec "$ns_g" wireguard-go -f dg"$id" >"$work/wggo.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -S /var/run/wireguard/dg"$id".sock ] && break; sleep 0.1; done
echo "$priv_g" >"$work/g.key"
ip netns exec "$ns_g" wg set dg"$id" private-key "$work/g.key" listen-port 51820 \
	peer "$pub_d" allowed-ips 10.9.0.1/32 endpoint 192.0.2.1:51820
ip -n "$ns_g" addr add 10.9.0.2/24 dev dg"$id"
ip -n "$ns_g" link set dg"$id" up

dpdk_conf "$work/d.conf" "$priv_d" "$pub_g" 192.0.2.1 198.51.100.1 \
	192.0.2.2 198.51.100.2 "$mac_gw" "$mac_gl" 10.9.0.1 10.9.0.2
start_dpdk "$ns_d" demod "$work/d.conf" "$work/d.log" 0-1 dw0 dl0
ip netns exec "$ns_d" ping -c 1 -w 10 10.9.0.2 >/dev/null ||
	{ cat "$work/d.log"; echo "demo: no tunnel to wireguard-go" >&2; exit 1; }
before=$(count_rx "$ns_g" dg"$id")
ip netns exec "$ns_d" ping -q -c "$pings" -i 0.01 10.9.0.2 >"$work/ping-a.txt" 2>&1 &
ppid=$!
show_live "$work/d.log" $((pings / 100 + 2)) "(a) dpdk-wg -> wireguard-go, duplicate over wan0 + lte0"
wait $ppid
got=$(( $(count_rx "$ns_g" dg"$id") - before ))
summary "$work/d.log" "$pings" "$got" "(a) dpdk-wg -> wireguard-go (redundant in dpdk-wg's direction)"
echo "  pings (both directions; wireguard-go answers on one path): $(grep -o '[0-9.]*% packet loss' "$work/ping-a.txt")"
kill -TERM "${pids[-1]}"; sleep 2
ip netns exec "$ns_g" ip link del dg"$id"

# ------------------------------------------------- (b) dpdk-wg both ends
ip -n "$ns_g" addr flush dev gw0; ip -n "$ns_g" addr flush dev gl0
ip netns exec "$ns_g" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
dpdk_conf "$work/g.conf" "$priv_g" "$pub_d" 192.0.2.2 198.51.100.2 \
	192.0.2.1 198.51.100.1 "$mac_dw" "$mac_dl" 10.9.0.2 10.9.0.1
start_dpdk "$ns_d" demod "$work/d.conf" "$work/d2.log" 0-1 dw0 dl0
start_dpdk "$ns_g" demog "$work/g.conf" "$work/g2.log" 0-1 gw0 gl0
ip netns exec "$ns_d" ping -c 1 -w 10 10.9.0.2 >/dev/null ||
	{ cat "$work/d2.log" "$work/g2.log"; echo "demo: no tunnel between the dpdk-wg" >&2; exit 1; }
before=$(count_rx "$ns_g" wgdemo)
ip netns exec "$ns_d" ping -q -c "$pings" -i 0.01 10.9.0.2 >"$work/ping-b.txt" 2>&1 &
ppid=$!
show_live "$work/d2.log" $((pings / 100 + 2)) "(b) dpdk-wg <-> dpdk-wg, duplicate both ways"
wait $ppid
got=$(( $(count_rx "$ns_g" wgdemo) - before ))
summary "$work/d2.log" "$pings" "$got" "(b) dpdk-wg <-> dpdk-wg (redundant both ways)"
echo "  pings (both directions redundant): $(grep -o '[0-9.]*% packet loss' "$work/ping-b.txt")"
