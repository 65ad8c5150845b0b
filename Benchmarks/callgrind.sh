#!/usr/bin/env bash
# Instruction counts (valgrind callgrind) of one release `sluice` binary on a representative
# command of each benchmarked area, for comparing two builds (-Ounchecked vs -O, before vs after a
# change) on a loaded machine, where wall-clock times are not repeatable. Not a benchmark row.
# Usage: Benchmarks/callgrind.sh BINARY STYLE OUTFILE   (STYLE: old = before `sluice dev`, new)
# valgrind 3.19 cannot read the Swift binary's debug info, so a copy without it is measured.
# OUTFILE gets `name count` per command (`exit=N` after it when the command failed); compare two
# with Benchmarks/callgrind_compare.py, which writes the table BENCHMARKS.md shows.
set -u
BIN_IN=$1; STYLE=$2; OUT=$3
C=${SLUICE_CORPUS:-$(dirname "$0")/../../shared/corpus}
W=$(mktemp -d); BIN=$W/sluice
cp "$BIN_IN" $BIN && strip --strip-debug $BIN
export OPENBLAS_NUM_THREADS=1 SLUICE_NO_PROGRESS=1 SLUICE_LOG=error
: > $OUT
cg() {  # name, command...
  local name=$1; shift
  # ROWS="wiki extract" measures only those commands (a row to re-measure after a change).
  if [ -n "${ROWS:-}" ] && [[ " $ROWS " != *" $name "* ]]; then return; fi
  local log n status
  log=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null); status=$?
  n=$(echo "$log" | grep -o 'Collected : [0-9]*' | grep -o '[0-9]*$')
  if [ $status -eq 0 ]; then echo "$name $n"; else echo "$name $n exit=$status"; fi | tee -a $OUT
}
if [ $STYLE = old ]; then DEV_WARC="inspect warc --count"; DEV_ENC="tokenizer encode --summary"; DEV_TRAIN="train-speed"
else DEV_WARC="dev warc-count"; DEV_ENC="dev encode-speed"; DEV_TRAIN="dev train-speed"; fi
cat $C/text/dolma-cc_en_head-0091.jsonl $C/text/dolma-cc_en_head-0174.jsonl > $W/docs.jsonl
cg clean_chain $BIN clean-verdicts --stages gopher_repetition,gopher_quality,c4,fineweb --set c4.filter_no_terminal_punct=false --input $W/docs.jsonl --quiet --repeat-count 20
python3 - $W $C <<'PY'
import json,sys
lines=[l.split("\t")[-1].strip() for l in open(sys.argv[2]+"/text/tatoeba-nonascii-CC0.tsv",encoding="utf-8")][:6000]
with open(sys.argv[1]+"/tatoeba.jsonl","w",encoding="utf-8") as f:
    for i in range(0,len(lines),20): f.write(json.dumps({"id":str(i),"text":"\n".join(lines[i:i+20])},ensure_ascii=False)+"\n")
sh=open(sys.argv[2]+"/text/tinyshakespeare.txt",encoding="utf-8").read()
with open(sys.argv[1]+"/shakespeare.jsonl","w",encoding="utf-8") as f:
    for i in range(0,len(sh),500): f.write(json.dumps({"id":str(i),"text":sh[i:i+500]})+"\n")
PY
cg normalize_nfc $BIN clean-verdicts --stages normalize --input $W/tatoeba.jsonl --quiet --repeat-count 10 --set normalize.form=NFC --set normalize.mojibake=false --set normalize.remove_controls=false --set normalize.whitespace=false
cg extract $BIN extract --json $(ls $C/extraction/*.html.gz | head -20)
cg warc_read $BIN $DEV_WARC $C/warc/crawl/debian-docs-crawl-00003.warc.gz
cg wiki $BIN stage wikipedia --input $C/wiki/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2 --output $W/wiki --workers 1 --set decode_threads=1
cg dedup_minhash $BIN stage minhash_dedup --input $W/shakespeare.jsonl --output $W/dedup --workers 1 --set verify=false
cg tokenizer_train $BIN tokenizer train --vocab-size 2000 --workers 1 --output $W/tok.json $C/text/tinyshakespeare.txt
[ -f $W/tok.json ] || $BIN tokenizer train --vocab-size 2000 --workers 1 --output $W/tok.json $C/text/tinyshakespeare.txt >/dev/null 2>&1
cg tokenizer_encode $BIN $DEV_ENC --tokenizer $W/tok.json $C/text/tinyshakespeare.txt
cg trainer_step $BIN $DEV_TRAIN --layers 2 --width 64 --heads 2 --context 64 --batch-size 2 --vocab 512 --steps 3 --warmup-steps 1 --threads 1
rm -rf $W
