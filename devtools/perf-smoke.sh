#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# devtools/perf-smoke.sh [BUILD_DIR]: the smoke test of devtools/perf.sh
# (meson test -C build --suite dts perf-smoke). Runs
#   devtools/perf.sh --quick --no-e2e --no-build --out SCRATCH/X.md
# in a scratch directory (removed afterwards) and checks that the file
# has the markers, the targets table and the result tables: crypto
# always, data plane as root (it needs EAL). Exit 0 pass, 1 fail.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
tmp=$(mktemp -d /tmp/perf-smoke.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
md=$tmp/X.md
rc=0
fail() { echo "perf-smoke: FAIL: $*"; rc=1; }

"$top/devtools/perf.sh" --quick --no-e2e --no-build --build "$build" \
	--out "$md" || { echo "perf-smoke: FAIL: devtools/perf.sh failed"; exit 1; }
[ -s "$md" ] || { echo "perf-smoke: FAIL: no $md"; exit 1; }

# count PATTERN: lines of the file matching the extended regex
count() { grep -cE "$1" "$md"; }

[ "$(count '^<!-- perf\.sh: begin -->$')" = 1 ] || fail "begin marker (once)"
[ "$(count '^<!-- perf\.sh: end -->$')" = 1 ] || fail "end marker (once)"
b=$(grep -n '^<!-- perf\.sh: begin -->$' "$md" | cut -d: -f1)
e=$(grep -n '^<!-- perf\.sh: end -->$' "$md" | cut -d: -f1)
if [ -z "$b" ] || [ -z "$e" ] || [ "$b" -ge "$e" ]; then
	fail "markers out of order"
fi

grep -q '^### Machine$' "$md" || fail "no machine section"
grep -q '^### Targets (issue 6)$' "$md" || fail "no targets table"
n=$(count '^\| .* \| \*\*(met|not met)\*\*')
n_na=$(count '^\| .* \| not measured \|$')
[ $((n + n_na)) -ge 10 ] || fail "targets table: $n judged + $n_na not measured rows, want 10"

# crypto: a row per size for ipsec_mb's best path, seal and open figures
grep -q '^| size | backend | seal Mpps | seal Gbit/s | open Mpps | open Gbit/s |' "$md" ||
	fail "no crypto table"
for s in 64 128 256 512 1024 1420; do
	grep -qE "^\| $s \| [a-z0-9_]+/[a-z0-9_+]+ \| [0-9.]+ \[" "$md" ||
		fail "crypto table: no row for $s bytes"
done
# every backend the raw output has is in the table
while read -r b; do
	grep -qF "| 64 | $b |" "$md" || fail "crypto table: backend $b missing"
done < <(awk '$3 == "seal" && $2 == 64 {print $1}' "$tmp/perf/crypto.txt")
[ "$(count '^\| [0-9]+ \| openssl/')" -ge 6 ] || fail "crypto table: no OpenSSL rows"

if [ "$(id -u)" = 0 ]; then
	grep -q '^#### encap (seal and send)$' "$md" || fail "no encap table"
	grep -q '^#### decap (receive and open)$' "$md" || fail "no decap table"
	grep -q '^| peers | size | 1 path | 2 paths, chain | 2 paths, copy | 4 paths, chain | 4 paths, copy |$' "$md" ||
		fail "encap table header"
	grep -q '^| peers | size | 1 path | 2 paths | 4 paths |$' "$md" ||
		fail "decap table header"
	# 2 peer counts x 6 sizes, in each of encap and decap
	[ "$(count '^\| (1|1000) \| [0-9]+ \| [0-9.]+ \[.*Gbit/s\)')" -ge 24 ] ||
		fail "data plane tables: want 24 rows"
	grep -q '^### Ratios$' "$md" || fail "no ratios table"
	grep -qE '^\| encap \| [^|]+ \| 1 \| 1420 \| .* \| [0-9]+ %' "$md" ||
		fail "no encap/seal ratio at 1420"
else
	echo "perf-smoke: not root: data plane not checked (it needs EAL)"
fi

if command -v gnuplot >/dev/null 2>&1; then
	for p in crypto-seal crypto-open; do
		[ -s "$tmp/perf/$p.png" ] || fail "no plot $p.png"
		grep -q "(perf/$p.png)" "$md" || fail "plot $p.png not linked"
	done
	if [ "$(id -u)" = 0 ]; then
		for p in dataplane-encap dataplane-decap; do
			[ -s "$tmp/perf/$p.png" ] || fail "no plot $p.png"
		done
	fi
else
	grep -q 'plots skipped: gnuplot not found' "$md" ||
		fail "no note on the skipped plots"
fi

[ $rc -eq 0 ] && echo "perf-smoke: PASS"
exit $rc
