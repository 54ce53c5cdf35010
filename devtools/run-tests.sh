#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Every test of dpdk-wg, from a clean checkout on a fresh Debian 12 machine:
#   1. the unit and crypto tests built with ASan and UBSan;
#   2. the full suite (unit, crypto, interop with wireguard-go in network
#      namespaces, and, as they arrive, the DPDK end-to-end suites).
# Interop tests need root; without it they are skipped, not failed.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

devtools/setup.sh build-asan -Db_sanitize=address,undefined \
	-Db_lundef=false -Dbuildtype=debug -Dinterop_tests=false
echo "== unit and crypto tests under ASan+UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C build-asan --suite unit --print-errorlogs

devtools/setup.sh build
echo "== all tests"
meson test -C build --print-errorlogs
