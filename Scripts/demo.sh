#!/usr/bin/env bash
# `make demo`: the whole path from raw sources to a trained model on Fixtures/, with the release
# binary: a classifier from labelled data → Pipelines/quickstart.yaml (crawl, wiki, JSONL, text →
# clean → dedup) → a code repository → tokenizer + token shards → a short GPT training run → eval
# → a sample. Outputs go to out/; every step prints what it ran.
set -euo pipefail
cd "$(dirname "$0")/.."
SLUICE="${1:-.build/release/sluice}"
rm -rf out/quickstart out/code out/tokenize out/train-quickstart out/models out/ablation
mkdir -p out/models
step() {
    echo
    echo "\$ sluice $*"
    "$SLUICE" "$@"
}
# The same, keeping what the command prints in a file too (FILE first).
step_into() {
    local file="$1"
    shift
    echo
    echo "\$ sluice $* > $file"
    "$SLUICE" "$@" | tee "$file"
}

# A spam classifier, trained here from labelled data (models are never shipped as binaries).
step classifier train --input Fixtures/clean/sms-spam-300.tsv --text-field SMS --label-field Label \
    --output out/models/spam.slcm

# Crawl, encyclopedia, JSONL and text through extraction, cleaning and dedup; prints the stats table.
# Its first pass (classify.train) trains the toxicity model out/models/toxicity.slcm from Davidson et al.
step run Pipelines/quickstart.yaml --output out/quickstart

# A source tree as documents, with language and licence, through the StarCoder filters.
step run Pipelines/code.yaml --input Fixtures/code/Files --output out/code

# A byte-level BPE tokenizer trained on the cleaned text, then packed zstd token shards.
step run Pipelines/tokenize.yaml --input 'out/quickstart/*.jsonl.zst' --output out/tokenize
step shards inspect out/tokenize

# A short training run of the small model (the default, modern recipe) on those shards, its
# evaluation, and a sample.
step train Pipelines/train-small.yaml --set "data.train=[out/tokenize]" --steps 20 --set train.warmup=2 \
    --set train.grad_accum=1 --set train.eval_every=10 --out out/train-quickstart
step_into out/train-quickstart/eval-tinyshakespeare.json \
    eval --checkpoint out/train-quickstart/latest --text Fixtures/quickstart/tinyshakespeare-head.txt
step generate --checkpoint out/train-quickstart/latest --prompt "ROMEO:" --max-tokens 40 --seed 1

# The run report: funnel, drops per reason with examples, distributions, dedup, and the tokens,
# tokenizer, shards, training curves and evaluation of the folders that continue it (docs/report.md).
step report out/quickstart --tokenized out/tokenize --training out/train-quickstart

# Did the cleaning help? Two variants of the WARC excerpts (extracted text, default cleaning), one
# tokenizer, the same token budget and a tiny GPT each; the table compares them in bits per byte.
step ablate Pipelines/ablation-fixtures.yaml

echo
echo "done: documents in out/quickstart, shards in out/tokenize, model in out/train-quickstart/latest"
echo "again any time: $SLUICE stats out/quickstart"
echo "report: out/quickstart/report/index.html (open it in a browser; \`$SLUICE show out/quickstart\` in a terminal)"
