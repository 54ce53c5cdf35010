#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Install the Debian 12 packages dpdk-wg needs (only those missing), then
# configure and build into ./build. Idempotent; quiet when all is there.
#
#   devtools/setup.sh [BUILD_DIR] [extra meson options...]
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
builddir=${1:-$top/build}
shift || true

packages=(
	# build
	build-essential meson ninja-build pkg-config python3-pyelftools
	dpdk dpdk-dev libdpdk-dev libipsec-mb-dev libsodium-dev libb2-dev
	libssl-dev
	# tests and demo
	wireguard-tools wireguard-go iperf3 iproute2 iputils-ping tcpdump
	nftables procps ethtool
	# benchmarks (devtools/perf.sh: plots)
	gnuplot-nox
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: run as root (or with sudo) to install packages" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -f "$builddir/build.ninja" ]; then
	meson setup "$builddir" "$top" "$@" >/dev/null ||
		{ echo "setup: meson setup failed, see $builddir/meson-logs" >&2; exit 1; }
fi
ninja -C "$builddir" >/dev/null ||
	{ ninja -C "$builddir"; exit 1; }
