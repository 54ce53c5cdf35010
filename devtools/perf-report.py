#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
#
# devtools/perf-report.py: the report half of devtools/perf.sh (run that,
# not this). Parses the raw outputs of test-wg-perf --crypto, --dataplane
# and devtools/perf-e2e.sh, writes the tables, the targets of issue 6 and
# the plots (gnuplot, when there is one), and puts the result between
#   <!-- perf.sh: begin -->  and  <!-- perf.sh: end -->
# of the output file, leaving the rest of it as it is.
#
# Every figure is a median of several runs, with the min and max of the
# runs; a measurement whose runs spread over more than 10 % of its median
# is marked "!".

import argparse
import os
import re
import shutil
import subprocess
import sys

BEGIN = "<!-- perf.sh: begin -->"
END = "<!-- perf.sh: end -->"
SPREAD = 0.10  # runs wider than this (of the median) are flagged

# ---------------------------------------------------------------- parsing

NUM = r"([0-9]+(?:\.[0-9]+)?)"
CRYPTO_ROW = re.compile(
    r"^(\S+)\s+(\d+)\s+(seal|open)\s+" + NUM + r"\s+\[\s*" + NUM + r"\s+" +
    NUM + r"\]\s+" + NUM + r"\s+\[\s*" + NUM + r"\s+" + NUM + r"\]")
DP_ROW = re.compile(
    r"^(encap|decap)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+" + NUM + r"\s+\[\s*" +
    NUM + r"\s+" + NUM + r"\]\s+" + NUM + r"\s+" + NUM + r"\s+" + NUM +
    r"\s+" + NUM + r"\s+\[\s*" + NUM + r"\s+" + NUM + r"\]\s+(\S+)\s+(\S+)")


class Fig:
    """A median with the min and max of its runs."""

    def __init__(self, med, lo, hi):
        self.med, self.lo, self.hi = float(med), float(lo), float(hi)

    def noisy(self):
        return self.med > 0 and (self.hi - self.lo) > SPREAD * self.med

    def scaled(self, k):
        return Fig(self.med * k, self.lo * k, self.hi * k)

    def over(self, other):
        """Ratio of medians; range from the extremes of both."""
        if other.med <= 0 or other.lo <= 0 or other.hi <= 0:
            return None
        return Fig(self.med / other.med, self.lo / other.hi,
                   self.hi / other.lo)


def read(path):
    if not path or not os.path.exists(path):
        return None
    with open(path, errors="replace") as f:
        return f.read()


def parse_crypto(text):
    """{(backend, size, op): (Mpps Fig, Gbit/s Fig)}, backends in order,
    sizes, the reference backend of the ratio column."""
    rows, backends, sizes, ref = {}, [], [], None
    for line in text.splitlines():
        m = re.search(r"ratio = median / (\S+)", line)
        if m and line.startswith("#"):
            ref = m.group(1)
        m = CRYPTO_ROW.match(line)
        if not m:
            continue
        b, size, op = m.group(1), int(m.group(2)), m.group(3)
        v = [float(x) for x in m.groups()[3:9]]
        rows[(b, size, op)] = (Fig(*v[0:3]), Fig(*v[3:6]))
        if b not in backends:
            backends.append(b)
        if size not in sizes:
            sizes.append(size)
    # ratios against the daemon's default backend: ipsec_mb's best path
    # (test-wg-perf lists it first of ipsec_mb's), whatever test-wg-perf
    # compares with
    ref = next((b for b in backends if b.startswith("ipsec_mb/")),
               ref if ref in backends else (backends[0] if backends else None))
    return rows, backends, sorted(sizes), ref


def parse_dataplane(text):
    rows, info = {}, {}
    for line in text.splitlines():
        if line.startswith("#"):
            m = re.match(r"# crypto (\S+?);", line)
            if m:
                info["crypto"] = m.group(1)
            m = re.search(r"memory: ([^;]+)", line)
            if m:
                info["memory"] = m.group(1).strip()
            m = re.search(r"^# crypto .*AllowedIPs ([^;]+)", line)
            if m:
                info["acl"] = m.group(1).strip()
            m = re.search(r"(\d+) runs of (\S+ s)", line)
            if m:
                info["runs"] = "%s runs of %s" % (m.group(1), m.group(2))
            m = re.search(r"daemon itself would use (\S+) on these ports",
                          line)
            if m:
                info["auto"] = m.group(1)
            continue
        m = DP_ROW.match(line)
        if not m:
            continue
        g = m.groups()
        key = (g[0], int(g[1]), int(g[2]), int(g[3]), g[4])
        rows[key] = {
            "mpps": Fig(g[5], g[6], g[7]),
            "gbps": float(g[8]),
            "ns": float(g[9]),
            "frames": float(g[10]),
            "vs1p": Fig(g[11], g[12], g[13]),
            "vs1pr": None if g[14] == "-" else float(g[14]),
            "fill": None if g[15] == "-" else float(g[15]),
        }
    return rows, info


def parse_e2e(text):
    """{(config, dir): [Mbit/s or None per run]}, info dict."""
    res, info = {}, {}
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 5 and f[0] == "PERF" and f[1] in ("dpdk", "base"):
            v = None if f[4] == "stall" else float(f[4])
            res.setdefault((f[1], f[2]), []).append(v)
        elif len(f) >= 2 and f[0] == "PERF-INFO":
            for kv in f[1:]:
                if "=" in kv:
                    k, v = kv.split("=", 1)
                    info[k] = v
    return res, info


def median_fig(vals):
    v = sorted(x for x in vals if x is not None)
    if not v:
        return None
    n = len(v)
    med = v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
    return Fig(med, v[0], v[-1])

# ------------------------------------------------------------- formatting


def f2(x):
    if x is None:
        return "-"
    if x >= 100:
        return "%.0f" % x
    if x >= 10:
        return "%.1f" % x
    return "%.2f" % x


def fr(fig, unit="", noisy=None):
    """'3.22 [3.20–3.24]' (+ ' !' when the runs spread over 10 %)."""
    if fig is None:
        return "-"
    s = "%s [%s–%s]%s" % (f2(fig.med), f2(fig.lo), f2(fig.hi), unit)
    if (fig.noisy() if noisy is None else noisy):
        s += " !"
    return s


def fratio(fig):
    if fig is None:
        return "-"
    return "%.2f [%.2f–%.2f]" % (fig.med, fig.lo, fig.hi)


def table(head, rows, align=None):
    out = ["| " + " | ".join(head) + " |"]
    align = align or (["---"] + ["---:"] * (len(head) - 1))
    out.append("|" + "|".join(align) + "|")
    for r in rows:
        out.append("| " + " | ".join(str(c) for c in r) + " |")
    return out

# ------------------------------------------------------------------ plots


# distinct line colours (mostly Okabe-Ito), one per series
COLORS = ["#9400d3", "#009e73", "#56b4e9", "#e69f00", "#8b4513",
          "#0072b2", "#d55e00", "#000000", "#cc79a7", "#7f7f7f",
          "#c0a000", "#2f4f4f"]


def gp_quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def plots(args, crypto, dp, dpi=None):
    """Writes the PNGs; returns ([(title, file)], note or None)."""
    gnuplot = args.gnuplot or shutil.which("gnuplot")
    if gnuplot == "none":
        gnuplot = None
    if not gnuplot:
        return [], ("plots skipped: gnuplot not found (Debian package "
                    "gnuplot-nox, see devtools/setup.sh)")
    os.makedirs(args.plots, exist_ok=True)
    work = args.work
    term = "pngcairo size 900,560 font 'sans,10'"
    try:
        out = subprocess.run([gnuplot, "-e", "set terminal"],
                             capture_output=True, text=True, timeout=30)
        if "pngcairo" not in out.stdout + out.stderr:
            term = "png size 900,560"
    except (OSError, subprocess.SubprocessError):
        pass
    made, script = [], ["set terminal " + term, "set grid",
                        "set key outside right top noenhanced",
                        "set logscale x 2", "set datafile missing '-'",
                        "set xrange [56:1650]"]

    if crypto is not None:
        rows, backends, sizes, _ = crypto
        xt = ", ".join('"%d" %d' % (s, s) for s in sizes)
        for op in ("seal", "open"):
            dat = os.path.join(work, "crypto-%s.dat" % op)
            with open(dat, "w") as f:
                for s in sizes:
                    cells = []
                    for b in backends:
                        r = rows.get((b, s, op))
                        g = r[1] if r else None
                        cells += (["%.4f" % g.med, "%.4f" % g.lo,
                                   "%.4f" % g.hi] if g else ["-"] * 3)
                    f.write("%d %s\n" % (s, " ".join(cells)))
            png = "crypto-%s.png" % op
            script += [
                "set output " + gp_quote(os.path.join(args.plots, png)),
                "set title " + gp_quote(
                    "ChaCha20-Poly1305 %s, one core, batch 32: Gbit/s of "
                    "payload (median, bars: min-max)" % op) + " noenhanced",
                "set xlabel 'payload bytes'", "set ylabel 'Gbit/s'",
                "set xtics (%s)" % xt, "set yrange [0:*]",
                "plot " + ", ".join(
                    "%s using 1:%d:%d:%d with yerrorlines lw 2 pt 7 ps 0.8 "
                    "lc rgb '%s' title %s" % (
                        gp_quote(dat), 2 + 3 * i, 3 + 3 * i, 4 + 3 * i,
                        COLORS[i % len(COLORS)], gp_quote(b))
                    for i, b in enumerate(backends)),
                "unset output"]
            made.append(("crypto %s: Gbit/s against size, per backend" % op,
                         png))

    if dp is not None:
        rows, info = dp
        sizes = sorted({k[2] for k in rows})
        peers = sorted({k[1] for k in rows})
        xt = ", ".join('"%d" %d' % (s, s) for s in sizes)
        for d in ("encap", "decap"):
            variants = []
            for k in sorted({(k[3], k[4]) for k in rows if k[0] == d},
                            key=lambda v: (v[0], v[1])):
                variants.append(k)
            if not variants:
                continue
            paths = sorted({k for k, _ in variants})
            png = "dataplane-%s.png" % d
            script += [
                "set terminal " + term.replace("900,560", "1100,520"),
                "set output " + gp_quote(os.path.join(args.plots, png)),
                "set multiplot layout 1,%d title %s noenhanced" % (
                    len(peers), gp_quote(
                        "test-wg-perf --dataplane, %s on one lcore (%s): "
                        "Mpps of inner packets (median, bars: min-max)"
                        % (d, info.get("crypto", "?")))),
                "set xlabel 'inner packet bytes'", "set ylabel 'Mpps'",
                "set xtics (%s)" % xt, "set yrange [0:*]",
                "set key inside right top noenhanced"]
            # (label, colour, dash, rows, key): the variants, and the
            # 1-path run on ipsec_mb when there is one
            series = [("%d path%s%s" % (k, "" if k == 1 else "s",
                                        "" if c == "-" else ", " + c),
                       COLORS[paths.index(k) % len(COLORS)],
                       "dt 2 " if c == "copy" else "", rows, (k, c))
                      for k, c in variants]
            if dpi is not None:
                series.append(("1 path on %s" % dpi[1].get("crypto", "?"),
                               "#7f7f7f", "dt 3 ", dpi[0], (1, "-")))
            for p in peers:
                dat = os.path.join(work, "dp-%s-%d.dat" % (d, p))
                with open(dat, "w") as f:
                    for s in sizes:
                        cells = []
                        for _, _, _, rr, (k, c) in series:
                            r = rr.get((d, p, s, k, c))
                            g = r["mpps"] if r else None
                            cells += (["%.4f" % g.med, "%.4f" % g.lo,
                                       "%.4f" % g.hi] if g else ["-"] * 3)
                        f.write("%d %s\n" % (s, " ".join(cells)))
                script += [
                    "set title " + gp_quote("%d peer%s" % (
                        p, "" if p == 1 else "s")),
                    "plot " + ", ".join(
                        "%s using 1:%d:%d:%d with yerrorlines lw 2 pt 7 "
                        "ps 0.8 lc rgb '%s' %stitle %s" % (
                            gp_quote(dat), 2 + 3 * i, 3 + 3 * i, 4 + 3 * i,
                            col, dt, gp_quote(label))
                        for i, (label, col, dt, _, _) in enumerate(series))]
            script += ["unset multiplot", "unset output",
                       "set terminal " + term]
            made.append(("data plane %s: Mpps against size, 1/2/4 paths" % d,
                         png))

    gp = os.path.join(work, "perf.gp")
    with open(gp, "w") as f:
        f.write("\n".join(script) + "\n")
    r = subprocess.run([gnuplot, gp], capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        return [], "plots skipped: gnuplot failed (%s)" % (
            r.stderr.strip().splitlines() or ["?"])[-1]
    missing = [p for _, p in made
               if not os.path.exists(os.path.join(args.plots, p))]
    if missing:
        return [], "plots skipped: gnuplot wrote no %s" % ", ".join(missing)
    return made, None

# ---------------------------------------------------------------- targets


def verdict(fig, target, higher=True, noisy=False):
    """met / not met by the median, with a word when the min-max range
    straddles the target, or when a figure behind it is noisy."""
    if fig is None:
        return "not measured"
    ok = fig.med >= target if higher else fig.med <= target
    s = "**met**" if ok else "**not met**"
    words = []
    if fig.lo < target <= fig.hi or fig.lo <= target < fig.hi:
        words.append("runs on both sides")
    if noisy:
        words.append("noisy figures `!`")
    if words:
        s += " (%s)" % ", ".join(words)
    return s


def targets(crypto, dp, dpi):
    """dp: the data plane on the daemon's default backend; dpi: the data
    plane on ipsec_mb (--driver ipsec_mb) when that is another one."""
    rows = []
    c_rows = crypto[0] if crypto else {}
    d_rows = dp[0] if dp else {}
    dp_info = dp[1] if dp else {}
    dflt = dp_info.get("crypto")
    ipsec = crypto[3] if crypto and crypto[3] and \
        crypto[3].startswith("ipsec_mb") else None
    if dpi and dpi[1].get("crypto"):
        ipsec = dpi[1]["crypto"]
    elif dflt and dflt.startswith("ipsec_mb"):
        ipsec = dflt
    # the data plane on ipsec_mb: its own run, or the main one
    i_rows = dpi[0] if dpi else (d_rows if dflt == ipsec else {})

    def dpf(d, peers, size, paths=1, copies="-", rows=None):
        r = (d_rows if rows is None else rows).get(
            (d, peers, size, paths, copies))
        return r["mpps"] if r else None

    def cf(b, size, op):
        r = c_rows.get((b, size, op))
        return r[0] if r else None

    def pct(fig):
        return "%.0f %% [%.0f–%.0f %%]" % (100 * fig.med, 100 * fig.lo,
                                           100 * fig.hi)

    # 1, 2: encap / decap at 1420 against the raw seal / open rate of
    # ipsec_mb, like for like (the data plane on ipsec_mb too)
    for d, op in (("encap", "seal"), ("decap", "open")):
        a, b = dpf(d, 1, 1420, rows=i_rows), cf(ipsec, 1420, op)
        fig = a.over(b) if a and b else None
        meas = "-" if fig is None else "%s (%s / %s Mpps)" % (
            pct(fig), f2(a.med), f2(b.med))
        if dflt and dflt != ipsec:
            c, e = dpf(d, 1, 1420), cf(dflt, 1420, op)
            if c and b:
                meas += "; with %s, the daemon's default: %s Mpps = %.0f %% " \
                        "of raw %s %s" % (dflt, f2(c.med),
                                          100 * c.med / b.med, ipsec, op)
                if e:
                    meas += ", %.0f %% of its own raw %s" % (
                        100 * c.med / e.med, op)
        nz = bool(a and b and (a.noisy() or b.noisy()))
        rows.append(["%s 1420 B (1 path, 1 peer) >= 80 %% of raw %s %s "
                     "(data plane on %s)" % (d, ipsec or "ipsec_mb", op,
                                             ipsec or "ipsec_mb"),
                     meas + (" !" if nz else ""),
                     verdict(fig, 0.80, noisy=nz)])
    # 3: 3 Mpps at 64 B
    for d in ("encap", "decap"):
        figs = [(p, dpf(d, p, 64)) for p in (1, 1000)]
        figs = [(p, f) for p, f in figs if f]
        worst = min(figs, key=lambda pf: pf[1].med) if figs else None
        meas = "; ".join("%d peer%s: %s" % (p, "" if p == 1 else "s", fr(f))
                         for p, f in figs) or "-"
        rows.append(["%s 64 B >= 3 Mpps (1 path; 1 and 1000 peers; %s)"
                     % (d, dflt or "?"),
                     meas + " Mpps" if figs else meas,
                     verdict(worst[1] if worst else None, 3.0,
                             noisy=any(f.noisy() for _, f in figs))])
    # 4: 2 paths at most 10 % slower than 1 (vs1p, per-round ratios)
    for d, copies, what in (
            ("encap", "chain", "encap, chain: as on a NIC with MULTI_SEGS "
             "(the daemon copies below 512 B)"),
            ("encap", "copy", "encap, copy: as on net_null or a NIC "
             "without MULTI_SEGS"),
            ("decap", "-", "decap: every packet arrives on both paths")):
        cand = []
        for k, r in d_rows.items():
            if k[0] == d and k[1] == 1 and k[3] == 2 and k[4] == copies:
                one = d_rows.get((k[0], k[1], k[2], 1, "-"))
                cand.append((r["vs1p"].med, k, r["vs1p"],
                             r["mpps"].noisy() or
                             bool(one and one["mpps"].noisy())))
        label = "2 paths <= 10 %% slower than 1, %s; worst size, 1 peer, " \
                "%s" % (what, dflt or "?")
        if not cand:
            rows.append([label, "-", "not measured"])
            continue
        _, k, fig, nz = min(cand, key=lambda c: c[0])
        rows.append([label, "%s at %d B%s" % (fratio(fig), k[2],
                                              " !" if nz else ""),
                     verdict(fig, 0.90, noisy=nz)])
    # 5: 1000 peers at most 10 % slower than 1 (1 path)
    cand = []
    for k, r in d_rows.items():
        if k[1] == 1000 and k[3] == 1:
            one = d_rows.get((k[0], 1, k[2], 1, "-"))
            if one:
                cand.append((r["mpps"].med / one["mpps"].med, k,
                             r["mpps"].over(one["mpps"]),
                             r["mpps"].noisy() or one["mpps"].noisy()))
    if cand:
        # 1 and 1000 peers are not measured side by side: judge on the
        # worst of the quiet pairs, and name a noisy one that is worse
        quiet = [c for c in cand if not c[3]]
        _, k, fig, nz = min(quiet or cand, key=lambda c: c[0])
        meas = "%s (%s %d B)%s" % (fratio(fig), k[0], k[2],
                                   " !" if nz else "")
        worse = [c for c in cand if c[3] and c[0] < fig.med]
        if quiet and worse:
            w = min(worse, key=lambda c: c[0])
            meas += "; noisy and left out: %.2f (%s %d B) !" % (
                w[0], w[1][0], w[1][2])
        rows.append(["1000 peers <= 10 %% slower than 1: worst over sizes "
                     "(of the quiet measurements), encap and decap, 1 path, "
                     "%s" % (dflt or "?"), meas,
                     verdict(fig, 0.90, noisy=nz)])
    else:
        rows.append(["1000 peers <= 10 % slower than 1", "-", "not measured"])
    # 6: ipsec_mb 1.4x OpenSSL at 1420
    ossl = next((b for b in (crypto[1] if crypto else [])
                 if b.startswith("openssl")), None)
    figs = []
    for op in ("seal", "open"):
        a, b = cf(ipsec, 1420, op), cf(ossl, 1420, op)
        if a and b:
            figs.append((op, a.over(b), a.noisy() or b.noisy()))
    worst = min(figs, key=lambda f: f[1].med)[1] if figs else None
    rows.append(["%s >= 1.4x %s at 1420 B (seal and open)"
                 % (ipsec or "ipsec_mb", ossl or "OpenSSL"),
                 "; ".join("%s %sx%s" % (op, fratio(f), " !" if nz else "")
                           for op, f, nz in figs) or "-",
                 verdict(worst, 1.4, noisy=any(f[2] for f in figs))])
    # 7: multi-lane 2x ipsec_mb at 64-256 B
    mbs = [b for b in (crypto[1] if crypto else [])
           if b.split("/")[0].endswith("_mb") and not b.startswith("ipsec_mb")
           and "+" not in b]
    ml = next((b for b in mbs if b.startswith("avx512_mb")),
              mbs[0] if mbs else None)
    figs = []
    for s in (64, 128, 256):
        for op in ("seal", "open"):
            a, b = cf(ml, s, op), cf(ipsec, s, op)
            if a and b:
                figs.append(("%s %d" % (op, s), a.over(b),
                             a.noisy() or b.noisy()))
    if figs:
        w = min(figs, key=lambda f: f[1].med)
        meas = "worst %sx (%s B)%s; %s" % (
            fratio(w[1]), w[0], " !" if w[2] else "", ", ".join(
                "%s %.1fx" % (n, f.med) for n, f, _ in figs))
        rows.append(["multi-lane %s >= 2x %s at 64-256 B (seal and open)"
                     % (ml, ipsec), meas,
                     verdict(w[1], 2.0, noisy=any(f[2] for f in figs))])
    else:
        rows.append(["multi-lane >= 2x ipsec_mb at 64-256 B",
                     "no multi-lane backend in test-wg-perf --crypto's output",
                     "not measured"])
    return rows

# ---------------------------------------------------------------- report


def sysinfo(path):
    out = []
    text = read(path) or ""
    for line in text.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            out.append((k.strip(), v.strip()))
    return out


def section(args):
    crypto_txt = read(args.crypto)
    dp_txt = read(args.dataplane)
    e2e_txt = read(args.e2e)
    crypto = parse_crypto(crypto_txt) if crypto_txt else None
    dp = parse_dataplane(dp_txt) if dp_txt else None
    dpi_txt = read(args.dataplane_ipsec)
    dpi = parse_dataplane(dpi_txt) if dpi_txt else None
    e2e = parse_e2e(e2e_txt) if e2e_txt else None
    if crypto is not None and not crypto[0]:
        raise SystemExit("perf-report: no rows in test-wg-perf --crypto's "
                         "output (%s): has its format changed?" % args.crypto)
    for d, f in ((dp, args.dataplane), (dpi, args.dataplane_ipsec)):
        if d is not None and not d[0]:
            raise SystemExit("perf-report: no rows in test-wg-perf "
                             "--dataplane's output (%s): has its format "
                             "changed?" % f)
    notes = list(args.note or [])
    made, plot_note = plots(args, crypto, dp, dpi) if (crypto or dp) else \
        ([], None)
    if plot_note:
        notes.append(plot_note)
    rel = args.plots_rel.rstrip("/")
    info = dict(sysinfo(args.sysinfo))
    noisy, total = [], 0

    L = ["## Benchmark results (generated)", ""]
    L.append("Generated by `%s` on %s. Everything between the `perf.sh` "
             "markers is rewritten by each run; edit the hand-written "
             "sections below them instead." % (args.cmdline,
                                                 info.get("date", "?")))
    if args.quick:
        L += ["", "**Quick run (`--quick`): short runs for a smoke test; "
              "these figures are not representative.**"]
    L += ["", "Every figure is the median of several runs with [min–max] of "
          "the runs; `!` marks a measurement whose runs spread over more "
          "than 10 % of its median. Raw outputs: "
          + ", ".join("[`%s`](%s/%s)" % (n, rel, n) for n in
                      ("crypto.txt", "dataplane.txt",
                       "dataplane-ipsec_mb.txt", "e2e.txt")
                      if os.path.exists(os.path.join(args.plots, n))) + "."]

    # machine
    L += ["", "### Machine", ""]
    for k, v in sysinfo(args.sysinfo):
        if k == "date":
            continue
        L.append("- %s: %s" % (k, v))
    if dp:
        L.append("- data plane: crypto %s, AllowedIPs %s, memory: %s" % (
            dp[1].get("crypto", "?"), dp[1].get("acl", "?"),
            dp[1].get("memory", "?")))

    # targets
    L += ["", "### Targets (issue 6)", ""]
    L += table(["target", "measured: median [min–max]", "status"],
               targets(crypto, dp, dpi), ["---", "---", "---"])
    L += ["", "The status is judged on the median. Ranges of ratios: for "
          "paths, the per-round ratios (test-wg-perf measures 1, 2 and 4 "
          "paths side by side, round after round); otherwise the extremes "
          "of both figures. 1 and 1000 peers, and the data plane and the "
          "raw crypto rate, are measured one after the other, so a change "
          "of load between them shifts the ratio without widening any "
          "range: on a shared machine, check those against a second run."]

    # crypto
    if crypto:
        rows, backends, sizes, ref = crypto
        L += ["", "### Crypto: ChaCha20-Poly1305 on one core", "",
              "test-wg-perf --crypto, batch 32, %s backends: Mpps and "
              "Gbit/s of payload (tag excluded); `vs %s` = median / median "
              "of that backend (seal / open)." % (len(backends), ref), ""]
        trs = []
        for s in sizes:
            for b in backends:
                se, op = rows.get((b, s, "seal")), rows.get((b, s, "open"))
                cells = [str(s), b]
                for r in (se, op):
                    total += 1 if r else 0
                    if r and r[0].noisy():
                        noisy.append("crypto %s, %d B, %s" % (
                            b, s, "seal" if r is se else "open"))
                    cells += [fr(r[0]) if r else "-",
                              f2(r[1].med) if r else "-"]
                ratios = []
                for o, r in (("seal", se), ("open", op)):
                    rr = rows.get((ref, s, o))
                    ratios.append("%.2f" % (r[0].med / rr[0].med)
                                  if r and rr and rr[0].med > 0 else "-")
                cells.append(" / ".join(ratios))
                trs.append(cells)
        L += table(["size", "backend", "seal Mpps", "seal Gbit/s",
                    "open Mpps", "open Gbit/s", "vs %s" % ref], trs,
                   ["---:", "---"] + ["---:"] * 5)
        for title, png in made:
            if png.startswith("crypto-"):
                L += ["", "![%s](%s/%s)" % (title, rel, png)]

    # data plane
    if dp:
        rows, info_dp = dp
        sizes = sorted({k[2] for k in rows})
        peers = sorted({k[1] for k in rows})
        for r in rows.values():
            total += 1
        for k, r in sorted(rows.items()):
            if r["mpps"].noisy():
                noisy.append("data plane %s, %d peer%s, %d B, %d path%s%s"
                             % (k[0], k[1], "" if k[1] == 1 else "s", k[2],
                                k[3], "" if k[3] == 1 else "s",
                                "" if k[4] == "-" else " (%s)" % k[4]))
        L += ["", "### Data plane on one lcore", "",
              "test-wg-perf --dataplane (%s, interleaved): Mpps of inner "
              "packets, [min–max], Gbit/s of inner bytes for 1 path; for "
              "more paths, the rate against 1 path (median, [min–max] of "
              "the per-round ratios). *chain*: a copy for another path "
              "shares the sealed payload (what the daemon does on a NIC "
              "with MULTI_SEGS, from 512 bytes up); *copy*: "
              "`rte_pktmbuf_copy()`-style copy (what it does on `net_null` "
              "and NICs without MULTI_SEGS). Encap counts inner packets "
              "sealed (each goes out on every path); decap counts inner "
              "packets delivered (copies after the first are replays)."
              % info_dp.get("runs", "?")]
        for d in ("encap", "decap"):
            variants = sorted({(k[3], k[4]) for k in rows if k[0] == d})
            if not variants:
                continue
            head = ["peers", "size"]
            for k, c in variants:
                head.append("%d path%s%s" % (k, "" if k == 1 else "s",
                                             "" if c == "-" else ", " + c))
            trs = []
            for p in peers:
                for s in sizes:
                    cells = [str(p), str(s)]
                    for k, c in variants:
                        r = rows.get((d, p, s, k, c))
                        if r is None:
                            cells.append("-")
                        elif k == 1:
                            cells.append("%s (%s Gbit/s)" % (
                                fr(r["mpps"]), f2(r["gbps"])))
                        else:
                            cells.append("%s, %s" % (fr(r["mpps"]),
                                                     fratio(r["vs1p"])))
                    trs.append(cells)
            L += ["", "#### %s" % ("encap (seal and send)" if d == "encap"
                                   else "decap (receive and open)"), ""]
            L += table(head, trs)
            for title, png in made:
                if png == "dataplane-%s.png" % d:
                    L += ["", "![%s](%s/%s)" % (title, rel, png)]

        # ratios
        L += ["", "### Ratios", ""]
        trs = []
        for d in ("encap", "decap"):
            for s in sizes:
                cells = [d, str(s)]
                for p in peers:
                    for c in (("chain", "copy") if d == "encap" else ("-",)):
                        r = rows.get((d, p, s, 2, c))
                        cells.append(fratio(r["vs1p"]) if r else "-")
                    if d == "decap":
                        cells.append("")
                a, b = rows.get((d, 1000, s, 1, "-")), rows.get(
                    (d, 1, s, 1, "-"))
                cells.append(fratio(a["mpps"].over(b["mpps"]))
                             if a and b else "-")
                trs.append(cells)
        head = ["dir", "size"]
        for p in peers:
            head += ["2 vs 1 path, %d peer%s (chain; decap)" % (
                p, "" if p == 1 else "s"),
                "2 vs 1 path, %d peer%s (copy)" % (p, "" if p == 1 else "s")]
        head.append("1000 vs 1 peer (1 path)")
        L += table(head, trs, ["---", "---:"] + ["---:"] * (len(head) - 2))
        # the data plane on ipsec_mb, 1 path, when it is not the default
        if dpi:
            irows, iinfo = dpi
            L += ["", "#### 1 path on %s (`--driver ipsec_mb`)" % iinfo.get(
                "crypto", "ipsec_mb"), "",
                "The daemon's default backend above is %s; the same data "
                "path with %s, for the targets against ipsec_mb (%s):"
                % (info_dp.get("crypto", "?"), iinfo.get("crypto", "?"),
                   iinfo.get("runs", "?")), ""]
            trs = []
            for d in ("encap", "decap"):
                for p in sorted({k[1] for k in irows}):
                    for s in sorted({k[2] for k in irows}):
                        r = irows.get((d, p, s, 1, "-"))
                        if r is None:
                            continue
                        total += 1
                        if r["mpps"].noisy():
                            noisy.append("data plane on %s %s, %d peer%s, "
                                         "%d B" % (iinfo.get("crypto"), d, p,
                                                   "" if p == 1 else "s", s))
                        o = rows.get((d, p, s, 1, "-"))
                        trs.append([d, str(p), str(s), fr(r["mpps"]),
                                    f2(r["gbps"]),
                                    fratio(o["mpps"].over(r["mpps"]))
                                    if o else "-"])
            L += table(["dir", "peers", "size", "Mpps", "Gbit/s",
                        "%s / this" % info_dp.get("crypto", "default")],
                       trs, ["---", "---:", "---:", "---:", "---:", "---:"])
        if crypto:
            L += ["", "Against the raw crypto rate (test-wg-perf --crypto "
                  "above), 1 path:", ""]
            trs = []
            runs = [(info_dp.get("crypto"), rows)]
            if dpi:
                runs.append((dpi[1].get("crypto"), dpi[0]))
            for d, op in (("encap", "seal"), ("decap", "open")):
                for be, rr in runs:
                    refs = [be] + ([crypto[3]] if crypto[3] != be else [])
                    for p in peers:
                        a = rr.get((d, p, 1420, 1, "-"))
                        for rb in refs:
                            b = crypto[0].get((rb, 1420, op))
                            if not a or not b:
                                continue
                            f = a["mpps"].over(b[0])
                            trs.append([d, be, str(p), "1420",
                                        fr(a["mpps"]),
                                        "%s %s %s" % (rb, op, fr(b[0])),
                                        "%.0f %% [%.0f–%.0f %%]" % (
                                            100 * f.med, 100 * f.lo,
                                            100 * f.hi)])
            L += table(["dir", "data plane on", "peers", "size",
                        "data plane Mpps", "raw crypto Mpps",
                        "data plane / raw"], trs,
                       ["---", "---", "---:", "---:", "---:", "---:", "---:"])

    # end to end
    if e2e:
        res, info_e = e2e
        L += ["", "### End to end on the veth bed", "",
              "devtools/perf-e2e.sh (the bed of dts/iperf.sh, dts/lib.sh): "
              "iperf3 TCP through the tunnel between two network namespaces "
              "joined by a veth pair, %s runs of %s s per direction (first "
              "second omitted), Mbit/s received. dpdk-wg runs on "
              "net_af_packet with 2 busy-polling lcores (-l 0-1) and shares "
              "the %s CPUs with iperf3 and wireguard-go, so this compares "
              "the two set-ups on this bed, not dpdk-wg's capacity."
              % (info_e.get("runs", "?"), info_e.get("secs", "?"),
                 info_e.get("cpus", "?")), ""]
        trs = []
        for d, what in (("tx", "from the dpdk-wg side (client in its "
                         "namespace)"), ("rx", "to the dpdk-wg side (-R)")):
            a = median_fig(res.get(("dpdk", d), []))
            b = median_fig(res.get(("base", d), []))
            for cfg, f in (("dpdk", a), ("base", b)):
                runs = res.get((cfg, d), [])
                total += 1 if runs else 0
                if f and f.noisy():
                    noisy.append("end to end %s %s" % (
                        "dpdk-wg" if cfg == "dpdk" else "baseline", d))
                stalls = sum(1 for x in runs if x is None)
                if stalls:
                    notes.append("end to end %s %s: %d of %d runs stalled "
                                 "(no figure)" % (cfg, d, stalls, len(runs)))
            trs.append([what, fr(a), fr(b),
                        fratio(a.over(b)) if a and b else "-"])
        L += table(["direction", "dpdk-wg <-> wireguard-go, Mbit/s",
                    "wireguard-go <-> wireguard-go, Mbit/s", "ratio"], trs,
                   ["---", "---:", "---:", "---:"])

    # noise and notes
    L += ["", "### Noise and notes", ""]
    if noisy:
        parts = {}
        for n in noisy:
            k = n.split(",")[0].split(" on ")[0]
            k = "crypto" if k.startswith("crypto") else \
                "end to end" if k.startswith("end to end") else "data plane"
            parts[k] = parts.get(k, 0) + 1
        L.append("- **%d of %d measurements had runs spread over more than "
                 "10 %% of their median** (marked `!`; %s): the machine was "
                 "shared with other work during the run (see the load "
                 "averages above), so treat those figures, and the ratios "
                 "and targets built on them, with caution. First ones: %s."
                 % (len(noisy), total, ", ".join(
                     "%s %d" % kv for kv in parts.items()),
                    "; ".join(noisy[:8]) + ("; ..." if len(noisy) > 8
                                            else "")))
    else:
        L.append("- No measurement spread over more than 10 %% of its "
                 "median (%d measurements)." % total)
    for n in notes:
        L.append("- " + n)

    # commands
    L += ["", "### Commands", "", "Everything above (tables, plots in `%s/`, "
          "raw outputs):" % rel, "", "```sh", args.cmdline, "```", "",
          "which ran, from the source tree:", "", "```sh"]
    for c in args.command or []:
        L.append(c)
    L += ["```"]
    return "\n".join(L) + "\n"


SKELETON = """# Performance

Benchmarks of dpdk-wg. The part between the `perf.sh` markers is written
by `devtools/perf.sh`; run it again to regenerate it.

"""


def splice(path, body):
    block = BEGIN + "\n\n" + body + "\n" + END + "\n"
    old = read(path)
    if old is None:
        new = SKELETON + block
    elif BEGIN in old and END in old and old.index(BEGIN) < old.index(END):
        a = old.index(BEGIN)
        b = old.index(END) + len(END)
        rest = old[b:]
        if rest.startswith("\n"):
            rest = rest[1:]
        new = old[:a] + block + rest
    else:
        # no markers yet: after the title and the paragraph that follows it
        lines = old.split("\n")
        i = 0
        while i < len(lines) and not lines[i].startswith("#"):
            i += 1
        i += 1
        while i < len(lines) and lines[i].strip() == "":
            i += 1
        while i < len(lines) and lines[i].strip() != "" and \
                not lines[i].startswith("#"):
            i += 1
        new = "\n".join(lines[:i]).rstrip("\n") + "\n\n" + block + "\n" + \
            "\n".join(lines[i:]).lstrip("\n")
    d = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(d, ".%s.tmp%d" % (os.path.basename(path), os.getpid()))
    with open(tmp, "w") as f:
        f.write(new)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--crypto")
    ap.add_argument("--dataplane")
    ap.add_argument("--dataplane-ipsec",
                    help="test-wg-perf --dataplane --driver ipsec_mb output")
    ap.add_argument("--e2e")
    ap.add_argument("--sysinfo")
    ap.add_argument("--out", required=True)
    ap.add_argument("--plots", required=True, help="directory of the PNGs")
    ap.add_argument("--plots-rel", required=True,
                    help="that directory, relative to --out")
    ap.add_argument("--work", required=True, help="scratch directory")
    ap.add_argument("--gnuplot", default=None)
    ap.add_argument("--cmdline", required=True)
    ap.add_argument("--command", action="append")
    ap.add_argument("--note", action="append")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    splice(args.out, section(args))


if __name__ == "__main__":
    main()
