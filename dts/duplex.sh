#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# dts/duplex.sh DPDK_WG: dpdk-wg at both ends, two paths, loss on each
# path in each direction; Redundancy = duplicate both ways.
#
#   $DTS_NS_D: dpdk-wg A            $DX_NS_W: relay              $DTS_NS_G: dpdk-wg B
#   wan0 192.0.2.1    $DTS_VETH_D  <-> $DTS_VETH_G  ~ $DX_W0 <-> $DX_B0 wan0 192.0.2.2
#   lte0 198.51.100.1 $DTS_VETH_D2 <-> $DTS_VETH_G2 ~ $DX_W1 <-> $DX_B1 lte0 198.51.100.2
#   TUN $DTS_IF_D 10.9.0.1                                     TUN $DX_IF_B 10.9.0.2
#
# Each side knows both of the other's endpoints (both start handshakes).
# In the middle, a relay (python, af_packet) passes each frame on after a
# random delay of 0 to DX_JITTER_US (1000) microseconds, on each path
# and each way independently: the copies of a packet reach the other
# end in either order, as on real paths. (Equal paths without jitter
# would always hand the copy on the uplink polled first to the receiver
# first: the other path would have all the first arrivals only when the
# first one lost its copy, and never a duplicate. This kernel has no
# netem.) The loss: nftables, netdev egress on the relay's four ports,
# 20 % random on each, independent: each path loses 20 % each way.
# Both dpdk-wg run -l 0-1 with --idle-us 50 (two of them busy-polling
# their worker lcore would starve each other), each with its own
# --file-prefix and hugetlbfs mount.
#
#  1. Redundancy = duplicate on both: 1000 pings each way at once, 5 ms
#     apart (about 2000 tunnel packets in each direction). A packet is
#     lost only when both copies are (4 %): per direction, of the packets
#     that left one side's TUN, those that reached the other's (TUN
#     counters), at most 8 % lost. Each side sent every packet on both
#     paths, and its stats show, as the receiving side, first arrivals
#     and duplicates on both paths.
#  2. Redundancy = single on both, same loss: about 20 % lost in each
#     direction (at least 12 %).

# shellcheck source=SCRIPTDIR/lib.sh disable=SC2119
. "$(dirname "$0")/lib.sh" || exit 1
dts_init "$@"
command -v nft >/dev/null || dts_skip "nft not found"

DX_NS_W=dts-w-$DTS_ID
DX_B0=dtsp$DTS_ID               # B's wan0 port, in $DTS_NS_G
DX_W0=dtsq$DTS_ID               # its peer, in $DX_NS_W
DX_B1=dtsr$DTS_ID               # B's lte0 port
DX_W1=dtss$DTS_ID
DX_IF_B=wge$DTS_ID              # B's TUN
DX_PREFIX_B=wgdtsb$DTS_ID
DX_HUGE_B=
DX_B_PID=
DX_B_OUT=
DX_B_RUNS=0
DX_PINGS=${DTS_DUPLEX_PINGS:-1000}
DX_JITTER_US=${DTS_DUPLEX_JITTER_US:-1000}

# ------------------------------------------------------------- cleanup
# B, its hugetlbfs and its DPDK runtime directory, then the bed's own.
dx_cleanup() {
	local rc=$?
	set +e
	[ -n "$DX_B_PID" ] && dx_stop_b >/dev/null 2>&1
	if [ -n "$DX_HUGE_B" ]; then
		umount "$DX_HUGE_B" 2>/dev/null || umount -l "$DX_HUGE_B" 2>/dev/null
		rmdir "$DX_HUGE_B" 2>/dev/null
	fi
	rm -rf "/var/run/dpdk/$DX_PREFIX_B"
	(exit "$rc")
	dts_cleanup
}
trap dx_cleanup EXIT

# What a run killed with SIGKILL left (lib.sh reaps the rest): the
# namespace and DPDK runtime directory of B of dead PIDs.
for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
	case $ns in dts-w-*) pid=${ns#dts-w-} ;; *) continue ;; esac
	case $pid in *[!0-9]*|"") continue ;; esac
	kill -0 "$pid" 2>/dev/null || ip netns del "$ns" 2>/dev/null
done
for m in /var/run/dpdk/wgdtsb*; do
	[ -d "$m" ] || continue
	pid=${m##*/wgdtsb}
	case $pid in *[!0-9]*|"") continue ;; esac
	kill -0 "$pid" 2>/dev/null || rm -rf "$m"
done

# ------------------------------------------------------------- the bed
dts_ns_add "$DX_NS_W"
for ns in "$DTS_NS_D" "$DTS_NS_G" "$DX_NS_W"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null
done
# A's wan0 veth (lib.sh's pair): its other end goes to the relay's
ip -n "$DTS_NS_G" link set "$DTS_VETH_G" netns "$DX_NS_W" ||
	dts_fail "$DTS_VETH_G to $DX_NS_W"
ip -n "$DX_NS_W" link set "$DTS_VETH_G" up || dts_fail "$DTS_VETH_G up"
dts_veth "$DTS_NS_D" "$DTS_VETH_D2" "$DX_NS_W" "$DTS_VETH_G2"
dts_veth "$DTS_NS_G" "$DX_B0" "$DX_NS_W" "$DX_W0"
dts_veth "$DTS_NS_G" "$DX_B1" "$DX_NS_W" "$DX_W1"

cat >"$DTS_WORK/relay.py" <<'EOF'
# relay.py JITTER_US A:B...: every frame that arrives on A goes out of B
# (and the other way) after a random delay in [0, JITTER_US) us.
import heapq, random, select, socket, sys, time
jitter = float(sys.argv[1]) / 1e6
socks, peer = {}, {}
for pair in sys.argv[2:]:
    a, b = pair.split(":")
    for n in (a, b):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.bind((n, 0))
        s.setblocking(False)
        socks[n] = s
    peer[a], peer[b] = b, a
byfd = {s.fileno(): n for n, s in socks.items()}
print("ready", flush=True)
q, seq = [], 0
while True:
    # select: microseconds (epoll's timeout is in milliseconds, which
    # would send both copies in the same wake-up, microseconds apart)
    wait = max(0.0, q[0][0] - time.monotonic()) if q else 1.0
    for fd in select.select(list(byfd), [], [], wait)[0]:
        n = byfd[fd]
        while True:
            try:
                data, addr = socks[n].recvfrom(65536)
            except BlockingIOError:
                break
            if addr[2] == socket.PACKET_OUTGOING:
                continue
            seq += 1
            heapq.heappush(q, (time.monotonic() + random.random() * jitter,
                               seq, peer[n], data))
    now = time.monotonic()
    while q and q[0][0] <= now:
        _, _, out, data = heapq.heappop(q)
        try:
            socks[out].send(data)
        except OSError:
            pass  # the loss rule (nftables egress) dropped it: ENOBUFS
EOF
ip netns exec "$DX_NS_W" python3 -u "$DTS_WORK/relay.py" "$DX_JITTER_US" \
	"$DTS_VETH_G:$DX_W0" "$DTS_VETH_G2:$DX_W1" >"$DTS_WORK/relay.log" 2>&1 &
DX_RELAY_PID=$!
dts_track "$DX_RELAY_PID"
dts_wait_for 5 grep -q ready "$DTS_WORK/relay.log" ||
	dts_fail "relay did not start: $(cat "$DTS_WORK/relay.log")"

# loss_all PERCENT: on every path, both ways (0: none)
loss_all() {
	local i
	for i in "$DTS_VETH_G" "$DX_W0" "$DTS_VETH_G2" "$DX_W1"; do
		dts_loss "$DX_NS_W" "$i" "$1" egress
	done
}

# B's hugetlbfs (A has lib.sh's)
DX_HUGE_B=$DTS_WORK/huge-b
mkdir -p "$DX_HUGE_B"
mount -t hugetlbfs -o pagesize=2M nodev "$DX_HUGE_B" ||
	{ rmdir "$DX_HUGE_B"; DX_HUGE_B=; dts_skip "cannot mount a second hugetlbfs"; }

dts_genkey a >/dev/null
dts_genkey b >/dev/null

# dx_conf FILE KEY PEER_KEY ME PEER REDUNDANCY: ME/PEER the last octet of
# the addresses (1: A, 2: B).
dx_conf() {
	local file=$1 key=$2 peer=$3 me=$4 them=$5 red=$6
	(
		umask 077
		cat <<-EOC
		[Interface]
		PrivateKey = $(dts_key "$key")
		ListenPort = $DTS_PORT
		Address = 10.9.0.$me/24
		ReplayWindow = 65536

		[Uplink]
		Name = wan0
		Port = net_af_packet0
		Address = 192.0.2.$me/24

		[Uplink]
		Name = lte0
		Port = net_af_packet1
		Address = 198.51.100.$me/24

		[Peer]
		PublicKey = $(dts_pub "$peer")
		AllowedIPs = 10.9.0.$them/32
		Endpoint = 192.0.2.$them:$DTS_PORT
		Endpoint = 198.51.100.$them:$DTS_PORT
		Redundancy = $red
		EOC
	) >"$file"
}

# ---------------------------------------------------------- dpdk-wg B
dx_b_up() {
	grep -q "^dpdk-wg: $DX_IF_B up" "$DX_B_OUT" 2>/dev/null &&
		ip -n "$DTS_NS_G" link show "$DX_IF_B" >/dev/null 2>&1
}

# dx_start_b CONF: dpdk-wg B in $DTS_NS_G, as dts_start_dpdk_wg does A.
dx_start_b() {
	local cfg=$1 i rc
	dts_hugepages_ensure
	DX_B_RUNS=$((DX_B_RUNS + 1))
	DX_B_OUT=$DTS_WORK/dpdk-wg-b.$DX_B_RUNS.out
	local eal=(--no-pci --huge-dir "$DX_HUGE_B" --file-prefix "$DX_PREFIX_B"
		-l 0-1 "--vdev=net_af_packet0,iface=$DX_B0,qpairs=1"
		"--vdev=net_af_packet1,iface=$DX_B1,qpairs=1"
		--log-level=lib.eal:error)
	local opts=(-c "$cfg" --name "$DX_IF_B" --stats-interval 1 --idle-us 50)
	dts_log "B: dpdk-wg ${eal[*]} -- ${opts[*]}"
	ip netns exec "$DTS_NS_G" "$DTS_BIN" "${eal[@]}" -- "${opts[@]}" \
		>"$DX_B_OUT" 2>"$DTS_WORK/dpdk-wg-b.$DX_B_RUNS.err" &
	DX_B_PID=$!
	for ((i = 0; i < 300; i++)); do
		dx_b_up && break
		if ! kill -0 "$DX_B_PID" 2>/dev/null; then
			wait "$DX_B_PID"
			rc=$?
			DX_B_PID=
			cat "$DX_B_OUT" "$DTS_WORK/dpdk-wg-b.$DX_B_RUNS.err"
			dts_fail "dpdk-wg B exited ($rc) during start-up"
		fi
		sleep 0.1
	done
	dx_b_up || dts_fail "dpdk-wg B not up after 30 s"
	dts_log "B: dpdk-wg up (pid $DX_B_PID)"
}

# dx_stop_b: SIGTERM (final stats), dts_await_exit, then SIGKILL. 1 if it crashed
# or had to be killed.
dx_stop_b() {
	local pid=$DX_B_PID rc
	[ -n "$pid" ] || return 0
	DX_B_PID=
	kill -TERM "$pid" 2>/dev/null
	dts_await_exit "$pid" "dpdk-wg B" || return 1
	wait "$pid" 2>/dev/null
	rc=$?
	[ $rc -eq 0 ] || { dts_log "dpdk-wg B exited with status $rc"; return 1; }
}

# Run a lib.sh stats helper on B's output.
dx_b() { DTS_DPDK_OUT=$DX_B_OUT DTS_IF_D=$DX_IF_B "$@"; }

# ------------------------------------------------------------ measures
# dx_tun NS IF: "RX TX" packet counters of a TUN
dx_tun() {
	ip -n "$1" -s link show "$2" |
		awk '/RX:/ {getline; rx = $2} /TX:/ {getline; tx = $2} END {print rx, tx}'
}

# dx_path SIDE(a|b) UPLINK WORD: the number after WORD on the path line of
# UPLINK in SIDE's last stats block (tx: packets; first: share in %).
dx_path() {
	local blk
	if [ "$1" = a ]; then blk=$(dts_stats_last); else blk=$(dx_b dts_stats_last); fi
	echo "$blk" | grep -E "^    $2 -> " | head -n1 | tr -d ',%' | awk -v w="$3" '
		{ for (i = 1; i < NF; i++) if ($i == w) { print $(i + 1); exit } }'
}

# dx_run TAG REDUNDANCY: both ends up, 20 % loss, pings both ways at
# once; sets DX_AB, DX_BA (% lost per direction), DX_PING_A, DX_PING_B
# (% of each ping's echoes unanswered), DX_DTX_A/B (TUN packets sent).
dx_run() {
	local tag=$1 red=$2 a0 b0 a1 b1 pa pb
	dx_conf "$DTS_WORK/a-$tag.conf" a b 1 2 "$red"
	dx_conf "$DTS_WORK/b-$tag.conf" b a 2 1 "$red"
	DTS_EAL_EXTRA=("--vdev=net_af_packet1,iface=$DTS_VETH_D2,qpairs=1")
	dts_start_dpdk_wg "$DTS_WORK/a-$tag.conf" --idle-us 50
	dx_start_b "$DTS_WORK/b-$tag.conf"
	dts_ping_until "$DTS_NS_D" 10.9.0.2 15 || dts_fail "$tag: no tunnel A -> B"
	dts_ping_until "$DTS_NS_G" 10.9.0.1 5 || dts_fail "$tag: no tunnel B -> A"
	loss_all 20
	sleep 0.2
	read -r a0 <<<"$(dx_tun "$DTS_NS_D" "$DTS_IF_D")"
	read -r b0 <<<"$(dx_tun "$DTS_NS_G" "$DX_IF_B")"
	ip netns exec "$DTS_NS_D" ping -n -q -c "$DX_PINGS" -i 0.005 -W 1 10.9.0.2 \
		>"$DTS_WORK/ping-a-$tag.txt" 2>&1 &
	pa=$!
	ip netns exec "$DTS_NS_G" ping -n -q -c "$DX_PINGS" -i 0.005 -W 1 10.9.0.1 \
		>"$DTS_WORK/ping-b-$tag.txt" 2>&1 &
	pb=$!
	wait "$pa" "$pb"
	sleep 0.5
	kill -0 "$DX_RELAY_PID" 2>/dev/null ||
		dts_fail "the relay died: $(tail -n 5 "$DTS_WORK/relay.log")"
	read -r a1 <<<"$(dx_tun "$DTS_NS_D" "$DTS_IF_D")"
	read -r b1 <<<"$(dx_tun "$DTS_NS_G" "$DX_IF_B")"
	loss_all 0
	# a0 = "RX TX": per direction, what left one TUN and reached the other
	read -r DX_AB DX_BA DX_DTX_A DX_DTX_B <<<"$(python3 -c "
a0, b0, a1, b1 = [list(map(int, s.split())) for s in ('$a0', '$b0', '$a1', '$b1')]
atx, brx = a1[1] - a0[1], b1[0] - b0[0]
btx, arx = b1[1] - b0[1], a1[0] - a0[0]
print('%.2f %.2f %d %d' % (100 * (1 - brx / atx), 100 * (1 - arx / btx), atx, btx))")"
	DX_PING_A=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "$DTS_WORK/ping-a-$tag.txt")
	DX_PING_B=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "$DTS_WORK/ping-b-$tag.txt")
	dts_log "$tag: A -> B ${DX_AB} % of $DX_DTX_A lost, B -> A ${DX_BA} % of $DX_DTX_B lost (round trips: A's pings ${DX_PING_A:-?} %, B's ${DX_PING_B:-?} %)"
}

dx_stop() {
	dts_stop_dpdk_wg || dts_fail "dpdk-wg A did not stop cleanly"
	dx_stop_b || dts_fail "dpdk-wg B did not stop cleanly"
}

dx_ge() { python3 -c "import sys; sys.exit(0 if float('${1:-nan}') >= float('$2') else 1)"; }

# ------------------------------------------------ 1. duplicate both ways
dx_run dup duplicate
dts_stats_fresh
dx_b dts_stats_fresh
for side in a b; do
	dts_log "$side's paths:"
	if [ $side = a ]; then dts_stats_last; else dx_b dts_stats_last; fi |
		grep -E "^    (wan0|lte0) -> " | sed 's/^/    /'
done
fail=
for side in a b; do
	[ $side = a ] && sent=$DX_DTX_A || sent=$DX_DTX_B
	for up in wan0 lte0; do
		tx=$(dx_path $side $up tx)
		first=$(dx_path $side $up first)
		dup=$(dx_path $side $up dup)
		dts_log "$side $up: tx ${tx:-?} (TUN sent $sent), first ${first:-?} %, dup ${dup:-?}"
		[ "${tx:-0}" -ge "$sent" ] ||
			fail+=" $side/$up carried ${tx:-?} of $sent packets;"
		dx_ge "${first:-0}" 0.1 || fail+=" $side/$up: no first arrivals;"
		[ "${dup:-0}" -gt 0 ] || fail+=" $side/$up: no duplicates;"
	done
done
dx_stop
DUP_AB=$DX_AB DUP_BA=$DX_BA
dx_ge 8 "$DUP_AB" || fail+=" A -> B lost $DUP_AB % (want <= 8 %);"
dx_ge 8 "$DUP_BA" || fail+=" B -> A lost $DUP_BA % (want <= 8 %);"
[ -z "$fail" ] || dts_fail "duplicate:$fail"

# ----------------------------------------------------- 2. single, control
dx_run single single
dx_stop
if ! dx_ge "$DX_AB" 12 || ! dx_ge "$DX_BA" 12; then
	dts_fail "single: lost only $DX_AB % A -> B, $DX_BA % B -> A with 20 % loss (want >= 12 %)"
fi

dts_log "PASS: duplicate lost $DUP_AB % A -> B, $DUP_BA % B -> A; single $DX_AB %, $DX_BA %"
