"""Reference side of the SluiceTokenize interop tests (run from Swift through TestSupport.python()).

Commands (all output is one JSON value on stdout):
  pretok gpt2|cl100k FILE          pieces of each line (HF Split pre-tokenizer, Isolated)
  encode TOKENIZER FILE            HF ids of each line
  train_bpe FILE VOCAB OUT         HF ByteLevel BPE trainer → OUT (tokenizer.json); prints merges
  train_unigram FILE VOCAB OUT     HF Unigram trainer (NFKC + Metaspace) → OUT
  read_shards DIR SPLIT            {"tokens": [...], "documents": [[...], ...], "fingerprint": "…"}
  read_shard_error FILE            the ShardError message the Python reader raises
Lines are the file's text split on "\n" (the newline removed), as the Swift side splits them.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))

GPT2 = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
CL100K = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""


def lines(path):
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    parts = text.split("\n")
    if parts and parts[-1] == "":
        parts.pop()
    return parts


def main():
    cmd = sys.argv[1]
    if cmd == "pretok":
        from tokenizers import Regex, pre_tokenizers
        pattern = GPT2 if sys.argv[2] == "gpt2" else CL100K
        split = pre_tokenizers.Split(Regex(pattern), behavior="isolated")
        print(json.dumps([[p for p, _ in split.pre_tokenize_str(line)] for line in lines(sys.argv[3])]))
    elif cmd == "encode":
        from tokenizers import Tokenizer
        tok = Tokenizer.from_file(sys.argv[2])
        print(json.dumps([e.ids for e in tok.encode_batch(lines(sys.argv[3]), add_special_tokens=False)]))
    elif cmd == "train_bpe":
        from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(vocab_size=int(sys.argv[3]), special_tokens=["<|endoftext|>"],
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
        tok.train([sys.argv[2]], trainer)
        tok.save(sys.argv[4])
        print(json.dumps(json.load(open(sys.argv[4]))["model"]["merges"]))
    elif cmd == "train_unigram":
        from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
        tok = Tokenizer(models.Unigram())
        tok.normalizer = normalizers.NFKC()
        tok.pre_tokenizer = pre_tokenizers.Metaspace()
        tok.decoder = decoders.Metaspace()
        trainer = trainers.UnigramTrainer(vocab_size=int(sys.argv[3]), special_tokens=["<unk>", "<s>", "</s>"],
                                          unk_token="<unk>", show_progress=False)
        tok.train([sys.argv[2]], trainer)
        tok.save(sys.argv[4])
        print(json.dumps(len(tok.get_vocab())))
    elif cmd == "read_shards":
        from sluice_shards import ShardDataset
        ds = ShardDataset(sys.argv[2], sys.argv[3])
        print(json.dumps({"tokens": ds.read(0, len(ds)).tolist(), "documents": [d.tolist() for d in ds.documents()],
                          "fingerprint": f"{ds.tokenizer_fingerprint:016x}", "window": ds.read(len(ds) // 3, len(ds) // 2).tolist()}))
    elif cmd == "read_shard_error":
        from sluice_shards import ShardError, ShardReader
        try:
            r = ShardReader(sys.argv[2])
            r.read(0, len(r))
            print(json.dumps("no error"))
        except ShardError as e:
            print(json.dumps(str(e)))
    else:
        raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
