#!/usr/bin/env python3
"""Remote-input benchmarks: the shared crawl read over HTTP from a loopback server against the
same files read from disk, in one run.

The server is Tests/python/fault_http_server.py (Python's http.server; the body goes out with
sendfile(2)), started here on 127.0.0.1, so this measures Sluice's HTTP client and stream
plumbing, not a network.

1. WARC reading, `sluice dev warc-count` (every record, HTTP parsed, payload read) over
   ../shared/corpus/warc/crawl/*.warc.gz: URLs vs local paths. MB = 10^6 bytes of compressed
   input; wall-clock seconds (the download runs inside sluice and the server is another
   process, so CPU seconds would hide the waiting); median of 5, runs interleaved.
   Reference rows: fastwarc 2.0.1 reading the same files through fsspec's HTTP filesystem (what
   a datatrove user's `WarcReader` over an http:// data folder does) against fastwarc reading
   them from disk, when aiohttp is installed.
2. The time one injected connection reset costs: the largest file read with the server resetting
   the connection at its middle, minus the same read without a fault; with Range (Sluice resumes
   at the first byte not received) against a server that ignores Range (the whole file again).
   SLUICE_HTTP_BACKOFF=0.1 (the default first backoff is 1 s, added to both). Median of 5.

Usage: bench.py --sluice PATH --out rows.json
"""
import argparse, glob, json, os, statistics, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SERVER = os.path.join(ROOT, "Tests", "python", "fault_http_server.py")
CORPUS = os.environ.get("SLUICE_CORPUS", os.path.join(ROOT, "..", "shared", "corpus"))


def row(benchmark, metric, ours, ref, tool, notes, higher=True):
    ratio = (ours / ref if higher else ref / ours) if ours and ref else None
    return {"benchmark": benchmark, "metric": metric, "sluice": round(ours, 3), "reference": round(ref, 3),
            "reference_tool": tool, "ratio": round(ratio, 3) if ratio else None, "higher_is_better": higher,
            "notes": notes}


class Server:
    def __init__(self, root, faults=None):
        self.p = subprocess.Popen([sys.executable, SERVER, root, "--faults", json.dumps(faults or {})],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.port = int(self.p.stdout.readline())
        self.base = f"http://127.0.0.1:{self.port}/"

    def stop(self):
        self.p.terminate()
        self.p.wait()


def wall(args, env=None):
    t = time.perf_counter()
    out = subprocess.run(args, check=True, capture_output=True, text=True, env=env)
    return time.perf_counter() - t, out.stdout


def counts(stdout):
    d = json.loads(stdout)
    return d["documents"], d["payload_bytes"]


def read_rows(sluice, files, root):
    names = [os.path.basename(f) for f in files]
    mb = sum(os.path.getsize(f) for f in files) / 1e6
    server = Server(root)
    env = dict(os.environ, SLUICE_NO_PROGRESS="1")
    local_t, remote_t = [], []
    same = True
    try:
        for _ in range(5):
            t, out_l = wall([sluice, "dev", "warc-count"] + files, env)
            local_t.append(t)
            t, out_r = wall([sluice, "dev", "warc-count"] + [server.base + n for n in names], env)
            remote_t.append(t)
            same = same and counts(out_l) == counts(out_r)
    finally:
        server.stop()
    docs, payload = counts(out_l)
    lm, rm = statistics.median(local_t), statistics.median(remote_t)
    note = (f"{len(files)} files, {mb:.1f} MB .warc.gz, {docs:,} records; wall clock, median of 5, interleaved; "
            f"record and payload counts {'identical' if same else 'DIFFERENT'} over HTTP and from disk; "
            f"the reference is Sluice itself reading from disk (goal >= 0.9x)")
    rows = [row("warc_read_remote (loopback HTTP vs disk)", "MB/s", mb / rm, mb / lm, "sluice, same files from disk",
                note)]
    try:
        import fsspec  # noqa: F401
        import aiohttp  # noqa: F401
        from fastwarc.warc import ArchiveIterator
    except ImportError as e:
        print(f"fsspec reference skipped: {e}", file=sys.stderr)
        return rows
    import fsspec

    def fastwarc(paths, opener):
        t = time.perf_counter()
        n = 0
        for p in paths:
            with opener(p) as fh:
                for r in ArchiveIterator(fh, parse_http=True):
                    r.reader.read()
                    n += 1
        return time.perf_counter() - t, n

    server = Server(root)
    fs = fsspec.filesystem("http")
    f_local, f_remote = [], []
    try:
        for _ in range(5):
            t, n_l = fastwarc(files, lambda p: open(p, "rb"))
            f_local.append(t)
            t, n_r = fastwarc([server.base + n for n in names], lambda p: fs.open(p, "rb", block_size=8 << 20))
            f_remote.append(t)
    finally:
        server.stop()
    fl, fr = statistics.median(f_local), statistics.median(f_remote)
    rows.append(row("warc_read_remote (loopback HTTP)", "MB/s", mb / rm, mb / fr,
                    f"fastwarc 2.0.1 over fsspec {fsspec.__version__} HTTPFileSystem (block_size 8 MiB)",
                    f"{len(files)} files, {mb:.1f} MB; wall clock, median of 5; fastwarc from disk {mb / fl:.1f} MB/s "
                    f"(fsspec/disk {fl / fr:.2f}x), {n_r:,} records over HTTP"))
    return rows


def reset_rows(sluice, files, root):
    big = max(files, key=os.path.getsize)
    name = os.path.basename(big)
    size = os.path.getsize(big)
    env = dict(os.environ, SLUICE_NO_PROGRESS="1", SLUICE_HTTP_BACKOFF="0.1")

    def timed(faults):
        server = Server(root, faults)
        try:
            return wall([sluice, "dev", "warc-count", server.base + name], env)
        finally:
            server.stop()

    clean, ranged, whole = [], [], []
    outs = set()
    for _ in range(5):
        t, o = timed({})
        clean.append(t)
        outs.add(o)
        t, o = timed({name: {"reset_at": [size // 2]}})
        ranged.append(t)
        outs.add(o)
        t, o = timed({name: {"reset_at": [size // 2], "no_range": True}})
        whole.append(t)
        outs.add(o)
    c, r, w = statistics.median(clean), statistics.median(ranged), statistics.median(whole)
    note = (f"{name} ({size / 1e6:.1f} MB), reset at byte {size // 2:,}; seconds over a clean read "
            f"({c:.2f} s); SLUICE_HTTP_BACKOFF=0.1 s included in both; median of 5; counts "
            f"{'identical' if len(outs) == 1 else 'DIFFERENT'} in all runs")
    return [row("remote_reset_cost (one reset mid-file)", "seconds lost", max(r - c, 1e-3), max(w - c, 1e-3),
                "sluice against a server that ignores Range (whole file again)", note, higher=False)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    root = os.path.join(CORPUS, "warc", "crawl")
    files = sorted(glob.glob(os.path.join(root, "*.warc.gz")))
    if not files:
        sys.exit(f"no WARC files under {root}")
    rows = []
    for part in (lambda: read_rows(a.sluice, files, root), lambda: reset_rows(a.sluice, files, root)):
        got = part()
        load = os.getloadavg()[0]  # the machine is shared: say how busy it was
        for r in got:
            r["notes"] += f"; load {load:.1f}"
        rows += got
    for r in rows:
        print(json.dumps(r, ensure_ascii=False))
    with open(a.out, "w") as fh:
        json.dump(rows, fh, indent=2, ensure_ascii=False)


if __name__ == "__main__":
    main()
