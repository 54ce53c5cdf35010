#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# dpdk-wg start-up errors: every bad configuration stops it with
# "FILE:LINE: message" and exit status 1, before anything is started,
# and bad options are refused. No hugepages, no NIC: --no-huge --no-pci.
set -u
bin=$1
dir=$(mktemp -d)
# EAL leaves its runtime directory behind even with --no-shconf.
trap 'rm -rf "$dir" "/var/run/dpdk/wgstart$$"' EXIT
pass=0
fail=0

key=$(printf '%s' "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
peer="JSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/QEFCQ0Q="
eal=(--no-huge --no-pci -m 64 -l 0-1 --no-shconf --no-telemetry
     --file-prefix "wgstart$$" --log-level=lib.eal:crit)

# expect CONFIG-TEXT PATTERN: dpdk-wg exits 1 and stderr matches PATTERN.
expect() {
	local text=$1 pattern=$2 out rc
	printf '%b' "$text" > "$dir/wg0.conf"
	out=$("$bin" "${eal[@]}" -- -c "$dir/wg0.conf" 2>&1 >/dev/null)
	rc=$?
	if [ $rc -eq 1 ] && grep -qE "$pattern" <<<"$out"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: rc $rc, expected /$pattern/; got: $out"
	fi
}

iface="[Interface]\nPrivateKey = $key\nListenPort = 51820\n"
uplink="[Uplink]\nName = wan0\nPort = net_nothere0\nAddress = 192.0.2.1/24\n"
expect "${iface}Foo = 1\n" "wg0.conf:4: .*Foo"
expect "[Interface]\nPrivateKey = abc\n" "wg0.conf:2: .*base64"
expect "${iface}${uplink}" "wg0.conf:4: port 'net_nothere0' does not exist"
expect "${iface}[Peer]\nPublicKey = $peer\n[Peer]\nPublicKey = $peer\n" \
	"wg0.conf:[0-9]+: duplicate peer"
expect "${iface}[Peer]\nAllowedIPs = 10.0.0.300/32\n" "wg0.conf:5: .*address"
expect "" "wg0.conf:1: .*Interface"

# Options.
out=$("$bin" "${eal[@]}" -- 2>&1); rc=$?
if [ $rc -eq 1 ] && grep -q "usage" <<<"$out"; then pass=$((pass + 1));
else fail=$((fail + 1)); echo "FAIL: no -c: rc $rc"; fi
out=$("$bin" "${eal[@]}" -- -c "$dir/missing.conf" 2>&1); rc=$?
if [ $rc -eq 1 ] && grep -q "missing.conf" <<<"$out"; then pass=$((pass + 1));
else fail=$((fail + 1)); echo "FAIL: missing file: rc $rc: $out"; fi
out=$("$bin" "${eal[@]}" -- -c x --clock-scale abc 2>&1); rc=$?
if [ $rc -eq 1 ] && grep -q "clock-scale" <<<"$out"; then pass=$((pass + 1));
else fail=$((fail + 1)); echo "FAIL: bad --clock-scale: rc $rc"; fi

out=$("$bin" "${eal[@]}" -- -c x --spread sometimes 2>&1); rc=$?
if [ $rc -eq 1 ] && grep -q "bad --spread 'sometimes' (on or off)" <<<"$out"; then
	pass=$((pass + 1))
else fail=$((fail + 1)); echo "FAIL: bad --spread: rc $rc"; fi

echo "startup: $pass passed, $fail failed"
[ $fail -eq 0 ]
