"""Reference side of the fastText interop tests (run from Swift through TestSupport.python()).

Commands:
  train WORKDIR      trains every model of MODELS below with the fastText library from the
                     fastText-format files in WORKDIR (spam-train.txt, davidson-train.txt), saves
                     WORKDIR/<name>.bin or .ftz, and prints {"<name>": "<file>", ...}
  predict MODEL IN OUT
                     IN: JSON Lines, each a JSON string; OUT: one JSON object per line,
                     {"labels": [...], "probs": [...]} from model.predict(text.replace("\\n", " "), k=-1)
                     (labels without "__label__", best first, as datatrove reads them)
Training uses one thread; what is compared is prediction with the saved file, so training need
not be reproducible.
"""
import json
import os
import sys

import fasttext

COMMON = dict(dim=16, epoch=15, lr=0.5, thread=1, verbose=0, minCount=1)

# name, training file, fastText arguments, quantize arguments (None: a dense .bin)
MODELS = [
    ("softmax-wordngrams2", "spam", dict(loss="softmax", wordNgrams=2, minn=0, maxn=0, bucket=200000), None),
    ("softmax-charngrams", "davidson", dict(loss="softmax", wordNgrams=1, minn=2, maxn=5, bucket=100000), None),
    ("hs-wordngrams2-charngrams", "davidson", dict(loss="hs", wordNgrams=2, minn=3, maxn=6, bucket=100000), None),
    ("ova-wordngrams2-charngrams", "davidson", dict(loss="ova", wordNgrams=2, minn=3, maxn=6, bucket=100000), None),
    ("ns-wordngrams2", "spam", dict(loss="ns", neg=5, wordNgrams=2, minn=0, maxn=0, bucket=100000), None),
    ("words-only", "spam", dict(loss="softmax", wordNgrams=1, minn=0, maxn=0, bucket=2000), None),
    # Quantized: product-quantized input, pruned dictionary (cutoff), quantized norms. (A quantized
    # output matrix needs 256 labels or more: lid.176.ftz has none either; the reader handles it.)
    ("quantized-pruned-qnorm", "davidson", dict(loss="softmax", wordNgrams=2, minn=3, maxn=6, bucket=100000),
     dict(cutoff=2000, qnorm=True, qout=False, dsub=2, retrain=False)),
    ("quantized-plain", "spam", dict(loss="softmax", wordNgrams=2, minn=2, maxn=4, bucket=50000),
     dict(cutoff=0, qnorm=False, qout=False, dsub=3, retrain=False)),
    ("quantized-hs", "davidson", dict(loss="hs", wordNgrams=2, minn=0, maxn=0, bucket=50000),
     dict(cutoff=500, qnorm=True, qout=False, dsub=2, retrain=False)),
]


def train_one(workdir, name):
    _, data, args, quant = next(m for m in MODELS if m[0] == name)
    model = fasttext.train_supervised(input=os.path.join(workdir, data + "-train.txt"), **COMMON, **args)
    if quant is None:
        path = os.path.join(workdir, name + ".bin")
    else:
        model.quantize(input=None, **quant)
        path = os.path.join(workdir, name + ".ftz")
    model.save_model(path)
    return path


def train(workdir):
    # fastText 0.9.2's wheel sometimes stops with "Encountered NaN" on these tiny files, even on one
    # thread, varying from run to run and sticking to the process; a fresh process trains normally.
    # What the tests compare is prediction with the saved file, so a retry changes nothing they check.
    import subprocess

    made = {}
    for name, *_ in MODELS:
        for attempt in range(10):
            r = subprocess.run([sys.executable, __file__, "train-one", workdir, name], capture_output=True, text=True)
            if r.returncode == 0:
                made[name] = r.stdout.strip()
                break
            if "NaN" not in r.stderr or attempt == 9:
                sys.exit(r.stderr)
    print(json.dumps(made))


def predict(model_path, inp, out):
    model = fasttext.load_model(model_path)
    with open(inp, encoding="utf-8") as f, open(out, "w", encoding="utf-8") as o:
        for line in f:
            text = json.loads(line).replace("\n", " ")
            labels, probs = model.predict(text, k=-1)
            o.write(json.dumps({
                "labels": [l[len("__label__"):] if l.startswith("__label__") else l for l in labels],
                "probs": [float(p) for p in probs],
            }) + "\n")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "train":
        train(sys.argv[2])
    elif cmd == "train-one":
        print(train_one(sys.argv[2], sys.argv[3]))
    elif cmd == "predict":
        predict(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(f"unknown command {cmd}")
