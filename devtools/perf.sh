#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# devtools/perf.sh: the standard benchmark set of dpdk-wg, in one command,
# written into doc/performance.md (between <!-- perf.sh: begin --> and
# <!-- perf.sh: end -->; the rest of the file is left as it is), with
# plots and the raw outputs in doc/perf/:
#
#   1. crypto: test-wg-perf --crypto, seal and open of every backend it
#      knows (every ipsec_mb code path, sodium, OpenSSL EVP, the
#      multi-lane ones: whatever rows it prints) at 64..1420 bytes;
#   2. data plane on one lcore: test-wg-perf --dataplane, encap and decap,
#      1/2/4 paths, 1 and 1000 peers, 64..1420 bytes, on the daemon's
#      default backend (and, when that is not ipsec_mb, 1 path on ipsec_mb
#      as well), and the ratios (2 paths vs 1, 1000 peers vs 1, data plane
#      vs raw crypto);
#   3. end to end on dts/iperf.sh's veth bed: dpdk-wg <-> wireguard-go
#      and wireguard-go <-> wireguard-go (devtools/perf-e2e.sh);
#
# then the targets of issue 6, met or not. Every figure is a median of
# several runs with their min and max.
#
#   devtools/perf.sh [--quick] [--no-e2e] [--out FILE] [options]
#
# Needs root for 2 and 3 (EAL, namespaces); without it they are skipped
# with a note. Uses hugepages when free (test-wg-perf picks them, the e2e
# bed reserves its own and gives them back). Takes dts/lib.sh's lock
# (/run/lock/dpdk-wg-dts.lock) while it measures 1 and 2, so that the dts
# suites of other users of the machine do not run at the same time.
# Everything it starts is stopped on exit, interrupted or not.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
self="devtools/perf.sh"

usage() {
	cat <<EOF
usage: $self [options]

  --quick        short runs (3 runs of 10 ms; end to end 3 x 2 s): a smoke
                 test, not figures to publish
  --no-e2e       skip the end-to-end part (iperf3 on the veth bed)
  --out FILE     the Markdown file to write into (default doc/performance.md);
                 plots and raw outputs go to perf/ beside it
  --build DIR    build directory (default build)
  --no-build     do not run ninja first (use the binaries as they are)
  --runs N       runs per measurement (default 7; --quick 3)
  --seconds S    duration of one run (default 0.1; --quick 0.01)
  --core N       CPU to run the benchmarks on (default: the last one)
  --e2e-runs N   end-to-end runs per direction (default 5; --quick 3)
  --e2e-secs S   seconds of one end-to-end run (default 5; --quick 2)
  --retries N    run a crypto or data-plane benchmark again, up to N times,
                 when over 10 % of its measurements spread over 10 % of
                 their median (a busy machine), keeping the quietest
                 (default 2; --quick 0)
  -h, --help

Environment: PERF_VERBOSE=1 shows the benchmarks' output as they run;
PERF_GNUPLOT=PATH another gnuplot, or none for no plots (they are skipped
with a note, as when gnuplot is not installed).

Full run: about 5 minutes on a 2-CPU machine when it is quiet (up to 10
with retries on a busy one); --quick --no-e2e: about 10 s.
EOF
	exit "${1:-0}"
}

die() { echo "perf.sh: $*" >&2; exit 1; }
log() { echo "perf.sh: $*" >&2; }

quick='' e2e=1 out='' build=$top/build dobuild=1 runs='' secs='' core=''
e2e_runs='' e2e_secs='' retries=''
argv=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--no-e2e) e2e= ;;
	--out) [ $# -ge 2 ] || usage 2; out=$2; shift ;;
	--out=*) out=${1#*=} ;;
	--build) [ $# -ge 2 ] || usage 2; build=$2; shift ;;
	--build=*) build=${1#*=} ;;
	--no-build) dobuild= ;;
	--runs) [ $# -ge 2 ] || usage 2; runs=$2; shift ;;
	--seconds) [ $# -ge 2 ] || usage 2; secs=$2; shift ;;
	--core) [ $# -ge 2 ] || usage 2; core=$2; shift ;;
	--e2e-runs) [ $# -ge 2 ] || usage 2; e2e_runs=$2; shift ;;
	--e2e-secs) [ $# -ge 2 ] || usage 2; e2e_secs=$2; shift ;;
	--retries) [ $# -ge 2 ] || usage 2; retries=$2; shift ;;
	-h | --help) usage 0 ;;
	*) echo "$self: unknown option $1" >&2; usage 2 ;;
	esac
	shift
done

if [ -n "$quick" ]; then
	: "${runs:=3}" "${secs:=0.01}" "${e2e_runs:=3}" "${e2e_secs:=2}"
	: "${retries:=0}"
else
	: "${runs:=7}" "${secs:=0.1}" "${e2e_runs:=5}" "${e2e_secs:=5}"
	: "${retries:=2}"
fi
: "${core:=$(($(nproc) - 1))}"
sizes=64,128,256,512,1024,1420

[ -n "$out" ] || out=$top/doc/performance.md
case $out in /*) ;; *) out=$PWD/$out ;; esac
mkdir -p "$(dirname "$out")" || die "cannot create $(dirname "$out")"
plots=$(dirname "$out")/perf
case $build in /*) ;; *) build=$PWD/$build ;; esac
perf_bin=$build/app/test-wg-perf/test-wg-perf
wg_bin=$build/app/dpdk-wg/dpdk-wg

command -v python3 >/dev/null || die "python3 not found"

# Paths as the reader of the report would type them, from the source tree.
rel() {
	case $1 in
	"$top"/*) echo "${1#"$top"/}" ;;
	*) echo "$1" ;;
	esac
}

# ------------------------------------------------------------ clean-up

work=
child=
lock_fd=
# shellcheck disable=SC2317  # called by the trap
cleanup() {
	local rc=$? i
	trap - EXIT INT TERM HUP
	if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
		# perf-e2e.sh undoes its bed on TERM (dts/lib.sh's trap)
		kill -TERM "$child" 2>/dev/null
		for ((i = 0; i < 300; i++)); do
			kill -0 "$child" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$child" 2>/dev/null
		wait "$child" 2>/dev/null
	fi
	[ -n "$lock_fd" ] && flock -u "$lock_fd" 2>/dev/null
	[ -n "$work" ] && rm -rf "$work"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

work=$(mktemp -d /tmp/perf-wg.XXXXXX) || die "mktemp"

# run LOG CMD...: CMD in the background (so that a signal reaches the
# trap at once and the trap can stop it), output to LOG and, with
# PERF_VERBOSE, to stderr too; its exit status.
run() {
	local logf=$1 rc tail_pid=
	shift
	"$@" >"$logf" 2>&1 &
	child=$!
	if [ -n "${PERF_VERBOSE:-}" ]; then
		tail -n +1 -f --pid="$child" "$logf" >&2 &
		tail_pid=$!
	fi
	wait "$child"
	rc=$?
	child=
	[ -n "$tail_pid" ] && wait "$tail_pid"
	return $rc
}

# noisy LOG: "FLAGGED TOTAL", the measurements of a test-wg-perf output
# whose runs spread over more than 10 % of their median.
noisy() {
	awk '
		/^(encap|decap) / { t++; if ($NF == "!") f++; next }
		/^#/ { next }
		{
			l = $0; gsub(/[][]/, " ", l); n = split(l, a, " ")
			if (n >= 6 && (a[3] == "seal" || a[3] == "open") && a[4] > 0) {
				t++; if (a[6] - a[5] > 0.1 * a[4]) f++
			}
		}
		END { printf "%d %d\n", f, t }' "$1"
}

# measure LOG CMD...: run CMD (see run); if more than 10 % of its
# measurements spread over 10 % (the machine was busy), run it again, up
# to --retries times, and keep the quietest output. Fails as CMD fails.
measure() {
	local logf=$1 try best=-1 f t n=0
	shift
	for ((try = 0; try <= retries; try++)); do
		if [ "$try" -gt 0 ]; then
			log "  $f of $t measurements spread over 10 %: again in 10 s (try $((try + 1)) of $((retries + 1)))"
			sleep 10 &
			child=$!
			wait "$child"
			child=
		fi
		run "$logf.$try" "$@" || { cp "$logf.$try" "$logf"; return 1; }
		n=$((n + 1))
		read -r f t < <(noisy "$logf.$try")
		if [ "$best" -lt 0 ] || [ "$f" -lt "$best" ]; then
			best=$f
			cp "$logf.$try" "$logf"
		fi
		[ $((f * 10)) -le "$t" ] && break
	done
	if [ "$n" -gt 1 ]; then
		notes+=("$(basename "$logf" .txt): run $n times (over 10 % of its measurements were noisy), the run with the fewest noisy measurements kept ($best of $t)")
	fi
	return 0
}

# ----------------------------------------------------------------- build

if [ -n "$dobuild" ]; then
	if [ ! -f "$build/build.ninja" ]; then
		log "configuring $(rel "$build")"
		meson setup "$build" "$top" >"$work/meson.log" 2>&1 ||
			{ cat "$work/meson.log" >&2; die "meson setup failed"; }
	fi
	targets=(app/test-wg-perf/test-wg-perf)
	[ -n "$e2e" ] && targets+=(app/dpdk-wg/dpdk-wg)
	log "building ${targets[*]} in $(rel "$build")"
	ninja -C "$build" "${targets[@]}" >"$work/ninja.log" 2>&1 ||
		{ tail -n 40 "$work/ninja.log" >&2; die "build failed"; }
fi
[ -x "$perf_bin" ] || die "no $perf_bin (build it, or --build DIR)"

# ------------------------------------------------------------- machine

sysinfo=$work/sysinfo
{
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
	fam=$(awk -F': ' '/^cpu family/ {print $2; exit}' /proc/cpuinfo)
	mod=$(awk -F': ' '/^model\t/ {print $2; exit}' /proc/cpuinfo)
	virt=
	if command -v lscpu >/dev/null; then
		virt=$(lscpu | awk -F': *' '/^Hypervisor vendor/ {print $2}')
		l2=$(lscpu | awk -F': *' '/^L2 cache/ {print $2}')
		l3=$(lscpu | awk -F': *' '/^L3 cache/ {print $2}')
	fi
	echo "CPU: $model (family $fam, model $mod), $(nproc) CPUs${virt:+, $virt guest}${l2:+; L2 $l2}${l3:+, L3 $l3}; benchmarks pinned to CPU $core"
	flags=$(awk -F': ' '/^flags/ {print $2; exit}' /proc/cpuinfo)
	rel_flags=
	for f in sse4_2 aes pclmulqdq avx avx2 bmi2 adx sha_ni avx512f avx512dq \
		avx512bw avx512vl avx512ifma avx512vbmi avx512_vbmi2 vaes \
		vpclmulqdq gfni; do
		case " $flags " in *" $f "*) rel_flags+="$f " ;; esac
	done
	echo "CPU flags (those that matter here): ${rel_flags% }"
	echo "kernel: $(uname -srm)"
	os=$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")
	[ -f /etc/debian_version ] && os="$os ($(cat /etc/debian_version))"
	echo "OS: ${os:-?}"
	cc_ver=$(cc --version 2>/dev/null | head -n1)
	btype=$(python3 - "$build" <<-'EOF' 2>/dev/null
	import json, sys
	try:
	    o = {x["name"]: x["value"] for x in json.load(open(
	        sys.argv[1] + "/meson-info/intro-buildoptions.json"))}
	    s = o.get("buildtype", "?")
	    if o.get("b_sanitize", "none") != "none":
	        s += ", sanitizers " + o["b_sanitize"]
	    print(s)
	except Exception:
	    print("?")
	EOF
	)
	echo "build: $btype (-march=corei7 baseline, crypto picks its code path at run time), $cc_ver, $(rel "$build")"
	v() { pkg-config --modversion "$1" 2>/dev/null || echo "?"; }
	imb=$(sed -n 's/^#define IMB_VERSION_STR "\(.*\)"/\1/p' \
		/usr/include/intel-ipsec-mb.h 2>/dev/null)
	echo "libraries: DPDK $(v libdpdk), intel-ipsec-mb ${imb:-?}, libsodium $(v libsodium), OpenSSL $(v libcrypto)"
	if [ -n "$e2e" ]; then
		echo "end to end: $(wireguard-go --version 2>/dev/null | head -n1 | sed 's/^wireguard-go /wireguard-go /'), $(iperf3 --version 2>/dev/null | head -n1 | awk '{print $1, $2}')"
	fi
	hp=$(awk '/^HugePages_Total:/ {t=$2} /^HugePages_Free:/ {f=$2}
		/^Hugepagesize:/ {s=$2} END {printf "%s of %s free (%s kB)", f, t, s}' \
		/proc/meminfo)
	echo "hugepages at start: $hp"
	echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	if git -C "$top" rev-parse --short HEAD >/dev/null 2>&1; then
		dirty=
		[ -n "$(git -C "$top" status --porcelain --untracked-files=no 2>/dev/null)" ] &&
			dirty=" with uncommitted changes"
		echo "source: $(git -C "$top" rev-parse --short HEAD)$dirty"
	fi
} >"$sysinfo"

commands=()
notes=()
root=
[ "$(id -u)" = 0 ] && root=1

# One dts-style test at a time on the machine (dts/lib.sh's lock): wait
# for the others, up to DTS_LOCK_WAIT (100) seconds, then go on.
lock_take() {
	command -v flock >/dev/null 2>&1 || return 0
	{ exec {lock_fd}>>/run/lock/dpdk-wg-dts.lock; } 2>/dev/null || { lock_fd=; return 0; }
	flock -n "$lock_fd" && return 0
	log "waiting for another dts test or benchmark (/run/lock/dpdk-wg-dts.lock)"
	flock -w "${DTS_LOCK_WAIT:-100}" "$lock_fd" ||
		log "still locked after ${DTS_LOCK_WAIT:-100} s: going on anyway"
}
lock_drop() {
	[ -n "$lock_fd" ] || return 0
	flock -u "$lock_fd"
	exec
	lock_fd=
}
lock_take

# ---------------------------------------------------------- 1. crypto

# Every backend test-wg-perf knows: its default set (ask it which, with
# a run of one batch), and ipsec_mb's "avx" path, which it runs only
# when named.
log "crypto: which backends"
run "$work/probe.txt" "$perf_bin" --crypto --sizes 64 --runs 1 --iterations 1 \
	--core "$core" ||
	{ cat "$work/probe.txt" >&2; die "test-wg-perf --crypto failed"; }
drivers=$(awk '/^#/ || NF < 3 {next} $3 == "seal" || $3 == "open" {
		split($1, a, "/"); if (!(a[1] in s)) { s[a[1]]; l = l (l ? "," : "") a[1] } }
	END {print l}' "$work/probe.txt")
[ -n "$drivers" ] || { cat "$work/probe.txt" >&2; die "no backend in test-wg-perf --crypto's output"; }
case ",$drivers," in *,ipsec_mb,*) drivers+=",ipsec_mb/avx" ;; esac

crypto_args=(--crypto --driver "$drivers" --sizes "$sizes" --runs "$runs"
	--seconds "$secs" --core "$core")
commands+=("$(rel "$perf_bin") ${crypto_args[*]}")
log "crypto: ${crypto_args[*]}"
measure "$work/crypto.txt" "$perf_bin" "${crypto_args[@]}" ||
	{ tail -n 30 "$work/crypto.txt" >&2; die "test-wg-perf --crypto failed"; }

# ------------------------------------------------------- 2. data plane

# shellcheck disable=SC2054  # commas inside the values
dp_args=(--dataplane --sizes "$sizes" --paths 1,2,4 --peers 1,1000
	--dir encap,decap --tx-copies chain,copy --runs "$runs"
	--seconds "$secs" --core "$core")
if [ -z "$root" ]; then
	notes+=("data plane skipped: test-wg-perf --dataplane needs root (EAL)")
	log "data plane: skipped (not root)"
else
	commands+=("$(rel "$perf_bin") ${dp_args[*]}")
	log "data plane: ${dp_args[*]}"
	measure "$work/dataplane.txt" "$perf_bin" "${dp_args[@]}" ||
		{ tail -n 30 "$work/dataplane.txt" >&2; die "test-wg-perf --dataplane failed"; }
	# The targets compare the data plane with ipsec_mb's raw rate: when
	# the daemon's default backend is another one, the data plane on
	# ipsec_mb too (1 path: the ratios to the raw rate and to the default).
	dflt=$(sed -n 's/^# crypto \([^;]*\);.*/\1/p' "$work/dataplane.txt" | head -n1)
	case $dflt in
	ipsec_mb*) ;;
	*)
		# shellcheck disable=SC2054  # commas inside the values
		dpi_args=(--dataplane --driver ipsec_mb --sizes "$sizes" --paths 1
			--peers 1,1000 --dir encap,decap --runs "$runs"
			--seconds "$secs" --core "$core")
		commands+=("$(rel "$perf_bin") ${dpi_args[*]}")
		log "data plane (default: ${dflt:-?}), on ipsec_mb: ${dpi_args[*]}"
		measure "$work/dataplane-ipsec_mb.txt" "$perf_bin" "${dpi_args[@]}" ||
			{ tail -n 30 "$work/dataplane-ipsec_mb.txt" >&2
			  die "test-wg-perf --dataplane --driver ipsec_mb failed"; }
		;;
	esac
fi
lock_drop
echo "load average after crypto and data plane: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$sysinfo"

# ------------------------------------------------------ 3. end to end

e2e_rc=0
if [ -z "$e2e" ]; then
	:
elif [ -z "$root" ]; then
	notes+=("end to end skipped: the veth bed needs root")
	log "end to end: skipped (not root)"
elif [ ! -x "$wg_bin" ]; then
	notes+=("end to end skipped: no $(rel "$wg_bin")")
	log "end to end: skipped (no $wg_bin)"
else
	commands+=("PERF_E2E_RUNS=$e2e_runs PERF_E2E_SECS=$e2e_secs devtools/perf-e2e.sh $(rel "$wg_bin")")
	log "end to end: $e2e_runs runs of $e2e_secs s per direction and set-up"
	PERF_E2E_RUNS=$e2e_runs PERF_E2E_SECS=$e2e_secs \
		run "$work/e2e.txt" "$top/devtools/perf-e2e.sh" "$wg_bin"
	e2e_rc=$?
	case $e2e_rc in
	0) ;;
	77)
		notes+=("end to end skipped: $(grep -m1 '^SKIP' "$work/e2e.txt" || echo "the bed is not usable here")")
		log "end to end: $(grep -m1 '^SKIP' "$work/e2e.txt")"
		rm -f "$work/e2e.txt"
		e2e_rc=0
		;;
	*)
		notes+=("end to end: devtools/perf-e2e.sh exited with status $e2e_rc ($(grep -m1 -E 'FAIL|stalled' "$work/e2e.txt" || echo "see e2e.txt")); figures are from the runs that completed")
		log "end to end: failed ($e2e_rc), see $(rel "$plots")/e2e.txt"
		;;
	esac
fi

# -------------------------------------------------------------- report

mkdir -p "$plots" || die "cannot create $plots"
rm -f "$plots"/crypto-*.png "$plots"/dataplane-*.png
for f in crypto dataplane dataplane-ipsec_mb e2e; do
	if [ -f "$work/$f.txt" ]; then
		cp "$work/$f.txt" "$plots/$f.txt"
	else
		rm -f "$plots/$f.txt"
	fi
done

cmdline="$self"
[ ${#argv[@]} -gt 0 ] && cmdline+=" ${argv[*]}"
report=(python3 "$top/devtools/perf-report.py" --out "$out" --plots "$plots"
	--plots-rel perf --work "$work" --sysinfo "$sysinfo"
	--cmdline "$cmdline" --crypto "$work/crypto.txt")
[ -f "$work/dataplane.txt" ] && report+=(--dataplane "$work/dataplane.txt")
[ -f "$work/dataplane-ipsec_mb.txt" ] &&
	report+=(--dataplane-ipsec "$work/dataplane-ipsec_mb.txt")
[ -f "$work/e2e.txt" ] && report+=(--e2e "$work/e2e.txt")
[ -n "$quick" ] && report+=(--quick)
# PERF_GNUPLOT: another gnuplot, or "none" for no plots
[ -n "${PERF_GNUPLOT:-}" ] && report+=(--gnuplot "$PERF_GNUPLOT")
for c in "${commands[@]}"; do report+=(--command "$c"); done
for n in "${notes[@]}"; do report+=(--note "$n"); done
"${report[@]}" || die "report failed"
log "wrote $out ($(rel "$plots")/: plots and raw outputs)"
[ "$e2e_rc" -eq 0 ] || exit 1
exit 0
