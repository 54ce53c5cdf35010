#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# wg-impair end to end: one instance, two port pairs, between two
# namespaces joined by two impaired paths.
#
#   ns1                      nsi: wg-impair                      ns2
#   v1a 198.51.100.1/25 --- i1a [0] <-pair 0:1-> [1] i1b --- v1b 198.51.100.2/25
#   v2a 198.51.100.129/25 - i2a [2] <-pair 2:3-> [3] i2b --- v2b 198.51.100.130/25
#
#   pair 0:1: --delay-ms 20 --loss 10    -> RTT ~40 ms, loss ~19 %
#   pair 2:3: --delay-ms 40 --jitter-ms 5 -> RTT 70..90 ms, no loss
#
# `ping -c 200 -i 0.01` over each path at once; then wg-impair's own
# counters must agree with what ping saw. wg-impair runs SCHED_FIFO
# (--rt-prio): on a 2-core box next to busy-polling DPDK processes a
# SCHED_OTHER wake-up can come 20 ms late (doc/impair.md).
#
# Needs root (namespaces, hugepages): exit 77 otherwise. Everything made
# is undone on exit, by PID and by name, on success, failure or signal.
#
# usage: impair_e2e.sh /path/to/wg-impair
#   IMPAIR_E2E_OPTS="--rt-prio 0 ..."  extra wg-impair options, given
#   before the pairs (impairments there are defaults the test's own
#   per-pair ones override)
set -u

SKIP=77
ID=$$
BIN=${1:-}
NS1=imp1-$ID
NSI=impi-$ID
NS2=imp2-$ID
PREFIX=imp$ID
SEED=1
COUNT=200
HUGE_WANT=64		# free 2 MB pages wanted: pool ~20 MB + EAL

WORK=
HUGE_MNT=
HUGE_OLD=
HUGE_ADDED=		# set when we raised nr_hugepages
HUGE_NEW=
NS_MADE=()
PIDS=()
IMP_PID=

log() { echo "impair_e2e: $*"; }
fail() { log "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit $SKIP; }

# TERM, up to 3 s, then KILL; reap. Returns the exit status.
stop_pid() {
	local pid=$1 i
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < 30; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			[ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" = Z ] &&
				break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
}

cleanup() {
	local rc=$? i ns
	trap - EXIT INT TERM HUP
	set +e
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		stop_pid "${PIDS[$i]}"
	done
	if [ "$rc" -ne 0 ] && [ "$rc" -ne $SKIP ] && [ -n "$WORK" ]; then
		for i in "$WORK"/*.out "$WORK"/*.err; do
			[ -s "$i" ] || continue
			echo "---- $(basename "$i") (last 30 lines) ----"
			tail -n 30 "$i"
		done
	fi
	for ns in "${NS_MADE[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	# veths left in the root namespace if we died half-way
	for i in i1a i2a v1b v2b; do
		ip link del "$i$ID" 2>/dev/null
	done
	if [ -n "$HUGE_MNT" ]; then
		umount "$HUGE_MNT" 2>/dev/null || umount -l "$HUGE_MNT"
		rmdir "$HUGE_MNT" 2>/dev/null
	fi
	if [ -n "$HUGE_ADDED" ]; then
		# take back what we added, unless someone changed it meanwhile
		i=$(cat /proc/sys/vm/nr_hugepages)
		if [ "$i" = "$HUGE_NEW" ]; then
			echo "$HUGE_OLD" >/proc/sys/vm/nr_hugepages
		fi
	fi
	rm -rf "/var/run/dpdk/$PREFIX"
	[ -n "$WORK" ] && rm -rf "$WORK"
	exit "$rc"
}

# Leftovers of runs killed with SIGKILL: only ours, only of dead PIDs.
reap_stale() {
	local ns pid m
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		case $ns in imp[12i]-*) pid=${ns#imp?-} ;; *) continue ;; esac
		case $pid in *[!0-9]*|"") continue ;; esac
		kill -0 "$pid" 2>/dev/null || ip netns del "$ns" 2>/dev/null
	done
	while read -r m; do
		pid=$(basename "$(dirname "$m")" | sed -n 's/^impair-e2e-\([0-9]*\)\..*/\1/p')
		[ -n "$pid" ] || continue
		kill -0 "$pid" 2>/dev/null && continue
		umount "$m" 2>/dev/null && rm -rf "$(dirname "$m")"
	done < <(awk '$3 == "hugetlbfs" && $2 ~ "^/tmp/impair-e2e-" {print $2}' /proc/mounts)
	for m in /var/run/dpdk/imp[0-9]*; do
		[ -d "$m" ] || continue
		pid=${m##*/imp}
		case $pid in *[!0-9]*|"") continue ;; esac
		kill -0 "$pid" 2>/dev/null || rm -rf "$m"
	done
}

huge_free() { awk '/^HugePages_Free:/ {print $2}' /proc/meminfo; }

hugepages_setup() {
	local size free target
	size=$(awk '/^Hugepagesize:/ {print $2}' /proc/meminfo)
	[ "$size" = 2048 ] || skip "default hugepage size ${size:-?} kB, want 2048"
	HUGE_OLD=$(cat /proc/sys/vm/nr_hugepages) || skip "no nr_hugepages"
	free=$(huge_free)
	# Other tests may hold pages, even surplus ones beyond nr_hugepages
	# (which a raise turns into persistent ones first): aim at what is
	# in use plus what we want, and never lower the count.
	if [ "$free" -lt $HUGE_WANT ]; then
		target=$(awk -v want=$HUGE_WANT '/^HugePages_Total:/ {t = $2}
			/^HugePages_Free:/ {f = $2} END {print t - f + want}' /proc/meminfo)
		if [ "$target" -gt "$HUGE_OLD" ]; then
			HUGE_ADDED=1
			echo "$target" >/proc/sys/vm/nr_hugepages 2>/dev/null
			HUGE_NEW=$(cat /proc/sys/vm/nr_hugepages)
		fi
	fi
	[ "$(huge_free)" -ge $HUGE_WANT ] ||
		skip "only $(huge_free) free 2 MB hugepages (want $HUGE_WANT)"
	HUGE_MNT=$WORK/huge
	mkdir -p "$HUGE_MNT"
	if ! mount -t hugetlbfs -o pagesize=2M nodev "$HUGE_MNT" 2>"$WORK/mount.err"; then
		rmdir "$HUGE_MNT"
		HUGE_MNT=
		skip "cannot mount hugetlbfs: $(cat "$WORK/mount.err")"
	fi
}

ns_add() {
	ip netns add "$1" 2>"$WORK/netns.err" ||
		skip "cannot create namespaces: $(cat "$WORK/netns.err")"
	NS_MADE+=("$1")
	ip -n "$1" link set lo up || fail "lo up in $1"
}

# veth_pair NS_A IF_A NS_B IF_B: IPv6 off on both ends, so no kernel
# chatter (RS, ND, MLD) rides through the bump and skews the counters.
veth_pair() {
	ip link add "$2" type veth peer name "$4" || fail "veth $2"
	veth_end "$1" "$2"
	veth_end "$3" "$4"
}

veth_end() {
	ip link set "$2" netns "$1" || fail "$2 to $1"
	ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1" ||
		fail "IPv6 off on $2"
	ip -n "$1" link set "$2" up || fail "$2 up"
}

# addr NS IF ADDR/LEN
addr() { ip -n "$1" addr add "$3" dev "$2" || fail "address $3 on $2"; }

# static_neigh NS IF ADDR PEER_NS PEER_IF: ARP would cross the bump (and
# be lost there 10 % of the time): fill the table instead.
static_neigh() {
	local mac
	mac=$(ip -n "$4" -o link show "$5" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
	[ -n "$mac" ] || fail "no MAC for $5"
	ip -n "$1" neigh replace "$3" lladdr "$mac" dev "$2" nud permanent ||
		fail "neighbour $3 on $2"
}

net_setup() {
	ns_add "$NS1"
	ns_add "$NSI"
	ns_add "$NS2"
	veth_pair "$NS1" "v1a$ID" "$NSI" "i1a$ID"
	veth_pair "$NSI" "i1b$ID" "$NS2" "v1b$ID"
	veth_pair "$NS1" "v2a$ID" "$NSI" "i2a$ID"
	veth_pair "$NSI" "i2b$ID" "$NS2" "v2b$ID"
	addr "$NS1" "v1a$ID" 198.51.100.1/25
	addr "$NS2" "v1b$ID" 198.51.100.2/25
	addr "$NS1" "v2a$ID" 198.51.100.129/25
	addr "$NS2" "v2b$ID" 198.51.100.130/25
	static_neigh "$NS1" "v1a$ID" 198.51.100.2 "$NS2" "v1b$ID"
	static_neigh "$NS2" "v1b$ID" 198.51.100.1 "$NS1" "v1a$ID"
	static_neigh "$NS1" "v2a$ID" 198.51.100.130 "$NS2" "v2b$ID"
	static_neigh "$NS2" "v2b$ID" 198.51.100.129 "$NS1" "v2a$ID"
}

start_impair() {
	local i
	# ip netns exec execs wg-impair: $! is wg-impair itself.
	# IMPAIR_E2E_OPTS is split into words on purpose.
	# shellcheck disable=SC2086
	ip netns exec "$NSI" "$BIN" -l 0 --no-pci --file-prefix "$PREFIX" \
		--huge-dir "$HUGE_MNT" --no-telemetry --log-level=lib.eal:error \
		"--vdev=net_af_packet0,iface=i1a$ID" \
		"--vdev=net_af_packet1,iface=i1b$ID" \
		"--vdev=net_af_packet2,iface=i2a$ID" \
		"--vdev=net_af_packet3,iface=i2b$ID" \
		-- --seed $SEED --stats-interval 1 --queue-pkts 1000 --rt-prio 10 \
		${IMPAIR_E2E_OPTS:-} \
		--pair 0:1 --delay-ms 20 --loss 10 \
		--pair 2:3 --delay-ms 40 --jitter-ms 5 \
		>"$WORK/wg-impair.out" 2>"$WORK/wg-impair.err" &
	IMP_PID=$!
	PIDS+=("$IMP_PID")
	for ((i = 0; i < 300; i++)); do
		grep -q "forwarding on lcore" "$WORK/wg-impair.out" && return 0
		kill -0 "$IMP_PID" 2>/dev/null || break
		sleep 0.1
	done
	# the PMD's words when the kernel refuses the socket
	grep -q "AF_PACKET socket" "$WORK/wg-impair.err" &&
		skip "net_af_packet unusable: $(tail -n 1 "$WORK/wg-impair.err")"
	fail "wg-impair did not start"
}

# ping_run NAME ADDR: ping -c $COUNT -i 0.01 from ns1, in the background.
ping_run() {
	ip netns exec "$NS1" ping -n -q -c $COUNT -i 0.01 -W 2 "$2" \
		>"$WORK/ping-$1.out" 2>&1 &
	PIDS+=("$!")
}

# ping_result NAME: sets TX RX LOSS_PCT RTT_MIN RTT_AVG RTT_MAX
ping_result() {
	local f=$WORK/ping-$1.out
	read -r TX RX < <(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$f")
	read -r RTT_MIN RTT_AVG RTT_MAX < <(sed -n 's/^rtt .* = \([0-9.]*\)\/\([0-9.]*\)\/\([0-9.]*\)\/.*/\1 \2 \3/p' "$f")
	if [ -z "${TX:-}" ] || [ -z "${RTT_AVG:-}" ]; then
		fail "ping $1: no summary: $(cat "$f")"
	fi
	LOSS_PCT=$(awk -v t="$TX" -v r="$RX" 'BEGIN {printf "%.1f", (t - r) * 100 / t}')
}

# between X LO HI: LO <= X <= HI (decimals)
between() { awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN {exit !(x >= lo && x <= hi)}'; }

# stat PAIR DIR FIELD: a counter of wg-impair's final stats
stat() {
	awk -v p="$1" -v d="$2" -v f="$3" '
		$2 == "final" && $4 == p && $5 == d {
			for (i = 1; i < NF; i++) if ($i == f) print $(i + 1)
		}' "$WORK/wg-impair.out"
}

no_match() { ! grep -q "$1" "$2"; }

check() {
	local what=$1
	shift
	if "$@"; then
		log "ok: $what"
	else
		log "FAIL: $what"
		FAILED=$((FAILED + 1))
	fi
}

main() {
	local rc tx_b2a t
	[ -n "$BIN" ] || { echo "usage: $0 /path/to/wg-impair" >&2; exit 2; }
	[ "$(id -u)" = 0 ] || skip "needs root (namespaces, hugepages)"
	for t in ip ping awk sed sysctl mount; do
		command -v "$t" >/dev/null 2>&1 || skip "$t not found"
	done
	[ -x "$BIN" ] || fail "not executable: $BIN"

	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	reap_stale
	WORK=$(mktemp -d "/tmp/impair-e2e-$ID.XXXXXX") || fail "mktemp"
	hugepages_setup
	net_setup
	start_impair

	ping_run a 198.51.100.2
	ping_run b 198.51.100.130
	wait "${PIDS[-1]}" "${PIDS[-2]}"

	stop_pid "$IMP_PID"
	rc=$?
	FAILED=0
	check "wg-impair exit status $rc on SIGTERM is 0" test "$rc" = 0
	check "wg-impair printed final stats" \
		grep -q " final pair 1 b2a" "$WORK/wg-impair.out"
	check "no mbuf leak" no_match "not returned" "$WORK/wg-impair.err"

	ping_result a
	log "path A (20 ms, 10 % loss each way): $RX/$TX replies, loss $LOSS_PCT %," \
		"rtt min/avg/max $RTT_MIN/$RTT_AVG/$RTT_MAX ms"
	check "A: RTT avg $RTT_AVG in 35..45 ms" between "$RTT_AVG" 35 45
	check "A: RTT min $RTT_MIN >= 40 ms (never early)" between "$RTT_MIN" 39.95 1000
	# 1 - 0.9^2 = 19 %; +-13 points is over 4 sigma at 200 packets
	check "A: loss $LOSS_PCT % in 6..32 %" between "$LOSS_PCT" 6 32
	check "A: a2b saw every request" test "$(stat 0 a2b rx)" = "$TX"
	tx_b2a=$(stat 0 b2a tx)
	check "A: b2a sent exactly the replies ping got ($tx_b2a)" test "$tx_b2a" = "$RX"
	check "A: a2b mean delay $(stat 0 a2b delay_mean_ms) in 20..21 ms" \
		between "$(stat 0 a2b delay_mean_ms)" 20 21

	ping_result b
	log "path B (40 +-5 ms, no loss): $RX/$TX replies, loss $LOSS_PCT %," \
		"rtt min/avg/max $RTT_MIN/$RTT_AVG/$RTT_MAX ms"
	check "B: no loss" test "$RX" = "$TX"
	check "B: RTT avg $RTT_AVG in 75..85 ms" between "$RTT_AVG" 75 85
	check "B: RTT min $RTT_MIN >= 70 ms" between "$RTT_MIN" 69.95 1000
	check "B: RTT max $RTT_MAX <= 95 ms" between "$RTT_MAX" 0 95
	check "B: delay_mean ~40 ms" between "$(stat 1 b2a delay_mean_ms)" 38 42

	log "wg-impair late_max_ms:" \
		"$(awk '$2 == "final" {printf "%s/%s %s  ", $4, $5, $(NF)}' "$WORK/wg-impair.out")"
	[ "$FAILED" -eq 0 ] || fail "$FAILED checks failed"
	log "PASS"
}

main "$@"
