#!/usr/bin/env python3
"""Turns bench/harness.py's JSON into bench/RESULTS.md (machine, versions, commands,
medians with spread, ratios relayd/Postfix and relayd/ceiling) and two PNG plots
(msgs/s and change-to-effective against list size, both servers).

    python3 bench/report.py [bench/results.json] [--out-dir bench]

The plots need matplotlib (pip install matplotlib); without it the tables are still
written.
"""
import argparse
import json
import statistics
from pathlib import Path

HERE = Path(__file__).resolve().parent


def med(xs):
    return statistics.median(xs) if xs else None


def spread(xs):
    return f"{min(xs):,.0f}-{max(xs):,.0f}" if xs else ""


def p95(xs):
    xs = sorted(xs)
    return xs[max(0, round(0.95 * len(xs)) - 1)] if xs else None


def ratio(a, b):
    return f"{a / b:.2f}×" if a and b else "n/a"


def fmt(x, unit=""):
    return f"{x:,.0f}{unit}" if x is not None else "n/a"


def throughput_table(r):
    rows = ["| entries | mode | relayd accepted (spread) | relayd delivered | Postfix accepted | "
            "Postfix delivered | ceiling | accepted relayd/Postfix | delivered relayd/Postfix | "
            "relayd/ceiling |", "| --- " * 10 + "|"]
    sizes = sorted({t["entries"] for t in r["throughput"]})
    for n in sizes:
        for mode in ("single", "-d"):
            def vals(server, key):
                return [t[key] for t in r["throughput"]
                        if t["server"] == server and t["entries"] == n and t["mode"] == mode]
            ra, rd = vals("relayd", "accepted"), vals("relayd", "delivered")
            pa, pd = vals("postfix", "accepted"), vals("postfix", "delivered")
            ca = vals("ceiling", "accepted")
            rows.append(f"| {n:,} | {mode} | {fmt(med(ra))} ({spread(ra)}) | {fmt(med(rd))} | "
                        f"{fmt(med(pa))} | {fmt(med(pd))} | {fmt(med(ca))} | {ratio(med(ra), med(pa))} | "
                        f"{ratio(med(rd), med(pd))} | {ratio(med(ra), med(ca))} |")
    return "\n".join(rows)


def change_table(r):
    rows = ["| entries | relayd add p50 / p95 | relayd remove p50 / p95 | Postfix add p50 / p95 | "
            "Postfix remove p50 / p95 | relayd/Postfix (p50 add, remove) | failed sessions relayd / Postfix |",
            "| --- " * 7 + "|"]
    for n in sorted({c["entries"] for c in r["change"]}):
        def ms(server, op):
            return [c["ms"] for c in r["change"] if c["server"] == server and c["entries"] == n and c["op"] == op]

        def failed(server):
            f = [c["failed_sessions"] for c in r["change"] if c["server"] == server and c["entries"] == n]
            return str(max(f)) if f else "n/a"
        cells = []
        for server in ("relayd", "postfix"):
            for op in ("add", "remove"):
                xs = ms(server, op)
                cells.append(f"{fmt(med(xs), ' ms')} / {fmt(p95(xs), ' ms')}")
        rows.append(f"| {n:,} | {' | '.join(cells)} | {ratio(med(ms('relayd', 'add')), med(ms('postfix', 'add')))}, "
                    f"{ratio(med(ms('relayd', 'remove')), med(ms('postfix', 'remove')))} | "
                    f"{failed('relayd')} / {failed('postfix')} |")
    return "\n".join(rows)


def memory_table(r):
    rows = ["| server | entries | idle RSS | idle PSS | RSS with sessions | PSS with sessions |",
            "| --- " * 6 + "|"]
    for m in r["memory"]:
        rows.append(f"| {m['server']} | {m['entries']:,} | {m['idle_rss_kib'] / 1024:.1f} MiB | "
                    f"{m['idle_pss_kib'] / 1024:.1f} MiB | {m['busy_rss_kib'] / 1024:.1f} MiB | "
                    f"{m['busy_pss_kib'] / 1024:.1f} MiB ({m['sessions']}) |")
    return "\n".join(rows)


def curve(ax, rows, server, field, value, match, marker, line):
    """One line of medians against list size: rows of `server` with `field` = `match`."""
    pts = sorted({t["entries"] for t in rows if t["server"] == server})
    ys = [med([t[value] for t in rows if t["server"] == server and t["entries"] == n
               and t[field] == match]) for n in pts]
    if pts:
        ax.plot(pts, ys, marker=marker, linestyle=line, label=f"{server} {value if field == 'mode' else match}")


def plots(r, out_dir):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    made = []
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, mode in zip(axes, ("single", "-d")):
        for server, marker in (("relayd", "o"), ("postfix", "s"), ("ceiling", "^")):
            for key, line in (("accepted", "-"), ("delivered", ":")):
                if server == "ceiling" and key == "delivered":
                    continue
                curve(ax, r["throughput"], server, "mode", key, mode, marker, line)
        ax.set_xscale("log")
        ax.set_xlabel("trusted entries")
        ax.set_ylabel("msgs/s (median)")
        ax.set_title("one message per connection" if mode == "single" else "many per connection (-d)")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    path = out_dir / "throughput.png"
    fig.savefig(path, dpi=90)
    made.append(path.name)
    if r["change"]:
        fig, ax = plt.subplots(figsize=(6, 4.2))
        for server, marker in (("relayd", "o"), ("postfix", "s")):
            for op, line in (("add", "-"), ("remove", ":")):
                curve(ax, r["change"], server, "op", "ms", op, marker, line)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("trusted entries")
        ax.set_ylabel("command to effective, ms (median)")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        path = out_dir / "change.png"
        fig.savefig(path, dpi=90)
        made.append(path.name)
    return made


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results", nargs="?", default=str(HERE / "results.json"))
    ap.add_argument("--out-dir", default=str(HERE))
    args = ap.parse_args()
    r = json.loads(Path(args.results).read_text())
    out_dir = Path(args.out_dir)
    made = plots(r, out_dir)
    m, v = r["machine"], r["versions"]
    text = f"""# Benchmark results

Made by `bench/harness.py` (and `bench/report.py` from its `results.json`){' in --quick mode: tiny counts, not figures to quote' if r['quick'] else ''}.

- Machine: {m['cpus']} CPUs ({m['cpu']}), {m['memory_kib'] // 1024:,} MiB, spool on {m['spool_fs']}; everything on loopback.
- Versions: {v['relayd'] or 'relayd'}; Postfix {v['postfix'] or 'not installed'}; Linux {v['kernel']}; Python {v['python']}.
- Load: `{r['commands']['load']}`; {r['runs']} runs per server and mode, servers alternating; medians, spread in brackets.
- relayd: binaries from `{r.get('bin', 'target/release')}`, `fsync` before every 250, `smtp-sink` as relayhost. Postfix: private instance (`postfix -c`), `mynetworks = cidr:FILE` with the same list, relaying to the same `smtp-sink`. Ceiling: `smtp-sink` itself under the load.
- Change: relayd `{r['commands']['relayd_change']}`; Postfix `{r['commands']['postfix_change']}`; timed from the command's start to the first SMTP session that sees the change, while `smtp-source -s 5` loads the same server.

## Messages per second

{throughput_table(r)}

## Change to effective

{change_table(r) if r['change'] else '(not measured)'}

## Memory

{memory_table(r) if r['memory'] else '(not measured)'}
"""
    for name in made:
        text += f"\n![{name}]({name})\n"
    (out_dir / "RESULTS.md").write_text(text)
    print(f"wrote {out_dir / 'RESULTS.md'}" + (f" and {', '.join(made)}" if made else ""))


if __name__ == "__main__":
    main()
