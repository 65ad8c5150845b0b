#!/usr/bin/env bash
# Runs the fuzz targets `make fuzz` built (docs/fuzzing.md), then replays every regression input.
#
#   Fuzz/run.sh [TARGET...]       all targets when none is named
#
# Environment:
#   FUZZ_SECONDS   total fuzzing time, shared evenly by the targets (default 240; 0 = only replay)
#   FUZZ_TIMEOUT   seconds one input may take before it counts as a hang (default 10)
#   FUZZ_RSS_MB    memory limit in MB; one allocation above it also counts (default 2048)
#   FUZZ_JOBS      targets fuzzed at the same time (default 1)
#   FUZZ_SEED      libFuzzer's random seed (default 0: a new one each run); CI fixes it, so that
#                  the same commit explores the same inputs and a CI failure reproduces locally
#
# Each target fuzzes from Fuzz/.build/corpus/TARGET (kept between runs: what it learnt) and a
# fresh seed folder (Fuzz/seeds.sh). A crash, hang or out-of-memory input is saved as
# Fuzz/.build/findings/TARGET/{crash,timeout,oom,leak}-*; the run then fails. Every file under
# Fuzz/regressions/TARGET/ is run once through TARGET; any failure there fails the run too.
set -uo pipefail
cd "$(dirname "$0")/.."
bin=Fuzz/.build/debug
work=Fuzz/.build
all=(warc html wikitext wikipedia bzip2 json jsonl text yaml tokenizer shard classifier labeled safetensors checkpoint-config)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")
seconds=${FUZZ_SECONDS:-240}
timeout=${FUZZ_TIMEOUT:-10}
rss=${FUZZ_RSS_MB:-2048}
jobs=${FUZZ_JOBS:-1}
seed=${FUZZ_SEED:-0}
per=$((seconds / ${#targets[@]}))
[ "$seconds" -gt 0 ] && [ $per -lt 5 ] && per=5
mkdir -p "$work/logs"
limits=(-timeout="$timeout" -rss_limit_mb="$rss" -malloc_limit_mb="$rss")

for t in "${targets[@]}"; do
    [ -x "$bin/fuzz-$t" ] || { echo "fuzz: no target '$t' (built: ${all[*]})" >&2; exit 2; }
done

# fuzz_one TARGET: fuzzes for $per seconds; prints one summary line; returns 1 on a finding.
fuzz_one() {
    local t=$1 log=$work/logs/$1.log
    rm -rf "$work/seeds/$t"
    mkdir -p "$work/corpus/$t" "$work/findings/$t" "$work/logs"
    Fuzz/seeds.sh "$t" "$work/seeds/$t"
    local dict=()
    [ -f "Fuzz/dicts/$t.dict" ] && dict=(-dict="Fuzz/dicts/$t.dict")
    "$bin/fuzz-$t" "${limits[@]}" -max_total_time="$per" -seed="$seed" -print_final_stats=1 -detect_leaks=0 \
        -artifact_prefix="$work/findings/$t/" "${dict[@]}" "$work/corpus/$t" "$work/seeds/$t" >"$log" 2>&1
    local status=$?
    local runs corpus
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    corpus=$(ls "$work/corpus/$t" | wc -l)
    if [ $status -eq 0 ] && [ -z "$runs" ]; then
        echo "fuzz $t: the target did not run (see $log)"
        return 1
    fi
    if [ $status -eq 0 ]; then
        printf 'fuzz %-18s %9s runs in %ss, corpus %s, nothing found\n' "$t" "${runs:-?}" "$per" "$corpus"
        return 0
    fi
    local artifact
    artifact=$(grep -o "Test unit written to [^ ]*" "$log" | tail -1 | sed 's/Test unit written to //')
    printf 'fuzz %-18s FOUND (exit %s): %s\n' "$t" "$status" "${artifact:-see $log}"
    grep -E 'ERROR: |Fatal error|fatal error|SUMMARY|#[0-9]+ 0x' "$log" | head -n 12 | sed 's/^/    /'
    echo "    log: $log; make it a regression: cp ${artifact:-FILE} Fuzz/regressions/$t/NAME"
    return 1
}

failed=0
if [ "$seconds" -gt 0 ]; then
    echo "fuzzing ${#targets[@]} targets, ${per}s each (timeout ${timeout}s, memory ${rss} MB)"
    if [ "$jobs" -le 1 ]; then
        for t in "${targets[@]}"; do fuzz_one "$t" || failed=1; done
    else
        pids=()
        for t in "${targets[@]}"; do
            fuzz_one "$t" &
            pids+=($!)
            while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
        done
        for p in "${pids[@]}"; do wait "$p" || failed=1; done
    fi
fi

# Regressions: every saved input through its target, once.
replayed=0
for dir in Fuzz/regressions/*/; do
    t=$(basename "$dir")
    files=("$dir"*)
    [ -e "${files[0]}" ] || continue
    if [ ! -x "$bin/fuzz-$t" ]; then
        echo "regressions: no target '$t' for $dir" >&2
        failed=1
        continue
    fi
    for f in "${files[@]}"; do
        [ -f "$f" ] || continue
        replayed=$((replayed + 1))
        if ! "$bin/fuzz-$t" "${limits[@]}" -detect_leaks=0 "$f" >"$work/logs/replay.log" 2>&1; then
            echo "regression FAILED: $t $f"
            grep -E 'ERROR: |Fatal error|fatal error|SUMMARY' "$work/logs/replay.log" | head -n 5 | sed 's/^/    /'
            failed=1
        fi
    done
done
echo "regressions: $replayed inputs replayed"
[ $failed -eq 0 ] && echo "fuzz: no findings" || echo "fuzz: FAILED (findings above)"
exit $failed
