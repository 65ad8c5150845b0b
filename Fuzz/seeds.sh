#!/usr/bin/env bash
# Fills a seed folder for one fuzz target: Fuzz/seeds/TARGET/ (committed), matching files from
# Fixtures/ and, when it exists, the shared corpus (../shared/corpus, or $SLUICE_CORPUS).
# Seeds are capped at $FUZZ_SEED_BYTES (default 64 KiB; a longer file contributes its head, which
# is itself a useful truncated input). Usage: Fuzz/seeds.sh TARGET OUT_DIR
set -euo pipefail
target=$1
out=$2
root=$(cd "$(dirname "$0")/.." && pwd)
corpus=${SLUICE_CORPUS:-$root/../shared/corpus}
cap=${FUZZ_SEED_BYTES:-65536}
mkdir -p "$out"

# add FILE [NAME]: copies the head of FILE into the seed folder.
add() {
    [ -f "$1" ] || return 0
    head -c "$cap" "$1" >"$out/${2:-$(basename "$1")}"
}
# add_each GLOB...: add for every existing file (globs that match nothing are skipped).
add_each() {
    local f
    for f in "$@"; do add "$f"; done
}
# bunzip FILE BYTES: the first BYTES of a .bz2 file, decompressed (python3: the bzip2 tool may be absent).
bunzip() {
    python3 -c 'import bz2, sys
d = bz2.BZ2Decompressor()
with open(sys.argv[1], "rb") as f:
    try:
        sys.stdout.buffer.write(d.decompress(f.read(), max_length=int(sys.argv[2])))
    except (OSError, EOFError):
        pass' "$1" "$2"
}
# bzip FILE LEVEL: FILE compressed at LEVEL.
bzip() { python3 -c 'import bz2, sys; sys.stdout.buffer.write(bz2.compress(open(sys.argv[1], "rb").read(), int(sys.argv[2])))' "$1" "$2"; }
# add_unzipped FILE.gz|FILE.bz2: the decompressed head.
add_unzipped() {
    [ -f "$1" ] || return 0
    local name
    name=$(basename "$1")
    case "$1" in
    *.gz) { gzip -dc "$1" 2>/dev/null || true; } | head -c "$cap" >"$out/${name%.gz}" ;;
    *.bz2) bunzip "$1" "$cap" >"$out/${name%.bz2}" ;;
    esac
}

shopt -s nullglob globstar
add_each "$root/Fuzz/seeds/$target"/*

case $target in
warc)
    add_each "$root"/Fixtures/warc/*.warc* "$corpus"/warc/**/*.warc* "$corpus"/warc/**/*.arc*
    ;;
html)
    for f in "$root"/Fixtures/html/*.html.gz "$corpus"/extraction/*.html.gz; do add_unzipped "$f"; done
    ;;
wikitext)
    # The wikitext of each page of the wiki fixtures, one seed per page (at most 200).
    tmp=$(mktemp -d)
    for f in "$root"/Fixtures/wiki/*.xml "$corpus"/wiki/*.xml; do cp "$f" "$tmp/"; done
    for f in "$root"/Fixtures/wiki/*.xml.bz2; do
        bunzip "$f" 4000000 >"$tmp/$(basename "${f%.bz2}")"
    done
    python3 - "$tmp" "$out" <<'EOF'
import html, pathlib, re, sys
tmp, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
n = 0
for f in sorted(tmp.iterdir()):
    for m in re.finditer(rb"<text[^>]*>(.*?)</text>", f.read_bytes(), re.S):
        if n >= 200:
            break
        text = html.unescape(m.group(1).decode("utf-8", "replace")).encode()
        (out / f"{f.stem}-{n}.wikitext").write_bytes(text[:65536])
        n += 1
EOF
    rm -rf "$tmp"
    ;;
wikipedia)
    add_each "$root"/Fixtures/wiki/*.xml* "$corpus"/wiki/*.xml*
    ;;
bzip2)
    add_each "$root"/Fixtures/wiki/*.bz2 "$corpus"/wiki/*.bz2 "$corpus"/unicode/*.bz2
    # Small streams of every block size, and two concatenated streams.
    for level in 1 9; do
        bzip "$root/Fixtures/clean/shakespeare-60-lines.txt" $level >"$out/shakespeare-$level.bz2"
    done
    cat "$out/shakespeare-1.bz2" "$out/shakespeare-9.bz2" >"$out/two-streams.bz2"
    ;;
json)
    # Single JSON texts: the first lines of JSONL fixtures, and whole JSON files.
    for f in "$root"/Fixtures/**/*.jsonl; do
        head -n 3 "$f" | split -l 1 - "$out/$(basename "$f")-line-"
    done
    add_each "$root"/Fixtures/**/*.json "$root"/Fuzz/seeds/tokenizer/*.json "$root"/Fuzz/seeds/checkpoint-config/*.json
    ;;
jsonl)
    add_each "$root"/Fixtures/**/*.jsonl* "$corpus"/text/*.jsonl*
    ;;
text)
    add_each "$root"/Fixtures/**/*.txt "$root"/Fixtures/quickstart/*.txt*
    ;;
yaml)
    add_each "$root"/Pipelines/*.yaml "$root"/Fixtures/**/*.yaml
    ;;
tokenizer)
    add_each "$root"/Fixtures/**/*.json
    rm -f "$out/ground-truth.json"
    ;;
shard | safetensors)
    add_each "$root"/Fixtures/**/*."$target"
    ;;
classifier)
    add_each "$root"/Fixtures/**/*.slcm
    add_each "$root"/Fixtures/**/*.ftz "$root"/Fixtures/**/*.bin
    ;;
checkpoint-config)
    add_each "$root"/Fixtures/**/config.json
    ;;
labeled)
    add_each "$root"/Fixtures/clean/*.csv "$root"/Fixtures/clean/*.tsv "$corpus"/labels/*.csv "$corpus"/labels/*.tsv
    ;;
*)
    echo "seeds.sh: unknown target '$target'" >&2
    exit 1
    ;;
esac
