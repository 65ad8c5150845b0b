#!/usr/bin/env python3
"""Code repository → documents: `sluice run` (code reader: git ls-tree + one git cat-file --batch)
against `git archive HEAD | tar -x` followed by a Python walker, on the same bare repository.

Both sides read every file of HEAD, skip files over 1 MB, binary files (a NUL byte in the first
8000 bytes) and files that are not UTF-8, and name a language by extension; sluice also applies
its vendored / generated / lock-file rules, guesses the licence and writes JSONL (uncompressed),
the walker writes nothing. files/s counts the files in the HEAD tree for both.

Usage: bench.py --sluice PATH --out rows.json [--repo BARE.git] [--runs 3]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

DEFAULT_REPOS = ["/opt/swift-packages/apple/swift-protobuf.git", "/opt/swift-packages/apple/swift-nio.git"]
EXTENSIONS = {".swift": "Swift", ".c": "C", ".h": "C", ".cpp": "C++", ".py": "Python", ".rs": "Rust",
              ".go": "Go", ".java": "Java", ".js": "JavaScript", ".ts": "TypeScript", ".sh": "Shell",
              ".md": "Markdown", ".json": "JSON", ".yml": "YAML", ".yaml": "YAML", ".proto": "Protocol Buffer"}


def reference(repo, workdir):
    target = os.path.join(workdir, "tree")
    shutil.rmtree(target, ignore_errors=True)
    os.makedirs(target)
    start = time.perf_counter()
    archive = subprocess.Popen(["git", "-C", repo, "archive", "HEAD"], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", target], stdin=archive.stdout, check=True)
    archive.stdout.close()
    archive.wait()
    documents = []
    for root, dirs, files in os.walk(target):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            if os.path.islink(path) or os.path.getsize(path) > 1_000_000:
                continue
            with open(path, "rb") as f:
                data = f.read()
            if b"\0" in data[:8000]:
                continue
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                continue
            rel = os.path.relpath(path, target)
            documents.append({"id": rel, "text": text, "language": EXTENSIONS.get(os.path.splitext(name)[1], "unknown")})
    return time.perf_counter() - start, len(documents)


def sluice(binary, repo, workdir):
    pipeline = os.path.join(workdir, "code-bench.yaml")
    out = os.path.join(workdir, "out")
    with open(pipeline, "w") as f:
        f.write("input:\n  paths: [%s]\n  reader: code\n" % json.dumps(repo))
        f.write("output: %s\ntasks: 1\nstages:\n  - write: {compression: none}\n" % json.dumps(out))
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    subprocess.run([binary, "run", pipeline, "--workers", "1"], check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    docs = 0
    for name in os.listdir(out):
        if name.endswith(".jsonl"):
            with open(os.path.join(out, name), "rb") as f:
                docs += sum(1 for _ in f)
    return seconds, docs


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sluice", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--repo", default=None)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    repo = args.repo or next((r for r in DEFAULT_REPOS if os.path.isdir(r)), None)
    if repo is None:
        sys.exit("no bare repository found; pass --repo")
    files = int(subprocess.run(["git", "-C", repo, "ls-tree", "-r", "--name-only", "HEAD"], capture_output=True,
                               check=True).stdout.count(b"\n"))
    with tempfile.TemporaryDirectory() as workdir:
        refs = [reference(repo, workdir) for _ in range(args.runs)]
        ours = [sluice(args.sluice, repo, workdir) for _ in range(args.runs)]
    ref_s = statistics.median(r[0] for r in refs)
    our_s = statistics.median(r[0] for r in ours)
    git_version = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    notes = "%s: %d files at HEAD; sluice keeps %d documents (vendored/generated/lock rules), the walker %d; " \
        "median of %d runs each, 1 worker" % (os.path.basename(repo), files, ours[0][1], refs[0][1], args.runs)
    rows = [{"benchmark": "code: bare repository → documents", "metric": "files/s",
             "sluice": files / our_s, "reference": files / ref_s,
             "reference_tool": "%s archive | tar -x + Python walker" % git_version,
             "ratio": ref_s / our_s, "higher_is_better": True, "notes": notes}]
    with open(args.out, "w") as f:
        json.dump(rows, f, indent=2)
    for r in rows:
        print("%-40s %-8s sluice %10.1f  ref %10.1f  ratio %5.2fx" % (
            r["benchmark"], r["metric"], r["sluice"], r["reference"], r["ratio"]), file=sys.stderr)


if __name__ == "__main__":
    main()
