#!/usr/bin/env python3
"""Runs the side-by-side benchmarks and rewrites BENCHMARKS.md.

Every area has Benchmarks/<area>/bench.py, called as
    <this python> Benchmarks/<area>/bench.py --sluice <release sluice binary> --out rows.json
It runs Sluice and the reference tool on the same input in one run and writes a JSON list of rows:
    {"benchmark", "metric", "sluice", "reference", "reference_tool", "ratio", "higher_is_better", "notes"}
(ratio > 1 means Sluice wins). This script builds nothing (`make bench` builds first). Each area's
last result is kept in Benchmarks/results/<area>.json, so `--only` refreshes some areas and the
table still shows all of them.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH_DIR = os.path.join(ROOT, "Benchmarks")
RESULTS_DIR = os.path.join(BENCH_DIR, "results")
REQUIRED = ["benchmark", "metric", "sluice", "reference", "reference_tool", "ratio", "higher_is_better"]


def areas():
    """Areas with a bench.py, sorted."""
    return sorted(
        d for d in os.listdir(BENCH_DIR) if os.path.isfile(os.path.join(BENCH_DIR, d, "bench.py"))
    )


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            mem = f"{kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": mem,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


def sluice_version(binary):
    parts = []
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30)
        if out.returncode == 0 and out.stdout.strip():
            parts.append(out.stdout.strip().splitlines()[0])
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=30
        ).stdout.strip()
        if commit:
            parts.append("commit " + commit)
    except OSError:
        pass
    return ", ".join(parts) or "unknown"


def check_rows(rows):
    """Problems with the rows a bench wrote (missing keys, wrong ratio direction)."""
    problems = []
    if not isinstance(rows, list) or not rows:
        return ["no rows"]
    for r in rows:
        missing = [k for k in REQUIRED if k not in r]
        if missing:
            problems.append(f"{r.get('benchmark', '?')}: missing {', '.join(missing)}")
            continue
        s, ref = r["sluice"], r["reference"]
        if isinstance(s, (int, float)) and isinstance(ref, (int, float)) and s > 0 and ref > 0:
            want = s / ref if r["higher_is_better"] else ref / s
            if abs(want - r["ratio"]) > 0.02 * want + 0.005:
                problems.append(f"{r['benchmark']}: ratio {r['ratio']} but figures give {want:.3f}")
    return problems


def run_area(area, sluice, python):
    script = os.path.join(BENCH_DIR, area, "bench.py")
    with tempfile.TemporaryDirectory(prefix=f"sluice-bench-{area}-") as tmp:
        out = os.path.join(tmp, "rows.json")
        start = time.time()
        print(f"== {area}: {python} {os.path.relpath(script, ROOT)}", flush=True)
        proc = subprocess.run([python, script, "--sluice", sluice, "--out", out], cwd=ROOT)
        seconds = time.time() - start
        result = {
            "area": area,
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "seconds": round(seconds, 1),
            "machine": machine(),
            "sluice_version": sluice_version(sluice),
            "rows": [],
            "error": None,
        }
        if proc.returncode != 0:
            result["error"] = f"bench.py exited with status {proc.returncode}"
        elif not os.path.exists(out):
            result["error"] = "bench.py wrote no rows"
        else:
            with open(out) as f:
                rows = json.load(f)
            problems = check_rows(rows)
            result["rows"] = rows if isinstance(rows, list) else []
            if problems:
                result["error"] = "; ".join(problems)
        status = "ok" if not result["error"] else "FAILED: " + result["error"]
        print(f"== {area}: {status} ({seconds:.0f} s)", flush=True)
        return result


def fmt(x):
    if not isinstance(x, (int, float)):
        return str(x)
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.3g}"


def render(results):
    lines = [
        "# Benchmarks",
        "",
        "Sluice against the best existing tool for the same job, on the same input, in the same run",
        "of `make bench` (`Benchmarks/run.py`; each area's script is `Benchmarks/<area>/bench.py`).",
        "Figures are **medians** of repeated runs (at least 3 where a run is cheap). **Ratio > 1 means",
        "Sluice wins**: ours / reference when higher is better, reference / ours when lower is better.",
        "Absolute figures drift between machines and runs; the ratios are what to compare.",
        "",
    ]
    machines = {json.dumps(r["machine"], sort_keys=True) for r in results}
    if len(machines) == 1 and results:
        m = results[0]["machine"]
        lines += [
            f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory']}, {m['os']}, Python {m['python']}.",
            "",
        ]
    lines += ["| area | benchmarks | wins | updated |", "|---|---|---|---|"]
    for r in results:
        wins = sum(1 for row in r["rows"] if isinstance(row.get("ratio"), (int, float)) and row["ratio"] >= 1)
        state = f"{wins}/{len(r['rows'])}" if not r["error"] else f"{wins}/{len(r['rows'])} (error)"
        lines.append(f"| [{r['area']}](#{r['area']}) | {len(r['rows'])} | {state} | {r['date']} |")
    lines.append("")
    for r in results:
        lines += [f"## {r['area']}", ""]
        lines.append(f"Run {r['date']} in {r['seconds']} s; sluice {r['sluice_version']}.")
        if len(machines) > 1:
            m = r["machine"]
            lines.append(f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory']}, {m['os']}.")
        if r["error"]:
            lines.append(f"**Error:** {r['error']}")
        lines.append("")
        if r["rows"]:
            lines += [
                "| benchmark | metric | sluice | reference | reference tool | ratio | notes |",
                "|---|---|---:|---:|---|---:|---|",
            ]
            for row in r["rows"]:
                arrow = "↑" if row.get("higher_is_better", True) else "↓"
                ratio = row.get("ratio")
                ratio_s = f"**{ratio:.2f}×**" if isinstance(ratio, (int, float)) and ratio >= 1 else (
                    f"{ratio:.2f}×" if isinstance(ratio, (int, float)) else str(ratio)
                )
                notes = str(row.get("notes", "")).replace("|", "\\|").replace("\n", " ")
                lines.append(
                    f"| {row['benchmark']} | {row['metric']} {arrow} | {fmt(row['sluice'])} | "
                    f"{fmt(row['reference'])} | {row['reference_tool']} | {ratio_s} | {notes} |"
                )
            lines.append("")
    lines += render_callgrind()
    return "\n".join(lines) + "\n"


def render_callgrind():
    """The instruction counts of two release builds (Benchmarks/callgrind.sh, callgrind_compare.py)."""
    path = os.path.join(RESULTS_DIR, "callgrind.json")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        c = json.load(f)
    lines = [
        "## release build: instruction counts",
        "",
        f"Run {c['date']}; sluice commit {c['commit']}. Instructions executed (valgrind callgrind) by one "
        "command per benchmarked area (`Benchmarks/callgrind.sh`), which repeat on a loaded machine where "
        f"times do not: {c['before_label']} against {c['after_label']}. Not a comparison with a reference tool.",
    ]
    if c.get("notes"):
        lines.append(c["notes"])
    lines += ["", f"| command | {c['before_label']} | {c['after_label']} | change |", "|---|---:|---:|---:|"]
    for r in c["rows"]:
        lines.append(f"| {r['name']} | {r['before']:,} | {r['after']:,} | {r['change_percent']:+.2f} % |")
    lines.append("")
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sluice", default=os.path.join(ROOT, ".build", "release", "sluice"),
                    help="the release sluice binary (make bench builds it)")
    ap.add_argument("--only", nargs="*", default=None, help="run only these areas (others keep their last result)")
    ap.add_argument("--output", default=os.path.join(ROOT, "BENCHMARKS.md"), help="the markdown file to rewrite")
    ap.add_argument("--list", action="store_true", help="list the areas and exit")
    ap.add_argument("--render", action="store_true",
                    help="run nothing: rewrite the markdown from the results in Benchmarks/results (after a merge)")
    args = ap.parse_args()

    known = areas()
    if args.list:
        print("\n".join(known))
        return 0
    selected = [] if args.render else known if not args.only else args.only
    unknown = [a for a in selected if a not in known]
    if unknown:
        print(f"unknown area(s): {', '.join(unknown)} (known: {', '.join(known)})", file=sys.stderr)
        return 2
    sluice = os.path.abspath(args.sluice)
    if selected and not os.access(sluice, os.X_OK):
        print(f"sluice binary not found at {sluice}; run `make bench` (it builds it)", file=sys.stderr)
        return 2

    os.makedirs(RESULTS_DIR, exist_ok=True)
    failed = []
    for area in selected:
        result = run_area(area, sluice, sys.executable)
        if result["error"]:
            failed.append(area)
        with open(os.path.join(RESULTS_DIR, area + ".json"), "w") as f:
            json.dump(result, f, indent=1, ensure_ascii=False)
            f.write("\n")

    results = []
    for area in known:
        path = os.path.join(RESULTS_DIR, area + ".json")
        if os.path.exists(path):
            with open(path) as f:
                results.append(json.load(f))
    with open(args.output, "w") as f:
        f.write(render(results))
    print(f"wrote {os.path.relpath(args.output, ROOT)} ({len(results)} areas)")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
