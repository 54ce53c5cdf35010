# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
#
# dts/lib.sh: the test bed shared by the end-to-end suites in dts/.
# Sourced (never run) by dts/*.sh, which call dts_init "$@" first.
#
# The bed: two network namespaces joined by a veth pair.
#
#   $DTS_NS_D                                 $DTS_NS_G
#   dpdk-wg --vdev net_af_packet0,iface=$DTS_VETH_D   wireguard-go $DTS_IF_G
#   TUN $DTS_IF_D (10.9.0.1/24)               10.9.0.2/24
#   $DTS_VETH_D (no kernel address) <-------> $DTS_VETH_G 192.0.2.2/24
#                                              (2001:db8:1::2/64)
#
# dpdk-wg owns the uplink addresses (192.0.2.1, 2001:db8:1::1) and answers
# ARP/ND for them itself; the kernel of $DTS_NS_D has no address on
# $DTS_VETH_D (and IPv6 is off there), so it never answers or sends.
#
# Everything the bed creates (processes by PID, namespaces, the hugetlbfs
# mount, nr_hugepages, DPDK's runtime directory, UAPI sockets, the work
# directory) is undone by the EXIT trap, on success, failure or signal.
#
# Exit codes: 0 pass, 1 fail, 77 skip (not root, a tool missing, no
# hugepages, af_packet unusable).
#
# Environment knobs:
#   DTS_KEEP_LOGS=1   keep the work directory (logs, captures; keys wiped)
#   DTS_VERBOSE=1     print every command the helpers run
#   DTS_QPAIRS=N      qpairs= of net_af_packet (default 1)
#   DTS_LCORES=...    dpdk-wg's lcore option (default "-l 0-1": the control
#                     lcore and one worker), e.g. "--lcores 0@0,1@1,2@0"
#   DTS_LOCK_WAIT=S   how long to wait for another dts test (default 100)
#   DTS_IPERF_SECS, DTS_REKEY_SECS, DTS_REKEY_SECS2: durations (iperf.sh,
#                     rekey.sh)

# shellcheck disable=SC2317,SC2034,SC2119  # helpers and names for callers
set -u

DTS_SKIP=77
DTS_NAME=${DTS_NAME:-$(basename "$0" .sh)}
DTS_ID=$$

DTS_NS_D=dts-d-$DTS_ID
DTS_NS_G=dts-g-$DTS_ID
DTS_VETH_D=dtsd$DTS_ID           # interface names stay under 16 chars
DTS_VETH_G=dtsg$DTS_ID
DTS_IF_D=wgd$DTS_ID              # dpdk-wg's TUN (--name)
DTS_IF_G=wgg$DTS_ID              # wireguard-go in $DTS_NS_G
DTS_IF_B=wgb$DTS_ID              # baseline wireguard-go in $DTS_NS_D
DTS_PORT=51820                   # dpdk-wg's ListenPort
DTS_PORT_G=51821                 # wireguard-go's listen port
DTS_FILE_PREFIX=wgdts$DTS_ID
DTS_UAPI_DIR=/var/run/wireguard

# outer addresses
DTS_OUT4_D=192.0.2.1
DTS_OUT4_G=192.0.2.2
DTS_OUT6_D=2001:db8:1::1
DTS_OUT6_G=2001:db8:1::2
# inner (tunnel) addresses
DTS_IN4_D=10.9.0.1
DTS_IN4_G=10.9.0.2
DTS_IN6_D=fd00:9::1
DTS_IN6_G=fd00:9::2

DTS_BIN=
DTS_WORK=
DTS_HUGE_MNT=
DTS_HUGE_OLD=
DTS_HUGE_SET=                    # pages we added to nr_hugepages
DTS_NS_MADE=()
DTS_PIDS=()                      # everything we started, stopped on exit
DTS_DPDK_PID=
DTS_DPDK_OUT=
DTS_DPDK_ERR=
DTS_DPDK_RC=
DTS_DPDK_RUNS=0
DTS_EAL_EXTRA=()                 # more EAL options (a second --vdev...)
DTS_WGGO_PIDS=()                 # parallel to DTS_WGGO_IFS
DTS_WGGO_IFS=()

dts_log() { echo "dts[$DTS_NAME]: $*"; }
dts_fail() { dts_log "FAIL: $*"; exit 1; }
dts_skip() { echo "SKIP: $*"; exit $DTS_SKIP; }

# Run a command, echoing it with DTS_VERBOSE.
dts_run() {
	[ -n "${DTS_VERBOSE:-}" ] && echo "+ $*" >&2
	"$@"
}

# ------------------------------------------------------------ processes

# Stop one PID: TERM, up to $2 seconds (default 3), then KILL; reap it.
# Prints nothing; returns the exit status when it was our child.
dts_stop_pid() {
	local pid=$1 grace=${2:-3} i rc=0
	[ -n "$pid" ] || return 0
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < grace * 10; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			# a zombie child still answers kill -0: reap it
			if [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" = Z ]; then
				break
			fi
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	rc=$?
	return $rc
}

dts_track() { DTS_PIDS+=("$1"); }

# Wait up to $1 seconds for "$2..." to succeed (polled every 0.1 s).
dts_wait_for() {
	local timeout=$1 i
	shift
	for ((i = 0; i < timeout * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# ------------------------------------------------------------ cleanup

dts_dump_logs() {
	[ -n "$DTS_WORK" ] && [ -d "$DTS_WORK" ] || return 0
	local f
	for f in "$DTS_WORK"/dpdk-wg*.out "$DTS_WORK"/dpdk-wg*.err; do
		[ -s "$f" ] || continue
		echo "---- $(basename "$f") (last 40 lines) ----"
		tail -n 40 "$f"
	done
	for f in "$DTS_WORK"/wireguard-go-*.log; do
		[ -s "$f" ] || continue
		echo "---- $(basename "$f") (last 30 lines) ----"
		tail -n 30 "$f"
	done
}

dts_cleanup() {
	local rc=$? i ns
	trap - EXIT INT TERM HUP
	set +e
	# dpdk-wg first: on SIGTERM it prints its final stats
	if [ -n "$DTS_DPDK_PID" ]; then
		dts_stop_dpdk_wg >/dev/null 2>&1
	fi
	if [ "$rc" -ne 0 ] && [ "$rc" -ne "$DTS_SKIP" ]; then
		dts_dump_logs
		# (wg finds wireguard-go by its UAPI socket, in any namespace)
		for i in "${DTS_WGGO_IFS[@]}"; do
			[ -n "$i" ] && wg show "$i" 2>/dev/null | sed "s/^/[wg show] /"
		done
	fi
	for ((i = ${#DTS_PIDS[@]} - 1; i >= 0; i--)); do
		dts_stop_pid "${DTS_PIDS[$i]}" 2 >/dev/null 2>&1
	done
	for ns in "${DTS_NS_MADE[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	# links left in the root namespace if we died half-way
	ip link del "$DTS_VETH_D" 2>/dev/null
	for i in "$DTS_IF_G" "$DTS_IF_B"; do
		rm -f "$DTS_UAPI_DIR/$i.sock"
	done
	if [ -n "$DTS_HUGE_MNT" ]; then
		umount "$DTS_HUGE_MNT" 2>/dev/null || umount -l "$DTS_HUGE_MNT"
		rmdir "$DTS_HUGE_MNT" 2>/dev/null
	fi
	if [ -n "$DTS_HUGE_SET" ] && [ -n "$DTS_HUGE_OLD" ]; then
		# take back what we added: the old value if nobody else
		# changed it meanwhile, and their change kept if they did
		i=$(($(cat /proc/sys/vm/nr_hugepages) - DTS_HUGE_SET))
		[ "$i" -ge 0 ] || i=0
		echo "$i" >/proc/sys/vm/nr_hugepages
	fi
	rm -rf "/var/run/dpdk/$DTS_FILE_PREFIX"
	# children may hold copies of the lock's fd: release it explicitly
	[ -n "${DTS_LOCK_FD:-}" ] && flock -u "$DTS_LOCK_FD" 2>/dev/null
	if [ -n "$DTS_WORK" ]; then
		if [ -n "${DTS_KEEP_LOGS:-}" ]; then
			rm -f "$DTS_WORK"/*.key
			echo "dts[$DTS_NAME]: logs kept in $DTS_WORK"
		else
			rm -rf "$DTS_WORK"
		fi
	fi
	exit "$rc"
}

# Namespaces, mounts and runtime dirs of earlier runs that were killed
# (SIGKILL leaves no chance to clean): only ours, only of dead PIDs.
dts_reap_stale() {
	local ns pid m
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		case $ns in
		dts-[dg]-*) pid=${ns#dts-?-} ;;
		*) continue ;;
		esac
		case $pid in *[!0-9]*) continue ;; esac
		kill -0 "$pid" 2>/dev/null || ip netns del "$ns" 2>/dev/null
	done
	while read -r m; do
		pid=$(basename "$(dirname "$m")" | sed -n 's/^dts-[a-z0-9]*-\([0-9]*\)\..*/\1/p')
		[ -n "$pid" ] || continue
		kill -0 "$pid" 2>/dev/null && continue
		umount "$m" 2>/dev/null && rm -rf "$(dirname "$m")"
	done < <(awk '$3 == "hugetlbfs" && $2 ~ "^/tmp/dts-" {print $2}' /proc/mounts)
	for m in /var/run/dpdk/wgdts*; do
		[ -d "$m" ] || continue
		pid=${m##*/wgdts}
		case $pid in *[!0-9]*|"") continue ;; esac
		kill -0 "$pid" 2>/dev/null || rm -rf "$m"
	done
}

# --------------------------------------------------------------- init

# One dts test at a time on the machine, across meson runs and shells:
# dpdk-wg busy-polls two lcores, and two beds at once starve each other
# (stalled TCP, late rekeys). Wait up to DTS_LOCK_WAIT (100) seconds for
# the others, then go on regardless. The lock goes with the process.
DTS_LOCK=/run/lock/dpdk-wg-dts.lock
dts_lock() {
	command -v flock >/dev/null 2>&1 || return 0
	mkdir -p "$(dirname "$DTS_LOCK")" 2>/dev/null
	exec {DTS_LOCK_FD}>>"$DTS_LOCK" || return 0
	flock -n "$DTS_LOCK_FD" && return 0
	dts_log "waiting for another dts test (lock $DTS_LOCK)"
	flock -w "${DTS_LOCK_WAIT:-100}" "$DTS_LOCK_FD" ||
		dts_log "still locked after ${DTS_LOCK_WAIT:-100} s: going on anyway"
}

# dts_init DPDK_WG_BINARY: checks (skip 77), work dir, traps, hugepages,
# and the namespaces with their veth pair.
dts_init() {
	DTS_BIN=${1:-}
	if [ -z "$DTS_BIN" ]; then
		echo "usage: $0 /path/to/dpdk-wg" >&2
		exit 2
	fi
	[ "$(id -u)" = 0 ] || dts_skip "needs root (namespaces, hugepages)"
	local tool
	for tool in wireguard-go wg ip ping iperf3 tcpdump python3 timeout ss; do
		command -v "$tool" >/dev/null 2>&1 ||
			dts_skip "$tool not found"
	done
	[ -c /dev/net/tun ] || dts_skip "no /dev/net/tun"
	[ -x "$DTS_BIN" ] || { echo "not executable: $DTS_BIN" >&2; exit 1; }
	DTS_BIN=$(cd "$(dirname "$DTS_BIN")" && pwd)/$(basename "$DTS_BIN")

	trap dts_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP

	dts_lock

	dts_reap_stale
	DTS_WORK=$(mktemp -d "/tmp/dts-$DTS_NAME-$DTS_ID.XXXXXX") ||
		dts_fail "mktemp"
	chmod 700 "$DTS_WORK"
	dts_write_py
	dts_hugepages_setup
	dts_net_setup
}

# ---------------------------------------------------------- hugepages

dts_huge_free() { awk '/^HugePages_Free:/ {print $2}' /proc/meminfo; }

# Free 2 MB pages: at least DTS_HUGE_WANT (dpdk-wg's pool is ~80 MB, with
# room besides), raising nr_hugepages by what is missing. Called before
# every start of dpdk-wg: other users of the machine may have taken
# pages, or lowered nr_hugepages, since the last one.
DTS_HUGE_WANT=128
dts_hugepages_ensure() {
	local free missing now
	free=$(dts_huge_free)
	[ "$free" -ge "$DTS_HUGE_WANT" ] && return 0
	missing=$((DTS_HUGE_WANT + 32 - free))
	now=$(cat /proc/sys/vm/nr_hugepages)
	echo $((now + missing)) >/proc/sys/vm/nr_hugepages 2>/dev/null
	# what the kernel really added (memory may be short)
	DTS_HUGE_SET=$((${DTS_HUGE_SET:-0} + $(cat /proc/sys/vm/nr_hugepages) - now))
	free=$(dts_huge_free)
	[ "$free" -ge "$DTS_HUGE_WANT" ] ||
		dts_skip "only $free free 2 MB hugepages (want >= $DTS_HUGE_WANT)"
}

dts_hugepages_setup() {
	local size
	size=$(awk '/^Hugepagesize:/ {print $2}' /proc/meminfo)
	[ "$size" = 2048 ] || dts_skip "default hugepage size is ${size:-?} kB, want 2048"
	DTS_HUGE_OLD=$(cat /proc/sys/vm/nr_hugepages) ||
		dts_skip "no /proc/sys/vm/nr_hugepages"
	dts_hugepages_ensure
	DTS_HUGE_MNT=$DTS_WORK/huge
	mkdir -p "$DTS_HUGE_MNT"
	if ! mount -t hugetlbfs -o pagesize=2M nodev "$DTS_HUGE_MNT" \
		2>"$DTS_WORK/mount.err"; then
		rmdir "$DTS_HUGE_MNT"
		DTS_HUGE_MNT=
		dts_skip "cannot mount hugetlbfs: $(cat "$DTS_WORK/mount.err")"
	fi
}

# ------------------------------------------------------------ network

dts_ns_add() {
	ip netns add "$1" 2>"$DTS_WORK/netns.err" ||
		dts_skip "cannot create network namespaces: $(cat "$DTS_WORK/netns.err")"
	DTS_NS_MADE+=("$1")
	ip -n "$1" link set lo up || dts_fail "lo up in $1"
}

dts_net_setup() {
	dts_ns_add "$DTS_NS_D"
	dts_ns_add "$DTS_NS_G"
	ip link add "$DTS_VETH_D" type veth peer name "$DTS_VETH_G" ||
		dts_fail "veth"
	ip link set "$DTS_VETH_D" netns "$DTS_NS_D" || dts_fail "veth to $DTS_NS_D"
	ip link set "$DTS_VETH_G" netns "$DTS_NS_G" || dts_fail "veth to $DTS_NS_G"
	# The veth hands the peer's frames over with CHECKSUM_PARTIAL (the
	# UDP checksum not filled in): af_packet would give dpdk-wg frames
	# with wrong checksums. A real NIC puts complete frames on the wire.
	# (ethtool -K IF tx off, done with the ioctl: one tool less to need)
	ip netns exec "$DTS_NS_G" python3 "$DTS_WORK/dts.py" tx-csum-off \
		"$DTS_VETH_G" || dts_fail "tx checksum offload off on $DTS_VETH_G"
	ip netns exec "$DTS_NS_D" python3 "$DTS_WORK/dts.py" tx-csum-off \
		"$DTS_VETH_D" || dts_fail "tx checksum offload off on $DTS_VETH_D"
	# No kernel address (nor IPv6) on dpdk-wg's side: dpdk-wg answers.
	ip netns exec "$DTS_NS_D" sysctl -qw \
		"net.ipv6.conf.$DTS_VETH_D.disable_ipv6=1" >/dev/null
	ip -n "$DTS_NS_D" link set "$DTS_VETH_D" up || dts_fail "$DTS_VETH_D up"
	ip -n "$DTS_NS_G" addr add "$DTS_OUT4_G/24" dev "$DTS_VETH_G" ||
		dts_fail "address $DTS_OUT4_G"
	ip -n "$DTS_NS_G" -6 addr add "$DTS_OUT6_G/64" dev "$DTS_VETH_G" nodad ||
		dts_fail "address $DTS_OUT6_G"
	ip -n "$DTS_NS_G" link set "$DTS_VETH_G" up || dts_fail "$DTS_VETH_G up"
	# af_packet must work in there (skip, not fail, if it does not)
	ip netns exec "$DTS_NS_D" python3 -c '
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((sys.argv[1], 0))' "$DTS_VETH_D" 2>"$DTS_WORK/afp.err" ||
		dts_skip "AF_PACKET unusable: $(tail -n1 "$DTS_WORK/afp.err")"
}

# ---------------------------------------------------------------- keys

# dts_genkey NAME: $DTS_WORK/NAME.key and NAME.pub; prints the public key.
dts_genkey() {
	(umask 077 && wg genkey >"$DTS_WORK/$1.key") || dts_fail "wg genkey"
	wg pubkey <"$DTS_WORK/$1.key" >"$DTS_WORK/$1.pub" || dts_fail "wg pubkey"
	cat "$DTS_WORK/$1.pub"
}
dts_key() { cat "$DTS_WORK/$1.key"; }
dts_pub() { cat "$DTS_WORK/$1.pub"; }

# ------------------------------------------------------------- dpdk-wg

# dts_conf FILE KEY=VALUE...: write dpdk-wg's configuration. Keys:
#   priv (private key), addr (TUN Address list), mtu,
#   up_addr (uplink Address list), gw, neigh,
#   peer (public key), allowed, endpoint, keepalive, psk
dts_conf() {
	local file=$1 kv
	local priv="" addr="$DTS_IN4_D/24" mtu=1420 up_addr="$DTS_OUT4_D/24"
	local gw="" neigh="" peer="" allowed="$DTS_IN4_G/32" endpoint=""
	local keepalive="" psk=""
	shift
	for kv in "$@"; do
		case $kv in
		priv=*) priv=${kv#*=} ;;
		addr=*) addr=${kv#*=} ;;
		mtu=*) mtu=${kv#*=} ;;
		up_addr=*) up_addr=${kv#*=} ;;
		gw=*) gw=${kv#*=} ;;
		neigh=*) neigh=${kv#*=} ;;
		peer=*) peer=${kv#*=} ;;
		allowed=*) allowed=${kv#*=} ;;
		endpoint=*) endpoint=${kv#*=} ;;
		keepalive=*) keepalive=${kv#*=} ;;
		psk=*) psk=${kv#*=} ;;
		*) dts_fail "dts_conf: unknown key $kv" ;;
		esac
	done
	(
		umask 077
		echo "# written by dts/$DTS_NAME.sh"
		echo "[Interface]"
		echo "PrivateKey = $priv"
		echo "ListenPort = $DTS_PORT"
		echo "Address = $addr"
		echo "MTU = $mtu"
		echo
		echo "[Uplink]"
		echo "Name = wan0"
		echo "Port = net_af_packet0"
		echo "Address = $up_addr"
		[ -n "$gw" ] && echo "Gateway = $gw"
		[ -n "$neigh" ] && echo "Neighbor = $neigh"
		echo
		echo "[Peer]"
		echo "PublicKey = $peer"
		[ -n "$psk" ] && echo "PresharedKey = $psk"
		echo "AllowedIPs = $allowed"
		[ -n "$endpoint" ] && echo "Endpoint = $endpoint"
		[ -n "$keepalive" ] && echo "PersistentKeepalive = $keepalive"
		true
	) >"$file"
}

dts_dpdk_up() {
	grep -q "^dpdk-wg: $DTS_IF_D up" "$DTS_DPDK_OUT" 2>/dev/null &&
		ip -n "$DTS_NS_D" link show "$DTS_IF_D" >/dev/null 2>&1
}

# dts_start_dpdk_wg CONF [daemon options...]: start dpdk-wg in $DTS_NS_D
# (stats every second unless the options say otherwise) and wait until it
# is up and its TUN exists. Output: $DTS_DPDK_OUT / $DTS_DPDK_ERR.
dts_start_dpdk_wg() {
	local conf=$1 i
	shift
	local opts=("$@")
	case " ${opts[*]} " in
	*" --stats-interval "*) ;;
	*) opts+=(--stats-interval 1) ;;
	esac
	dts_hugepages_ensure
	DTS_DPDK_RUNS=$((DTS_DPDK_RUNS + 1))
	DTS_DPDK_OUT=$DTS_WORK/dpdk-wg.$DTS_DPDK_RUNS.out
	DTS_DPDK_ERR=$DTS_WORK/dpdk-wg.$DTS_DPDK_RUNS.err
	DTS_DPDK_RC=
	# shellcheck disable=SC2206  # DTS_LCORES: words on purpose
	local eal=(--no-pci --huge-dir "$DTS_HUGE_MNT"
		--file-prefix "$DTS_FILE_PREFIX" ${DTS_LCORES:--l 0-1}
		"--vdev=net_af_packet0,iface=$DTS_VETH_D,qpairs=${DTS_QPAIRS:-1}"
		--log-level=lib.eal:error "${DTS_EAL_EXTRA[@]}")
	dts_log "dpdk-wg ${eal[*]} -- -c $(basename "$conf") --name $DTS_IF_D ${opts[*]}"
	# ip netns exec execs dpdk-wg: $! is dpdk-wg itself
	ip netns exec "$DTS_NS_D" "$DTS_BIN" "${eal[@]}" -- -c "$conf" \
		--name "$DTS_IF_D" "${opts[@]}" \
		>"$DTS_DPDK_OUT" 2>"$DTS_DPDK_ERR" &
	DTS_DPDK_PID=$!
	for ((i = 0; i < 300; i++)); do
		dts_dpdk_up && break
		if ! kill -0 "$DTS_DPDK_PID" 2>/dev/null; then
			wait "$DTS_DPDK_PID"
			DTS_DPDK_RC=$?
			DTS_DPDK_PID=
			cat "$DTS_DPDK_OUT" "$DTS_DPDK_ERR"
			# the environment, not dpdk-wg: EAL's own start-up
			if grep -q "cannot initialise EAL" "$DTS_DPDK_ERR"; then
				if grep -qiE "hugepage|cannot init memory" \
					"$DTS_DPDK_ERR"; then
					dts_skip "EAL could not use hugepages"
				fi
				if grep -qiE "af_packet|vdev|driver" "$DTS_DPDK_ERR"; then
					dts_skip "net_af_packet unusable"
				fi
			fi
			[ "$DTS_DPDK_RC" -gt 128 ] &&
				dts_log "dpdk-wg killed by signal $((DTS_DPDK_RC - 128)) ($(kill -l $((DTS_DPDK_RC - 128)) 2>/dev/null))"
			dts_fail "dpdk-wg exited ($DTS_DPDK_RC) during start-up"
		fi
		sleep 0.1
	done
	dts_dpdk_up || { cat "$DTS_DPDK_OUT" "$DTS_DPDK_ERR"; dts_fail "dpdk-wg not up after 30 s"; }
	dts_log "dpdk-wg up (pid $DTS_DPDK_PID)"
}

# dts_in_kernel PID: 0 if a thread of PID sleeps uninterruptibly (D),
# i.e. the kernel is still working for it, e.g. closing its af_packet
# sockets waits for an RCU grace period, which takes seconds on a busy
# 2-vCPU VM. No signal reaches such a thread, so no exit path in the
# daemon can be faster than the kernel.
dts_in_kernel() {
	grep -qs '^[0-9]* (.*) D ' /proc/"$1"/task/*/stat
}

# dts_await_exit PID NAME: wait for a signalled PID to exit: 10 s, and
# up to 60 s in all while the kernel still holds one of its threads (D
# state, logged). Then SIGKILL and 1 (logged); 0 if it exited.
dts_await_exit() {
	local pid=$1 name=$2 i said=
	for ((i = 0; i < 600; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		[ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" = Z ] && return 0
		# Once seen in the kernel, the full 60 s: between two sockets
		# it closes, a thread may be out of D for a moment.
		if [ "$i" -ge 100 ] && [ -z "$said" ]; then
			dts_in_kernel "$pid" || break
			dts_log "$name: still in the kernel (D state) 10 s after SIGTERM; waiting"
			said=1
		fi
		sleep 0.1
	done
	# It may have exited just now (no thread left to be in D).
	kill -0 "$pid" 2>/dev/null || return 0
	[ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" = Z ] && return 0
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	dts_log "$name did not exit within $((i / 10)) s of SIGTERM"
	return 1
}

# Stop dpdk-wg (SIGTERM: it prints its final stats). Sets DTS_DPDK_RC.
# Fails the test if it crashed or had to be killed.
dts_stop_dpdk_wg() {
	local pid=$DTS_DPDK_PID
	[ -n "$pid" ] || return 0
	DTS_DPDK_PID=
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		if ! dts_await_exit "$pid" dpdk-wg; then
			DTS_DPDK_RC=killed
			return 1
		fi
	fi
	wait "$pid" 2>/dev/null
	DTS_DPDK_RC=$?
	if [ "$DTS_DPDK_RC" -ne 0 ]; then
		dts_log "dpdk-wg exited with status $DTS_DPDK_RC$([ "$DTS_DPDK_RC" -gt 128 ] && echo " (signal $(kill -l $((DTS_DPDK_RC - 128)) 2>/dev/null))")"
		return 1
	fi
	return 0
}

dts_dpdk_alive() {
	[ -n "$DTS_DPDK_PID" ] && kill -0 "$DTS_DPDK_PID" 2>/dev/null
}

dts_check_dpdk_alive() {
	if ! dts_dpdk_alive; then
		local pid=$DTS_DPDK_PID
		DTS_DPDK_PID=
		wait "$pid" 2>/dev/null
		local rc=$?
		dts_fail "dpdk-wg died (status $rc$([ $rc -gt 128 ] && echo ", signal $(kill -l $((rc - 128)) 2>/dev/null)"))"
	fi
}

# ---------------------------------------------------------- dpdk-wg stats
#
#   NAME: uplink rx N pkts N B, tx N pkts N B; tun rx N tx N; decrypted N encrypted N in N batches
#     drops: reason=N reason=N ...
#     peer <base64> endpoint IP:PORT path UPLINK via MAC rx N B tx N B handshake N s ago|never staged N

# Number of stats blocks printed so far.
dts_stats_count() { grep -c "^$DTS_IF_D: uplink " "$DTS_DPDK_OUT" 2>/dev/null; }

# The last complete stats block (header, drops, peer lines).
dts_stats_last() {
	awk -v hdr="$DTS_IF_D: uplink " '
		index($0, hdr) == 1 { if (n) last = cur; cur = $0; n = 1; next }
		n && /^  / { cur = cur "\n" $0; next }
		END { if (n) print (cur ~ /\n  drops:/ ? cur : last) }
	' "$DTS_DPDK_OUT"
}

# Wait until a block printed after now is complete (needs stats lines).
dts_stats_fresh() {
	local n
	n=$(dts_stats_count)
	dts_wait_for 5 dts_stats_count_ge $((n + 2)) ||
		dts_fail "dpdk-wg prints no stats (--stats-interval)"
}
dts_stats_count_ge() { [ "$(dts_stats_count)" -ge "$1" ]; }

# dts_stat WORD: the number after WORD in the last header line
# (uplink rx pkts: "rx"; decrypted; encrypted; batches: "in").
dts_stat() {
	dts_stats_last | head -n1 | tr -d ',;' | awk -v w="$1" '
		{ for (i = 1; i < NF; i++) if ($i == w) { print $(i + 1); exit } }'
}

# dts_drop REASON: that drop counter in the last block (0 if absent).
dts_drop() {
	dts_stats_last | awk -v r="$1" '
		/^  drops:/ { for (i = 2; i <= NF; i++) {
			split($i, kv, "="); if (kv[1] == r) { print kv[2]; exit } } }
		END { }' | grep . || echo 0
}

# The whole drops line of the last block.
dts_drops_line() { dts_stats_last | grep '^  drops:'; }

# dts_peer_field WORD: the value after WORD on the (first) peer line:
# endpoint, path, rx, tx, handshake ("never" if none), staged.
dts_peer_field() {
	dts_stats_last | awk -v w="$1" '
		/^  peer / { for (i = 1; i < NF; i++) if ($i == w) { print $(i + 1); exit } }'
}

dts_drop_ge() { [ "$(dts_drop "$1")" -ge "$2" ]; }

# ------------------------------------------------------------ wireguard-go

# dts_start_wggo NS IFNAME: start wireguard-go in NS (debug log in
# $DTS_WORK/wireguard-go-IFNAME.log) and wait for its UAPI socket.
dts_start_wggo() {
	local ns=$1 ifname=$2 pid i
	rm -f "$DTS_UAPI_DIR/$ifname.sock"
	# foreground, so that $! is wireguard-go itself
	WG_PROCESS_FOREGROUND=1 LOG_LEVEL=debug \
		ip netns exec "$ns" wireguard-go -f "$ifname" \
		>"$DTS_WORK/wireguard-go-$ifname.log" 2>&1 &
	pid=$!
	dts_track "$pid"
	DTS_WGGO_PIDS+=("$pid")
	DTS_WGGO_IFS+=("$ifname")
	for ((i = 0; i < 100; i++)); do
		[ -S "$DTS_UAPI_DIR/$ifname.sock" ] && return 0
		kill -0 "$pid" 2>/dev/null || dts_fail "wireguard-go $ifname exited"
		sleep 0.05
	done
	dts_fail "wireguard-go $ifname: no UAPI socket"
}

# dts_stop_wggo IFNAME
dts_stop_wggo() {
	local i
	for ((i = 0; i < ${#DTS_WGGO_IFS[@]}; i++)); do
		[ "${DTS_WGGO_IFS[$i]}" = "$1" ] || continue
		dts_stop_pid "${DTS_WGGO_PIDS[$i]}"
		DTS_WGGO_IFS[i]=
	done
	rm -f "$DTS_UAPI_DIR/$1.sock"
}

# dts_wggo_conf NS IFNAME KEYNAME PORT ADDR PEER_PUB ALLOWED [wg set args...]
# Configure wireguard-go (private key KEYNAME.key, listen PORT, tunnel
# address ADDR, e.g. 10.9.0.2/24) with one peer; extra arguments go to
# "wg set ... peer PEER_PUB" (endpoint, persistent-keepalive).
dts_wggo_conf() {
	local ns=$1 ifname=$2 key=$3 port=$4 addr=$5 peer=$6 allowed=$7 a
	shift 7
	dts_run ip netns exec "$ns" wg set "$ifname" \
		private-key "$DTS_WORK/$key.key" listen-port "$port" \
		peer "$peer" allowed-ips "$allowed" "$@" ||
		dts_fail "wg set $ifname"
	for a in ${addr//,/ }; do
		case $a in
		*:*) ip -n "$ns" -6 addr add "$a" dev "$ifname" nodad ;;
		*) ip -n "$ns" addr add "$a" dev "$ifname" ;;
		esac || dts_fail "address $a on $ifname"
	done
	ip -n "$ns" link set "$ifname" mtu 1420 up || dts_fail "$ifname up"
}

# Latest handshake (unix seconds, 0 = never) of IFNAME's first peer.
dts_wg_handshake() {
	ip netns exec "$1" wg show "$2" latest-handshakes 2>/dev/null |
		awk 'NR == 1 {print $2}'
}

# Endpoint wireguard-go has for IFNAME's first peer.
dts_wg_endpoint() {
	ip netns exec "$1" wg show "$2" endpoints 2>/dev/null |
		awk 'NR == 1 {print $2}'
}

# ------------------------------------------------------------------ ping

# dts_ping NS DEST COUNT [ping options...]: all COUNT echoes answered.
dts_ping() {
	local ns=$1 dst=$2 n=$3 out rc
	shift 3
	out=$DTS_WORK/ping.$$.$RANDOM
	ip netns exec "$ns" ping -n -c "$n" -i 0.2 -W 2 "$@" "$dst" \
		>"$out" 2>&1 &
	wait $!
	rc=$?
	if [ $rc -ne 0 ] || ! grep -q " $n received" "$out"; then
		sed "s/^/    /" "$out"
		rm -f "$out"
		return 1
	fi
	tail -n 2 "$out" | sed "s/^/    /"
	rm -f "$out"
	return 0
}

# dts_ping_until NS DEST SECONDS [ping options...]: one echo answered
# within SECONDS (the first may wait for ARP and a handshake).
dts_ping_until() {
	local ns=$1 dst=$2 t=$3
	shift 3
	ip netns exec "$ns" ping -n -c 1 -w "$t" "$@" "$dst" >/dev/null 2>&1 &
	wait $!
}

# ---------------------------------------------------------------- iperf3

# dts_iperf SERVER_NS CLIENT_NS SERVER_IP SECONDS TAG [iperf3 client args]
# One TCP run; JSON in $DTS_WORK/iperf-TAG.json. Checks every interval
# moved data. Prints "TAG: X Mbit/s ..."; sets DTS_IPERF_MBPS.
DTS_IPERF_MBPS=
dts_iperf() {
	local sns=$1 cns=$2 ip=$3 secs=$4 tag=$5 spid cpid rc port
	shift 5
	port=$((5201 + RANDOM % 500))
	ip netns exec "$sns" iperf3 -s -1 -B "$ip" -p "$port" \
		>"$DTS_WORK/iperf-$tag.server" 2>&1 &
	spid=$!
	dts_track "$spid"
	dts_wait_for 5 dts_listening "$sns" "$port" ||
		dts_fail "iperf3 server did not start"
	ip netns exec "$cns" timeout $((secs + 30)) iperf3 -c "$ip" \
		-p "$port" -t "$secs" -i 1 -J --connect-timeout 5000 "$@" \
		>"$DTS_WORK/iperf-$tag.json" 2>"$DTS_WORK/iperf-$tag.err" &
	cpid=$!
	wait "$cpid"
	rc=$?
	dts_stop_pid "$spid" 1 >/dev/null 2>&1
	if [ $rc -ne 0 ]; then
		dts_log "iperf3 client failed ($rc)"
		python3 "$DTS_WORK/dts.py" iperf "$DTS_WORK/iperf-$tag.json" \
			"$tag" 2>&1 | sed 's/^/    /'
		return 1
	fi
	DTS_IPERF_MBPS=$(python3 "$DTS_WORK/dts.py" iperf \
		"$DTS_WORK/iperf-$tag.json" "$tag" 2>&1 | tee "$DTS_WORK/iperf-$tag.txt" |
		sed -n 's/^mbps //p')
	grep -v '^mbps ' "$DTS_WORK/iperf-$tag.txt"
	[ -n "$DTS_IPERF_MBPS" ] &&
		! grep -q '^STALL' "$DTS_WORK/iperf-$tag.txt"
}

dts_listening() {
	ip netns exec "$1" ss -Htln "sport = :$2" 2>/dev/null | grep -q .
}

# ------------------------------------------------------------------ pcap

# dts_pcap_start NS IFACE TAG [filter...]: capture to $DTS_WORK/TAG.pcap;
# sets DTS_PCAP_PID.
DTS_PCAP_PID=
dts_pcap_start() {
	local ns=$1 ifc=$2 tag=$3 i
	shift 3
	ip netns exec "$ns" tcpdump -i "$ifc" -n -U --immediate-mode -s 0 \
		-w "$DTS_WORK/$tag.pcap" "$@" >"$DTS_WORK/$tag.tcpdump" 2>&1 &
	DTS_PCAP_PID=$!
	dts_track "$DTS_PCAP_PID"
	for ((i = 0; i < 50; i++)); do
		grep -q "listening on" "$DTS_WORK/$tag.tcpdump" && return 0
		sleep 0.1
	done
	dts_fail "tcpdump did not start: $(cat "$DTS_WORK/$tag.tcpdump")"
}

dts_pcap_stop() {
	sleep 0.3
	dts_stop_pid "$DTS_PCAP_PID" 2 >/dev/null 2>&1
	DTS_PCAP_PID=
}

# ------------------------------------------------------------- python

# Helpers that want a real language: iperf3 JSON, pcap parsing, sending
# forged and replayed WireGuard messages.
dts_write_py() {
	cat >"$DTS_WORK/dts.py" <<'EOF'
import json, os, socket, struct, sys

def iperf(path, tag):
    try:
        with open(path) as f:
            d = json.load(f)
    except Exception as e:
        print("no iperf3 JSON (%s)" % e)
        sys.exit(1)
    if "error" in d:
        print("iperf3 error: %s" % d["error"])
    ivs = d.get("intervals", [])
    bad = []
    rates = []
    for iv in ivs:
        s = iv["sum"]
        if s.get("omitted"):
            continue
        bps = s["bits_per_second"]
        rates.append(bps / 1e6)
        # a short last interval (< 0.5 s) can legitimately be empty
        if bps <= 0 and s["seconds"] >= 0.5:
            bad.append("%.1f-%.1f s" % (s["start"], s["end"]))
    end = d.get("end", {})
    recv = end.get("sum_received", {}).get("bits_per_second", 0) / 1e6
    sent = end.get("sum_sent", {})
    retr = sent.get("retransmits", "?")
    print("%s: %.1f Mbit/s received, %s retransmits, intervals (Mbit/s): %s"
          % (tag, recv, retr, " ".join("%.0f" % r for r in rates)))
    if len(rates) == 0:
        print("STALL: no intervals")
    if bad:
        print("STALL: no data in interval(s) %s" % ", ".join(bad))
    if recv > 0 and not bad and rates:
        print("mbps %.1f" % recv)

def pcap_frames(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xa1b2c3d4, 0xa1b23c4d):
        e = "<"
    else:
        e = ">"
    linktype = struct.unpack(e + "I", data[20:24])[0]
    if linktype != 1:
        raise SystemExit("pcap link type %d, want Ethernet" % linktype)
    off = 24
    while off + 16 <= len(data):
        ts, tus, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
        off += 16
        yield data[off:off + incl]
        off += incl

def parse(fr):
    """(kind, src, dst, sport, dport, payload) for a frame."""
    if len(fr) < 14:
        return ("short", None, None, 0, 0, b"")
    et = struct.unpack("!H", fr[12:14])[0]
    p = fr[14:]
    if et == 0x8100 and len(p) >= 4:
        et = struct.unpack("!H", p[2:4])[0]
        p = p[4:]
    if et == 0x0806:
        return ("arp", None, None, 0, 0, p)
    if et == 0x0800 and len(p) >= 20:
        ihl = (p[0] & 15) * 4
        tot = struct.unpack("!H", p[2:4])[0]
        src = socket.inet_ntop(socket.AF_INET, p[12:16])
        dst = socket.inet_ntop(socket.AF_INET, p[16:20])
        proto = p[9]
        l4 = p[ihl:tot]
        if proto == 17 and len(l4) >= 8:
            sp, dp = struct.unpack("!HH", l4[:4])
            return ("udp", src, dst, sp, dp, l4[8:])
        return ("ip4-%d" % proto, src, dst, 0, 0, l4)
    if et == 0x86dd and len(p) >= 40:
        nh = p[6]
        plen = struct.unpack("!H", p[4:6])[0]
        src = socket.inet_ntop(socket.AF_INET6, p[8:24])
        dst = socket.inet_ntop(socket.AF_INET6, p[24:40])
        l4 = p[40:40 + plen]
        if nh == 17 and len(l4) >= 8:
            sp, dp = struct.unpack("!HH", l4[:4])
            return ("udp", src, dst, sp, dp, l4[8:])
        if nh == 58 and len(l4) >= 1:
            return ("icmp6-%d" % l4[0], src, dst, 0, 0, l4)
        if nh == 0 and len(l4) >= 8 and l4[0] == 58:
            # hop-by-hop (MLD reports): look past it
            hl = (l4[1] + 1) * 8
            if len(l4) > hl:
                return ("icmp6-%d" % l4[hl], src, dst, 0, 0, l4[hl:])
        return ("ip6-%d" % nh, src, dst, 0, 0, l4)
    return ("eth-%04x" % et, None, None, 0, 0, p)

WG_LEN = {1: 148, 2: 92, 3: 64}

MTU = 1420  # the tunnel's: padding stops there (1420 is not 16-aligned)

def wg_ok(pl):
    if len(pl) < 4 or pl[0] not in (1, 2, 3, 4) or pl[1:4] != b"\0\0\0":
        return False
    if pl[0] in WG_LEN:
        return len(pl) == WG_LEN[pl[0]]
    # header 16 + padded plaintext + tag 16
    return len(pl) >= 32 and ((len(pl) - 32) % 16 == 0 or len(pl) - 32 == MTU)

def audit(path, pattern_hex, ports):
    """Every frame is ARP, ND/MLD, or UDP to/from a WireGuard port that
    carries a well-formed WireGuard message; the pattern never appears."""
    ports = set(int(x) for x in ports.split(","))
    pat = bytes.fromhex(pattern_hex)
    counts = {}
    bad = []
    n = 0
    for fr in pcap_frames(path):
        n += 1
        kind, src, dst, sp, dp, pl = parse(fr)
        if pat in fr:
            bad.append("frame %d (%s %s > %s): plaintext pattern" % (n, kind, src, dst))
        if kind == "udp" and (sp in ports or dp in ports):
            if wg_ok(pl):
                k = "wg-type%d" % pl[0]
                counts[k] = counts.get(k, 0) + 1
                continue
            bad.append("frame %d: UDP %s:%d > %s:%d, %d bytes: not a WireGuard message (%s)"
                       % (n, src, sp, dst, dp, len(pl), pl[:8].hex()))
            continue
        if kind == "arp" or kind in ("icmp6-%d" % t for t in
                                     (130, 131, 132, 133, 134, 135, 136, 137, 143)):
            counts[kind] = counts.get(kind, 0) + 1
            continue
        bad.append("frame %d: unexpected %s %s > %s" % (n, kind, src, dst))
    print("%d frames: %s" % (n, ", ".join("%s=%d" % kv for kv in sorted(counts.items()))))
    for b in bad[:20]:
        print("BAD " + b)
    if bad:
        sys.exit(1)

def last_msg(path, src, dport, mtype=4):
    """Hex UDP payload of the last WireGuard message of type mtype from src
    (ADDR:PORT) to :dport."""
    addr, sport = src.rsplit(":", 1)
    addr = addr.strip("[]")
    best = None
    for fr in pcap_frames(path):
        kind, s, d, sp, dp, pl = parse(fr)
        if kind == "udp" and s == addr and sp == int(sport) and \
                dp == int(dport) and pl[:1] == bytes([int(mtype)]) and \
                wg_ok(pl):
            best = pl
    if best is None:
        sys.exit("no type %s message from %s to port %s" % (mtype, src, dport))
    print(best.hex())

def send(dst, port, hexes, sport=0):
    fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if sport:
        s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", int(sport)))
    for h in hexes:
        s.sendto(bytes.fromhex(h), (dst, int(port)))

def forged(index, counter, size):
    """A transport message with a plausible header and random body."""
    body = os.urandom(int(size))
    return (struct.pack("<IIQ", 4, int(index), int(counter)) + body).hex()

def spoof(src, dst, count):
    """ICMP echo requests with a forged inner source, through the routes of
    this namespace (into wireguard-go's tunnel)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    for i in range(int(count)):
        icmp = struct.pack("!BBHHH", 8, 0, 0, 0x5a5a, i) + b"spoofed!" * 4
        csum = 0
        for j in range(0, len(icmp), 2):
            csum += (icmp[j] << 8) | icmp[j + 1]
        while csum >> 16:
            csum = (csum & 0xffff) + (csum >> 16)
        icmp = icmp[:2] + struct.pack("!H", ~csum & 0xffff) + icmp[4:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 0x1234 + i,
                         0, 64, 1, 0, socket.inet_aton(src),
                         socket.inet_aton(dst))
        s.sendto(ip + icmp, (dst, 0))

def initiations(dst, port, pub_b64, n):
    """n handshake initiations to the responder whose public key is pub:
    random ephemeral, static and timestamp, but a valid MAC1, so that the
    responder has to do the DH to find them bogus (or, under load, answers
    with a cookie). Sent as fast as the socket goes."""
    import base64, hashlib
    pub = base64.b64decode(pub_b64)
    key = hashlib.blake2s(b"mac1----" + pub).digest()
    s = socket.socket(socket.AF_INET6 if ":" in dst else socket.AF_INET,
                      socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    for i in range(int(n)):
        body = struct.pack("<II", 1, i + 1) + os.urandom(32 + 48 + 28)
        mac1 = hashlib.blake2s(body, digest_size=16, key=key).digest()
        s.sendto(body + mac1 + bytes(16), (dst, int(port)))
    # stay open for the cookie replies still coming (no ICMP errors)
    s.settimeout(1.5)
    try:
        while True:
            s.recv(2048)
    except socket.timeout:
        pass

def tx_csum_off(ifname):
    """ethtool -K IFNAME tx off, without ethtool (ETHTOOL_STXCSUM)."""
    import ctypes, fcntl
    SIOCETHTOOL, ETHTOOL_STXCSUM = 0x8946, 0x17
    val = (ctypes.c_uint32 * 2)(ETHTOOL_STXCSUM, 0)
    ifr = struct.pack("16sP", ifname.encode(), ctypes.addressof(val))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    fcntl.ioctl(s.fileno(), SIOCETHTOOL, ifr)

cmd = sys.argv[1]
if cmd == "iperf":
    iperf(sys.argv[2], sys.argv[3])
elif cmd == "audit":
    audit(sys.argv[2], sys.argv[3], sys.argv[4])
elif cmd == "last-transport":
    last_msg(sys.argv[2], sys.argv[3], sys.argv[4], 4)
elif cmd == "last-initiation":
    last_msg(sys.argv[2], sys.argv[3], sys.argv[4], 1)
elif cmd == "send":
    # send DST PORT SPORT HEX...
    send(sys.argv[2], sys.argv[3], sys.argv[5:], int(sys.argv[4]))
elif cmd == "spoof":
    spoof(sys.argv[2], sys.argv[3], sys.argv[4])
elif cmd == "initiations":
    initiations(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
elif cmd == "tx-csum-off":
    tx_csum_off(sys.argv[2])
elif cmd == "forged":
    print(forged(sys.argv[2], sys.argv[3], sys.argv[4]))
else:
    raise SystemExit("unknown command " + cmd)
EOF
}

dts_py() { python3 "$DTS_WORK/dts.py" "$@"; }

# --------------------------------------------------------- standard bed

# dts_keys: keys d (dpdk-wg) and g (wireguard-go); sets DTS_PUB_D/G.
DTS_PUB_D=
DTS_PUB_G=
dts_keys() {
	DTS_PUB_D=$(dts_genkey d)
	DTS_PUB_G=$(dts_genkey g)
}

# dts_tunnel_up WHO [conf KEY=VALUE...] [-- daemon options...]
# The usual tunnel 10.9.0.1 (dpdk-wg) <-> 10.9.0.2 (wireguard-go) over
# 192.0.2.1:51820 <-> 192.0.2.2:51821. WHO is the side that knows the
# other's endpoint and so starts the handshake: "dpdk" or "wggo".
# Starts wireguard-go (if not running) and dpdk-wg; no traffic yet.
dts_tunnel_up() {
	local who=$1 kv conf=() opts=() wg_extra=() in_opts=
	shift
	for kv in "$@"; do
		if [ -n "$in_opts" ]; then
			opts+=("$kv")
		elif [ "$kv" = -- ]; then
			in_opts=1
		else
			conf+=("$kv")
		fi
	done
	[ -n "$DTS_PUB_D" ] || dts_keys
	if [ "$who" = dpdk ]; then
		conf=("endpoint=$DTS_OUT4_G:$DTS_PORT_G" "${conf[@]}")
	else
		wg_extra=(endpoint "$DTS_OUT4_D:$DTS_PORT")
	fi
	if ! ip -n "$DTS_NS_G" link show "$DTS_IF_G" >/dev/null 2>&1; then
		dts_start_wggo "$DTS_NS_G" "$DTS_IF_G"
		dts_wggo_conf "$DTS_NS_G" "$DTS_IF_G" g "$DTS_PORT_G" \
			"$DTS_IN4_G/24" "$DTS_PUB_D" "$DTS_IN4_D/32" "${wg_extra[@]}"
	fi
	dts_conf "$DTS_WORK/d.conf" "priv=$(dts_key d)" "peer=$DTS_PUB_G" \
		"${conf[@]}"
	dts_start_dpdk_wg "$DTS_WORK/d.conf" "${opts[@]}"
}

# wireguard-go must not have rejected anything dpdk-wg sent.
dts_check_wggo_log() {
	local ifname=${1:-$DTS_IF_G} n
	n=$(grep -ci "invalid\|unknown type\|unknown IP version" \
		"$DTS_WORK/wireguard-go-$ifname.log")
	if [ "$n" -gt 0 ]; then
		grep -i "invalid\|unknown type\|unknown IP version" \
			"$DTS_WORK/wireguard-go-$ifname.log" | head -n 10
		dts_fail "wireguard-go rejected $n message(s)"
	fi
}

# ------------------------------------------- a second uplink, and loss
# (appended for multipath.sh, failover.sh and duplex.sh)
#
#   $DTS_NS_D                                 $DTS_NS_G
#   $DTS_VETH_D2 (no kernel address) <------> $DTS_VETH_G2 198.51.100.2/24
#
# dpdk-wg's second uplink: net_af_packet1 on $DTS_VETH_D2, address
# $DTS_OUT4_D2 (dpdk-wg's own). Created in the namespaces directly, so
# nothing is left in the root namespace if the test dies half-way.

DTS_VETH_D2=dtsm$DTS_ID
DTS_VETH_G2=dtsn$DTS_ID
DTS_OUT4_D2=198.51.100.1
DTS_OUT4_G2=198.51.100.2

# dts_veth NS_A IF_A NS_B IF_B: a veth pair between two namespaces, both
# ends up, transmit checksum offload off (see dts_net_setup), IPv6 off.
dts_veth() {
	local nsa=$1 ifa=$2 nsb=$3 ifb=$4
	ip link add "$ifa" netns "$nsa" type veth peer name "$ifb" netns "$nsb" ||
		dts_fail "veth $ifa-$ifb"
	ip netns exec "$nsa" python3 "$DTS_WORK/dts.py" tx-csum-off "$ifa" ||
		dts_fail "tx checksum offload off on $ifa"
	ip netns exec "$nsb" python3 "$DTS_WORK/dts.py" tx-csum-off "$ifb" ||
		dts_fail "tx checksum offload off on $ifb"
	ip netns exec "$nsa" sysctl -qw "net.ipv6.conf.$ifa.disable_ipv6=1" >/dev/null
	ip netns exec "$nsb" sysctl -qw "net.ipv6.conf.$ifb.disable_ipv6=1" >/dev/null
	ip -n "$nsa" link set "$ifa" up || dts_fail "$ifa up"
	ip -n "$nsb" link set "$ifb" up || dts_fail "$ifb up"
}

# dts_uplink2_setup: the second veth pair; DTS_EAL_EXTRA gets its --vdev
# (net_af_packet1) for dts_start_dpdk_wg.
dts_uplink2_setup() {
	dts_veth "$DTS_NS_D" "$DTS_VETH_D2" "$DTS_NS_G" "$DTS_VETH_G2"
	ip -n "$DTS_NS_G" addr add "$DTS_OUT4_G2/24" dev "$DTS_VETH_G2" ||
		dts_fail "address $DTS_OUT4_G2"
	DTS_EAL_EXTRA+=("--vdev=net_af_packet1,iface=$DTS_VETH_D2,qpairs=${DTS_QPAIRS:-1}")
}

# dts_loss NS IFACE PERCENT [HOOK]: drop PERCENT % (random, independent
# of any other rule) of the frames on IFACE in NS, ARP included
# (nftables, netdev family). HOOK ingress (default): what arrives on
# IFACE, before the kernel's stack or a bridge sees it (af_packet sockets
# on IFACE itself still see it); egress: what leaves by IFACE, from the
# stack, a bridge or an af_packet socket (whose send then fails with
# ENOBUFS). 100 drops all, 0 removes the rule. Needs nft (callers skip
# without it).
dts_loss() {
	local ns=$1 ifc=$2 pct=$3 hook=${4:-ingress} t=dts_loss_$2
	ip netns exec "$ns" nft delete table netdev "$t" 2>/dev/null
	[ "$pct" = 0 ] && return 0
	local rule="numgen random mod 100 < $pct drop"
	[ "$pct" -ge 100 ] && rule=drop
	ip netns exec "$ns" nft -f - <<-EOT || dts_fail "nft loss on $ifc in $ns"
	table netdev $t {
		chain loss {
			type filter hook $hook device "$ifc" priority 0;
			$rule
		}
	}
	EOT
}
