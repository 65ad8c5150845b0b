#!/usr/bin/env bash
# `make demo`: runs Pipelines/quickstart.yaml on Fixtures/ with the release binary, from a clean
# output folder, then prints the merged stats table (the run prints it) and the output files.
set -euo pipefail
cd "$(dirname "$0")/.."
SLUICE="${1:-.build/release/sluice}"
OUT=out/quickstart
rm -rf "$OUT"
echo "\$ sluice run Pipelines/quickstart.yaml --output $OUT"
"$SLUICE" run Pipelines/quickstart.yaml --output "$OUT"
echo
echo "outputs:"
ls -l "$OUT"/*.jsonl* | awk '{print "  " $NF "  " $5 " bytes"}'
echo "again any time: $SLUICE stats $OUT"
