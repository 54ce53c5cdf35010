#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# dts/demo.sh: the README's demo, checked. devtools/demo.sh --quick runs
# dpdk-wg with two impaired uplinks (20 ms / 5 % and 40 ms / 10 % loss,
# each way, through wg-impair) in duplicate mode against wireguard-go and
# against a second dpdk-wg. Through the tunnel, in the redundant
# directions, at most 3 % of the packets may be lost (about 0.5 %
# expected; a single path would lose 5-10 %), and the faster path must
# deliver first most of the time.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
for t in wireguard-go wg ping ethtool; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not found"; exit 77; }
done
exec 9>/run/lock/dpdk-wg-dts.lock && flock 9
out=$(mktemp)
trap 'rm -f "$out"' EXIT
DEMO_PINGS=600 "$top/devtools/demo.sh" >"$out" 2>&1
rc=$?
grep -A6 "^== (a)\|^== (b)" "$out" | grep -v "^\[" | grep -v "^--" | tail -n 20 |
	grep -E "^==|tunnel|first|pings" | sed 's/^/    /'
[ $rc -eq 0 ] || { tail -n 30 "$out"; echo "FAIL: the demo exited $rc"; exit 1; }
fail=0
while read -r sent got; do
	[ -n "$sent" ] || continue
	lost=$(( (sent - got) * 1000 / sent ))
	if [ "$lost" -gt 30 ]; then
		echo "FAIL: $sent sent, $got arrived through the tunnel (> 3 % lost)"
		fail=1
	fi
done < <(sed -n 's/.*through the tunnel: \([0-9]*\) sent, \([0-9]*\) arrived.*/\1 \2/p' "$out")
[ "$(grep -c 'through the tunnel' "$out")" -eq 2 ] ||
	{ echo "FAIL: the demo printed no summaries"; exit 1; }
first=$(grep -A4 "^== (b)" "$out" | sed -n 's/.*wan0 delivered first \([0-9]*\).*/\1/p' | tail -n1)
[ "${first:-0}" -ge 60 ] ||
	{ echo "FAIL: wan0 (20 ms) delivered first only ${first:-?} % (want >= 60 %)"; fail=1; }
[ $fail -eq 0 ] && echo "demo: both summaries within bounds"
exit $fail
