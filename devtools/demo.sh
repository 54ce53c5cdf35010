#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Install what is missing, build, and show the protocol core talking to a
# real wireguard-go peer in network namespaces: handshake, pings inside
# the tunnel, a timer-driven rekey (scaled clock). Cleans up after itself.
#
# The multi-path demo (dpdk-wg with two lossy uplinks and a live per-path
# view) arrives with the multi-path issue.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
"$top/devtools/setup.sh" "$top/build"
if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run as root: it creates network namespaces" >&2
	exit 1
fi
for scenario in initiator responder rekey; do
	echo "== demo: $scenario"
	"$top/test/interop/interop.sh" "$scenario" "$top/build/test/interop/wg-udp-peer"
done
