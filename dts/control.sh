#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# dts/control.sh DPDK_WG: telemetry (/wg/... through dpdk-telemetry.py)
# and the prompt (--cmdline-file, -i), against wireguard-go with a
# preshared key.
#
#  1. --cmdline-file without -i: show peers, paths, stats, config, a
#     bad command, set uplink wan0 down. The transcript is on stdout, the
#     bad command's error on stderr, keys "(hidden)"; the daemon keeps
#     running after the file; with wan0 down no ping goes through and
#     telemetry says admin down.
#  2. -i with commands piped into stdin (a FIFO): set uplink wan0 up, the
#     tunnel comes up; every /wg/ command's JSON has its fields, and the
#     counters grow with traffic; set uplink wan0 down stops the pings,
#     up brings them back; bad commands get an error and the daemon keeps
#     running; clear stats zeroes what the prompt shows, not telemetry's
#     raw counters; quit exits with status 0.
#  3. --cmdline-file ending in quit: dpdk-wg exits by itself with status
#     0 and runs nothing after the quit.
# The private and preshared keys never appear in any stdout, stderr or
# telemetry answer.

# shellcheck source=SCRIPTDIR/lib.sh disable=SC2119,SC2317
. "$(dirname "$0")/lib.sh" || exit 1
dts_init "$@"

TEL=$(command -v dpdk-telemetry.py) ||
	dts_skip "dpdk-telemetry.py not found (Debian: dpdk-dev)"

# ------------------------------------------------------------- helpers

# JSON checks on dpdk-telemetry.py's output (one {"cmd": data} a line).
cat >"$DTS_WORK/ctl.py" <<'EOF'
import json, sys

def load(path):
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                out.append(json.loads(line))
    return out

def answers(path, cmd):
    return [a[cmd] for a in load(path) if cmd in a]

def need(d, keys, where):
    miss = [k for k in keys if k not in d]
    if miss:
        sys.exit("%s: missing %s in %s" % (where, ", ".join(miss), json.dumps(d)))

PATH_KEYS = ["uplink", "local", "remote", "learnt", "state", "tx_pkts",
             "tx_bytes", "tx_data_pkts", "rx_pkts", "rx_bytes", "first_pkts",
             "dup_pkts", "too_old_pkts", "max_counter", "loss_ppm", "lag_ns"]
COUNTERS = ["uplink_rx_pkts", "uplink_rx_bytes", "uplink_tx_pkts",
            "uplink_tx_bytes", "tun_rx_pkts", "tun_tx_pkts", "decrypted_pkts",
            "encrypted_pkts", "crypto_batches", "drops"]

def check(path, name, pub_d, pub_g, admin):
    info = answers(path, "/wg/info")[0]
    need(info, ["name", "public_key", "listen_port", "addresses", "mtu",
                "replay_window", "control_lcore", "workers", "worker_lcores",
                "uplinks", "crypto_backend", "crypto_arch", "peer_count"],
         "/wg/info")
    assert info["name"] == name, info["name"]
    assert info["public_key"] == pub_d, "public key %s" % info["public_key"]
    assert info["listen_port"] == 51820
    assert info["workers"] >= 1 and len(info["worker_lcores"]) == info["workers"]
    assert info["peer_count"] == 1
    assert info["crypto_backend"] in ("avx512_mb", "ipsec_mb", "sodium", "avx2_mb")
    up = info["uplinks"]["0"]
    need(up, ["name", "port", "port_id", "addresses", "link", "admin",
              "priority", "vlan"], "/wg/info uplink")
    assert up["name"] == "wan0" and up["port"] == "net_af_packet0"
    assert up["addresses"] == ["192.0.2.1/24"], up["addresses"]
    assert up["link"] == "up", up["link"]
    assert up["admin"] == admin, "admin %s, want %s" % (up["admin"], admin)

    assert answers(path, "/wg/peers")[0] == [pub_g]

    peer, bogus = answers(path, "/wg/peer")
    assert bogus is None, "/wg/peer,bogus gave %s" % bogus
    need(peer, ["id", "public_key", "preshared_key", "endpoint", "endpoints",
                "uplinks", "redundancy", "keepalive_s", "allowed_ips",
                "last_handshake_ns", "last_handshake_age_s", "rx_bytes",
                "tx_bytes", "staged", "active_paths", "paths"], "/wg/peer")
    assert peer["public_key"] == pub_g
    assert peer["preshared_key"] == "(hidden)", peer["preshared_key"]
    assert peer["endpoint"] == "192.0.2.2:51821", peer["endpoint"]
    assert peer["endpoints"] == ["192.0.2.2:51821"]
    assert peer["allowed_ips"] == ["10.9.0.2/32"], peer["allowed_ips"]
    assert peer["redundancy"] == "single" and peer["uplinks"] == ["wan0"]
    assert peer["keepalive_s"] == 25, peer["keepalive_s"]
    assert peer["last_handshake_ns"] > 0 and peer["last_handshake_age_s"] >= 0
    need(peer["paths"]["0"], PATH_KEYS[:5], "/wg/peer path")

    for paths in answers(path, "/wg/paths"):
        p = paths["1"]
        need(p, ["public_key", "redundancy", "active_paths", "paths"],
             "/wg/paths")
        assert p["public_key"] == pub_g
        p0 = p["paths"]["0"]
        need(p0, PATH_KEYS, "/wg/paths path")
        assert p0["uplink"] == "wan0" and p0["local"] == "192.0.2.1:51820"
        assert p0["remote"] == "192.0.2.2:51821"
        want = "admin_down" if admin == "down" else "active"
        assert p0["state"] == want, "path state %s, want %s" % (p0["state"], want)

    st = answers(path, "/wg/stats")[0]
    need(st, ["lcores", "total"], "/wg/stats")
    roles = sorted(v["role"] for v in st["lcores"].values())
    assert roles[0] == "control" and roles[1:] == ["worker"] * info["workers"], roles
    for v in st["lcores"].values():
        need(v, COUNTERS, "/wg/stats lcore")
    need(st["total"], COUNTERS, "/wg/stats total")
    need(st["total"]["drops"], ["not_for_us", "no_peer", "replay",
                                "handshake_auth", "total"], "/wg/stats drops")
    for k in COUNTERS[:-1]:
        s = sum(v[k] for v in st["lcores"].values())
        assert s == st["total"][k], "total %s %d, lcores sum %d" % (k, st["total"][k], s)
    print("telemetry: %d answers, every field there" % len(load(path)))

def values(path):
    st = answers(path, "/wg/stats")[0]["total"]
    peer = answers(path, "/wg/peer")[0]
    p0 = answers(path, "/wg/paths")[0]["1"]["paths"]["0"]
    v = {"total." + k: st[k] for k in ("uplink_rx_pkts", "uplink_tx_pkts",
         "tun_rx_pkts", "tun_tx_pkts", "decrypted_pkts", "encrypted_pkts",
         "crypto_batches")}
    v.update({"peer." + k: peer[k] for k in ("rx_bytes", "tx_bytes")})
    v.update({"path." + k: p0[k] for k in ("tx_pkts", "rx_pkts", "first_pkts",
                                            "rx_bytes", "tx_bytes")})
    return v

def grow(a, b):
    va, vb = values(a), values(b)
    bad = ["%s %d -> %d" % (k, va[k], vb[k]) for k in va if vb[k] <= va[k]]
    print("counters: " + ", ".join("%s %d -> %d" % (k, va[k], vb[k]) for k in sorted(va)))
    if bad:
        sys.exit("did not grow: " + ", ".join(bad))

def get(path, cmd, *keys):
    v = answers(path, cmd)[0]
    for k in keys:
        v = v[k]
    print(v)

cmd = sys.argv[1]
try:
    if cmd == "check":
        check(*sys.argv[2:])
    elif cmd == "grow":
        grow(sys.argv[2], sys.argv[3])
    elif cmd == "get":
        get(sys.argv[2], sys.argv[3], *sys.argv[4:])
    else:
        sys.exit("unknown command " + cmd)
except AssertionError as e:
    sys.exit("telemetry: %s" % e)
EOF
ctl_py() { python3 "$DTS_WORK/ctl.py" "$@"; }

TEL_N=0
TEL_OUT=
# tel CMD...: ask dpdk-telemetry.py (commands on stdin, as a script
# would); the answers land in $TEL_OUT.
tel() {
	TEL_N=$((TEL_N + 1))
	TEL_OUT=$DTS_WORK/telemetry.$TEL_N.json
	printf '%s\n' "$@" | timeout 10 python3 "$TEL" -f "$DTS_FILE_PREFIX" \
		>"$TEL_OUT" 2>&1 || dts_fail "dpdk-telemetry.py failed: $(cat "$TEL_OUT")"
	grep -q '^{' "$TEL_OUT" || dts_fail "no telemetry answer: $(cat "$TEL_OUT")"
}

# Every /wg/ command, as dpdk-telemetry.py would be used by hand.
tel_all() {
	tel /wg/info /wg/peers "/wg/peer,$DTS_PUB_G" /wg/paths \
		"/wg/paths,$DTS_PUB_G" /wg/stats /wg/peer,bogus
}

# ping_none: pings from dpdk-wg's side all go unanswered.
ping_none() {
	local out
	out=$(ip netns exec "$DTS_NS_D" ping -n -c 5 -i 0.2 -W 1 "$DTS_IN4_G" 2>&1)
	echo "$out" | grep -q " 0 received"
}

# dpdk-wg with options, stdin from $1 (a file or FIFO): dts_start_dpdk_wg
# takes none, and a background job's stdin is /dev/null. Sets the lib's
# DTS_DPDK_* so that its helpers and cleanup apply. Does not wait.
ctl_launch() {
	local in=$1
	shift
	dts_hugepages_ensure
	DTS_DPDK_RUNS=$((DTS_DPDK_RUNS + 1))
	DTS_DPDK_OUT=$DTS_WORK/dpdk-wg.$DTS_DPDK_RUNS.out
	DTS_DPDK_ERR=$DTS_WORK/dpdk-wg.$DTS_DPDK_RUNS.err
	DTS_DPDK_RC=
	local eal=(--no-pci --huge-dir "$DTS_HUGE_MNT"
		--file-prefix "$DTS_FILE_PREFIX" -l 0-1
		"--vdev=net_af_packet0,iface=$DTS_VETH_D,qpairs=1"
		--log-level=lib.eal:error)
	dts_log "dpdk-wg ${eal[*]} -- -c d.conf --name $DTS_IF_D $* <$(basename "$in")"
	# The FIFO's writer end stays ours: dpdk-wg must not hold it. The
	# subshell execs, so $! is dpdk-wg itself.
	(
		[ -n "${PROMPT_W:-}" ] && exec {PROMPT_W}>&-
		exec ip netns exec "$DTS_NS_D" "$DTS_BIN" "${eal[@]}" -- \
			-c "$DTS_WORK/d.conf" --name "$DTS_IF_D" "$@" \
			<"$in" >"$DTS_DPDK_OUT" 2>"$DTS_DPDK_ERR"
	) &
	DTS_DPDK_PID=$!
}

ctl_wait_up() {
	dts_wait_for 30 dts_dpdk_up || {
		cat "$DTS_DPDK_OUT" "$DTS_DPDK_ERR"
		dts_fail "dpdk-wg not up"
	}
}

# Lines of stdout with STRING (fixed).
out_count() { grep -cF -- "$1" "$DTS_DPDK_OUT"; }

# say COMMAND EXPECT: type COMMAND at the prompt; EXPECT (a fixed string
# not in COMMAND) must show up once more on stdout within 5 s.
say() {
	local cmd=$1 want=$2 n
	n=$(out_count "$want")
	printf '%s\n' "$cmd" >&"$PROMPT_W"
	dts_wait_for 5 out_count_gt "$want" "$n" ||
		{ tail -n 20 "$DTS_DPDK_OUT"; dts_fail "'$cmd': no '$want' on the prompt"; }
}
out_count_gt() { [ "$(out_count "$1")" -gt "$2" ]; }

# rte_cmdline's own errors on the prompt (a command it cannot parse).
errors() { grep -cE "Command not found|Bad arguments" "$DTS_DPDK_OUT"; }
errors_gt() { [ "$(errors)" -gt "$1" ]; }

# The "total:" line of the last show stats: its decrypted count.
prompt_decrypted() {
	grep "total: uplink rx" "$DTS_DPDK_OUT" | tail -n 1 |
		sed -n 's/.* decrypted \([0-9]*\) .*/\1/p'
}

# ------------------------------------------------------------- the bed

dts_keys
(umask 077 && wg genpsk >"$DTS_WORK/psk.key") || dts_fail "wg genpsk"
PSK=$(cat "$DTS_WORK/psk.key")
PRIV_D=$(dts_key d)
dts_start_wggo "$DTS_NS_G" "$DTS_IF_G"
dts_wggo_conf "$DTS_NS_G" "$DTS_IF_G" g "$DTS_PORT_G" "$DTS_IN4_G/24" \
	"$DTS_PUB_D" "$DTS_IN4_D/32" preshared-key "$DTS_WORK/psk.key"
dts_conf "$DTS_WORK/d.conf" "priv=$PRIV_D" "peer=$DTS_PUB_G" "psk=$PSK" \
	"endpoint=$DTS_OUT4_G:$DTS_PORT_G" keepalive=25

# ------------------------------------- 1. --cmdline-file, no prompt
dts_log "== 1. --cmdline-file without -i"
cat >"$DTS_WORK/show.cmds" <<EOF
# comments and blank lines are skipped

show peers
show paths
show stats
show config
frobnicate the tunnel
set uplink wan0 down
EOF
dts_start_dpdk_wg "$DTS_WORK/d.conf" --cmdline-file "$DTS_WORK/show.cmds"
dts_wait_for 5 grep -q "uplink wan0: admin down" "$DTS_DPDK_OUT" ||
	{ cat "$DTS_DPDK_OUT"; dts_fail "the file's set uplink did not run"; }
for want in "dpdk-wg> show peers" "peer: $DTS_PUB_G" \
	"preshared key: (hidden)" "allowed ips: $DTS_IN4_G/32" \
	"dpdk-wg> show paths" "path 0: wan0 $DTS_OUT4_D:$DTS_PORT -> $DTS_OUT4_G:$DTS_PORT_G" \
	"dpdk-wg> show stats" "lcore 0 (control)" "(worker 0)" \
	"dpdk-wg> show config" "PrivateKey = (hidden)" \
	"PresharedKey = (hidden)" "PublicKey = $DTS_PUB_G" \
	"Endpoint = $DTS_OUT4_G:$DTS_PORT_G" "PersistentKeepalive = 25" \
	"[Uplink]" "Port = net_af_packet0"; do
	grep -qF -- "$want" "$DTS_DPDK_OUT" ||
		{ cat "$DTS_DPDK_OUT"; dts_fail "file transcript: no '$want'"; }
done
grep -q "show.cmds:7: command not found: frobnicate the tunnel" "$DTS_DPDK_ERR" ||
	{ cat "$DTS_DPDK_ERR"; dts_fail "no error for the bad command on stderr"; }
sleep 1
dts_check_dpdk_alive
ping_none || dts_fail "pings went through with wan0 set down"
tel /wg/info /wg/paths
[ "$(ctl_py get "$TEL_OUT" /wg/info uplinks 0 admin)" = down ] ||
	dts_fail "telemetry: wan0 not admin down: $(cat "$TEL_OUT")"
[ "$(ctl_py get "$TEL_OUT" /wg/paths 1 paths 0 state)" = admin_down ] ||
	dts_fail "telemetry: path not admin_down: $(cat "$TEL_OUT")"
dts_check_dpdk_alive
dts_stop_dpdk_wg || dts_fail "dpdk-wg did not stop cleanly"
dts_log "file ran, daemon kept running, wan0 down: no pings"

# ------------------------------------------------- 2. the prompt
dts_log "== 2. -i, commands into stdin"
mkfifo "$DTS_WORK/prompt.fifo" || dts_fail "mkfifo"
# read-write: opening does not wait for a reader, and dpdk-wg's open
# for reading does not wait for us
exec {PROMPT_W}<>"$DTS_WORK/prompt.fifo"
ctl_launch "$DTS_WORK/prompt.fifo" -i --stats-interval 3600
ctl_wait_up
dts_log "dpdk-wg up (pid $DTS_DPDK_PID)"
say "set uplink wan0 up" "uplink wan0: admin up"
dts_ping_until "$DTS_NS_D" "$DTS_IN4_G" 10 ||
	dts_fail "no tunnel after set uplink wan0 up"
dts_ping "$DTS_NS_D" "$DTS_IN4_G" 10 || dts_fail "pings lost"
dts_ping "$DTS_NS_G" "$DTS_IN4_D" 5 || dts_fail "pings lost"
tel_all
ctl_py check "$TEL_OUT" "$DTS_IF_D" "$DTS_PUB_D" "$DTS_PUB_G" up ||
	{ cat "$TEL_OUT"; dts_fail "telemetry fields"; }
tel1=$TEL_OUT
dts_ping "$DTS_NS_D" "$DTS_IN4_G" 10 || dts_fail "pings lost"
dts_ping "$DTS_NS_G" "$DTS_IN4_D" 5 || dts_fail "pings lost"
tel_all
ctl_py grow "$tel1" "$TEL_OUT" | sed 's/^/    /'
[ "${PIPESTATUS[0]}" -eq 0 ] || dts_fail "telemetry counters did not grow"

dts_log "set uplink wan0 down at the prompt: pings must stop"
say "set uplink wan0 down" "uplink wan0: admin down"
ping_none || dts_fail "pings still go through with wan0 down"
tel /wg/paths
[ "$(ctl_py get "$TEL_OUT" /wg/paths 1 paths 0 state)" = admin_down ] ||
	dts_fail "telemetry: path not admin_down: $(cat "$TEL_OUT")"
say "show paths" "admin_down: tx"
say "set uplink wan0 up" "uplink wan0: admin up"
dts_ping_until "$DTS_NS_D" "$DTS_IN4_G" 10 ||
	dts_fail "pings did not come back with wan0 up"
dts_ping "$DTS_NS_D" "$DTS_IN4_G" 10 || dts_fail "pings lost after wan0 up"
dts_log "down: no pings; up: pings back"

dts_log "bad commands"
say "frobnicate" "Command not found"
say "set uplink nosuch down" "no uplink 'nosuch'; uplinks: wan0"
n=$(errors)
printf 'show nonsense\n' >&"$PROMPT_W"
dts_wait_for 5 errors_gt "$n" || dts_fail "'show nonsense': no error"
dts_check_dpdk_alive
dts_ping "$DTS_NS_D" "$DTS_IN4_G" 5 || dts_fail "pings lost after bad commands"

dts_log "clear stats"
tel /wg/stats
raw_before=$(ctl_py get "$TEL_OUT" /wg/stats total decrypted_pkts)
say "show stats" "since start"
before=$(prompt_decrypted)
say "clear stats" "stats cleared"
say "show stats" "since clear stats"
after=$(prompt_decrypted)
dts_ping "$DTS_NS_D" "$DTS_IN4_G" 5 || dts_fail "pings lost"
say "show stats" "since clear stats"
after5=$(prompt_decrypted)
tel /wg/stats
raw_after=$(ctl_py get "$TEL_OUT" /wg/stats total decrypted_pkts)
dts_log "decrypted: prompt $before, cleared $after, +5 pings $after5; telemetry $raw_before -> $raw_after"
[ "${before:-0}" -ge 30 ] || dts_fail "prompt showed $before decrypted before the clear"
[ "${after:-99}" -le 2 ] || dts_fail "clear stats: prompt still shows $after decrypted"
if [ "${after5:-0}" -lt 5 ] || [ "$after5" -ge "$before" ]; then
	dts_fail "after clear and 5 pings the prompt shows $after5 decrypted"
fi
[ "$raw_after" -ge $((raw_before + 5)) ] ||
	dts_fail "telemetry's raw counter went $raw_before -> $raw_after"
say "show peers" "latest handshake:"
say "show config" "PresharedKey = (hidden)"
say "help" "set uplink NAME up|down"

dts_log "quit"
pid=$DTS_DPDK_PID
printf 'quit\nshow peers\n' >&"$PROMPT_W"
for ((i = 0; i < 100; i++)); do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$pid" 2>/dev/null && dts_fail "dpdk-wg still running 10 s after quit"
DTS_DPDK_PID=
wait "$pid"
rc=$?
exec {PROMPT_W}>&-
[ "$rc" -eq 0 ] || dts_fail "dpdk-wg exited with status $rc after quit"
tail -n 4 "$DTS_DPDK_OUT" | sed 's/^/    final: /'

# ----------------------------------------- 3. quit from the file
dts_log "== 3. --cmdline-file ending in quit"
printf 'show stats\nquit\nshow peers\n' >"$DTS_WORK/quit.cmds"
ctl_launch /dev/null --cmdline-file "$DTS_WORK/quit.cmds"
pid=$DTS_DPDK_PID
for ((i = 0; i < 300; i++)); do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$pid" 2>/dev/null && dts_fail "dpdk-wg still running 30 s after the file's quit"
DTS_DPDK_PID=
wait "$pid"
rc=$?
[ "$rc" -eq 0 ] || { cat "$DTS_DPDK_ERR"; dts_fail "dpdk-wg exited with status $rc after the file's quit"; }
grep -q "^dpdk-wg> quit" "$DTS_DPDK_OUT" || dts_fail "no quit in the transcript"
grep -q "dpdk-wg> show peers" "$DTS_DPDK_OUT" &&
	dts_fail "a command after quit ran"
grep -q "^$DTS_IF_D: uplink rx" "$DTS_DPDK_OUT" || dts_fail "no final stats"

# ------------------------------------------------------------ secrets
dts_log "no private or preshared key in any output"
for f in "$DTS_WORK"/dpdk-wg.*.out "$DTS_WORK"/dpdk-wg.*.err \
	"$DTS_WORK"/telemetry.*.json; do
	if grep -qF -e "$PRIV_D" -e "$PSK" "$f"; then
		dts_fail "a secret key in $(basename "$f")"
	fi
done
dts_check_wggo_log

dts_log "PASS"
exit 0
