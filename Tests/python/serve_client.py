"""Client side of the `sluice serve` tests (Tests/SluiceCLITests/ServeCLITests.swift).

Each mode talks to a running server on loopback and prints one JSON object with what it saw; the
Swift test asserts on it. `openai` mode uses the official openai package; the other modes speak raw
HTTP (http.client) so that malformed requests and the exact server-sent-event framing are visible.

    serve_client.py openai BASE_URL MODEL
    serve_client.py bad BASE_URL MODEL MAX_BODY
    serve_client.py concurrent BASE_URL MODEL N MAX_TOKENS
    serve_client.py complete BASE_URL MODEL PROMPT MAX_TOKENS TEMPERATURE SEED
    serve_client.py get BASE_URL PATH
    serve_client.py disconnect BASE_URL MODEL
    serve_client.py sigterm BASE_URL MODEL PID
    serve_client.py chat BASE_URL MODEL
"""

import http.client
import json
import os
import signal
import sys
import threading
import time
import urllib.parse


def conn(base):
    u = urllib.parse.urlparse(base)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=120)


def request(base, method, path, body=None, headers=None, raw=None):
    c = conn(base)
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    c.request(method, path, body=data, headers=h)
    r = c.getresponse()
    text = r.read().decode("utf-8", "replace")
    c.close()
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    return {"status": r.status, "json": parsed, "text": text[:2000], "content_type": r.getheader("Content-Type")}


def sse(base, path, body, headers=None):
    """Streams a request and returns (status, list of data payloads, raw text)."""
    c = conn(base)
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    c.request("POST", path, body=json.dumps(body).encode(), headers=h)
    r = c.getresponse()
    raw = r.read().decode("utf-8", "replace")
    c.close()
    events = [block[len("data: "):] for block in raw.split("\n\n") if block.startswith("data: ")]
    return r.status, events, raw


def check_stream(events, kind):
    """Returns (text, finish_reason, problems) for a list of SSE payloads."""
    problems = []
    if not events or events[-1] != "[DONE]":
        problems.append("stream does not end with [DONE]")
    text, finish = "", None
    for e in events[:-1] if events and events[-1] == "[DONE]" else events:
        try:
            obj = json.loads(e)
        except ValueError:
            problems.append("not JSON: " + e[:80])
            continue
        want = "chat.completion.chunk" if kind == "chat" else "text_completion"
        if obj.get("object") != want:
            problems.append("object " + str(obj.get("object")))
        for ch in obj.get("choices", []):
            if kind == "chat":
                text += ch.get("delta", {}).get("content") or ""
            else:
                text += ch.get("text") or ""
            if ch.get("finish_reason") is not None:
                if finish is not None:
                    problems.append("two finish reasons")
                finish = ch["finish_reason"]
    if finish is None:
        problems.append("no finish_reason")
    return text, finish, problems


def mode_openai(base, model):
    import openai

    client = openai.OpenAI(base_url=base + "/v1", api_key="unused", max_retries=0)
    out = {}
    models = client.models.list()
    out["models"] = [m.id for m in models.data]
    c = client.completions.create(model=model, prompt="ROMEO:", max_tokens=12, temperature=0.7, seed=4)
    out["completion"] = {
        "text": c.choices[0].text,
        "finish_reason": c.choices[0].finish_reason,
        "prompt_tokens": c.usage.prompt_tokens,
        "completion_tokens": c.usage.completion_tokens,
        "total_tokens": c.usage.total_tokens,
        "object": c.object,
    }
    stop = client.completions.create(model=model, prompt="ROMEO:", max_tokens=30, temperature=0, stop=["e"])
    out["stopped"] = {"text": stop.choices[0].text, "finish_reason": stop.choices[0].finish_reason}
    pieces, finish = [], None
    for chunk in client.completions.create(model=model, prompt="ROMEO:", max_tokens=12, temperature=0.7, seed=4, stream=True):
        pieces.append(chunk.choices[0].text)
        finish = chunk.choices[0].finish_reason or finish
    out["streamed_completion"] = {"text": "".join(pieces), "finish_reason": finish, "chunks": len(pieces)}
    chat = client.chat.completions.create(
        model=model, messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Who are you?"}],
        max_tokens=10, temperature=0.8, seed=4)
    out["chat"] = {
        "role": chat.choices[0].message.role,
        "content": chat.choices[0].message.content,
        "finish_reason": chat.choices[0].finish_reason,
        "prompt_tokens": chat.usage.prompt_tokens,
        "completion_tokens": chat.usage.completion_tokens,
        "object": chat.object,
    }
    pieces, finish, usage = [], None, None
    stream = client.chat.completions.create(
        model=model, messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Who are you?"}],
        max_tokens=10, temperature=0.8, seed=4, stream=True, stream_options={"include_usage": True})
    for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage.completion_tokens
        for ch in chunk.choices:
            pieces.append(ch.delta.content or "")
            finish = ch.finish_reason or finish
    out["streamed_chat"] = {"content": "".join(pieces), "finish_reason": finish, "usage_completion_tokens": usage}
    try:
        client.completions.create(model="no-such-model", prompt="x", max_tokens=1)
        out["unknown_model"] = "accepted"
    except openai.NotFoundError as e:
        out["unknown_model"] = {"status": e.status_code, "code": e.code}
    return out


def mode_bad(base, model, max_body):
    good = {"model": model, "prompt": "ROMEO:", "max_tokens": 2}
    cases = {
        "malformed_json": request(base, "POST", "/v1/completions", raw=b'{"model": "x", "prompt": '),
        "not_object": request(base, "POST", "/v1/completions", body=[1, 2]),
        "wrong_type": request(base, "POST", "/v1/completions", body=dict(good, temperature="hot")),
        "wrong_type_chat": request(base, "POST", "/v1/chat/completions", body={"model": model, "messages": "hi"}),
        "unknown_field": request(base, "POST", "/v1/completions", body=dict(good, bogus=1)),
        "n_two": request(base, "POST", "/v1/completions", body=dict(good, n=2)),
        "too_large": request(base, "POST", "/v1/completions", raw=json.dumps(dict(good, prompt="a" * (max_body + 10))).encode()),
        "max_tokens_beyond_context": request(base, "POST", "/v1/completions", body=dict(good, max_tokens=100000)),
        "unknown_model": request(base, "POST", "/v1/completions", body=dict(good, model="gpt-4")),
        "unknown_url": request(base, "GET", "/v1/engines"),
        "empty_body": request(base, "POST", "/v1/completions", raw=b""),
        "invalid_utf8": request(base, "POST", "/v1/completions", raw=b'{"model": "' + model.encode() + b'", "prompt": "\xff\xfe", "max_tokens": 2}'),
        "deep_nesting": request(base, "POST", "/v1/completions", raw=b"[" * 1000 + b"]" * 1000),
    }
    cases["good_after"] = request(base, "POST", "/v1/completions", body=good)
    cases["health"] = request(base, "GET", "/health")
    return cases


def mode_auth(base, model, key):
    good = {"model": model, "prompt": "ROMEO:", "max_tokens": 2}
    return {
        "missing": request(base, "POST", "/v1/completions", body=good),
        "wrong": request(base, "POST", "/v1/completions", body=good, headers={"Authorization": "Bearer nope"}),
        "right": request(base, "POST", "/v1/completions", body=good, headers={"Authorization": "Bearer " + key}),
        "health_open": request(base, "GET", "/health"),
    }


def mode_concurrent(base, model, n, max_tokens):
    results = [None] * n

    def one(i):
        try:
            kind = "chat" if i % 2 else "completion"
            if kind == "chat":
                body = {"model": model, "messages": [{"role": "user", "content": "Speak, number %d." % i}],
                        "max_tokens": max_tokens, "temperature": 0.9, "seed": i, "stream": True}
                status, events, _ = sse(base, "/v1/chat/completions", body)
            else:
                body = {"model": model, "prompt": "Speak, number %d." % i, "max_tokens": max_tokens,
                        "temperature": 0.9, "seed": i, "stream": True}
                status, events, _ = sse(base, "/v1/completions", body)
            text, finish, problems = check_stream(events, kind)
            results[i] = {"status": status, "finish": finish, "problems": problems, "chars": len(text), "events": len(events)}
        except Exception as e:  # noqa: BLE001 - reported to the Swift test
            results[i] = {"status": -1, "problems": [repr(e)]}

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    metrics = request(base, "GET", "/metrics")["text"]
    return {"results": results, "metrics": metrics}


def mode_complete(base, model, prompt, max_tokens, temperature, seed):
    r = request(base, "POST", "/v1/completions", body={
        "model": model, "prompt": prompt, "max_tokens": int(max_tokens), "temperature": float(temperature), "seed": int(seed)})
    return r


def mode_queue(base, model):
    """With --max-batch 1 --max-queue 0: a long stream holds the slot, a second request gets 429."""
    c = conn(base)
    body = {"model": model, "prompt": "ROMEO:", "max_tokens": 900, "temperature": 1.0, "seed": 1, "stream": True}
    c.request("POST", "/v1/completions", body=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    r = c.getresponse()
    first = r.readline()
    second = request(base, "POST", "/v1/completions", body={"model": model, "prompt": "x", "max_tokens": 1})
    c.close()
    return {"first_status": r.status, "first_line": first.decode("utf-8", "replace")[:200], "second": second}


def mode_disconnect(base, model):
    """A client leaves mid-stream; its slot (the only one) must come free for the next request."""
    c = conn(base)
    body = {"model": model, "prompt": "ROMEO:", "max_tokens": 900, "temperature": 1.0, "seed": 1, "stream": True}
    c.request("POST", "/v1/completions", body=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    r = c.getresponse()
    r.readline()
    r.close()
    if c.sock is not None:
        c.sock.close()
    c.close()
    deadline = time.time() + 60
    statuses = []
    while time.time() < deadline:
        resp = request(base, "POST", "/v1/completions", body={"model": model, "prompt": "x", "max_tokens": 1})
        statuses.append(resp["status"])
        if resp["status"] == 200:
            break
        time.sleep(0.05)
    return {"statuses": statuses[-5:], "metrics": request(base, "GET", "/metrics")["text"]}


def mode_sigterm(base, model, pid):
    """SIGTERM during a stream: the stream still completes, a new request gets 503."""
    c = conn(base)
    body = {"model": model, "prompt": "ROMEO:", "max_tokens": 900, "temperature": 1.0, "seed": 1, "stream": True}
    c.request("POST", "/v1/completions", body=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    r = c.getresponse()
    first = r.readline()
    os.kill(pid, signal.SIGTERM)
    # Wait until the server says it is draining (health 503), then try a new request.
    deadline = time.time() + 30
    while time.time() < deadline and request(base, "GET", "/health")["status"] != 503:
        time.sleep(0.002)
    try:
        late = request(base, "POST", "/v1/completions", body={"model": model, "prompt": "x", "max_tokens": 1})
    except Exception as e:  # noqa: BLE001
        late = {"status": -1, "text": repr(e)}
    rest = r.read().decode("utf-8", "replace")
    c.close()
    raw = first.decode("utf-8", "replace") + rest
    events = [block[len("data: "):] for block in raw.split("\n\n") if block.startswith("data: ")]
    text, finish, problems = check_stream(events, "completion")
    return {"late": late, "finish": finish, "problems": problems}


def mode_chat_missing(base, model):
    return request(base, "POST", "/v1/chat/completions", body={"model": model, "messages": [{"role": "user", "content": "hi"}]})


def mode_safety(base, model, flagged_prompt, clean_prompt, max_tokens):
    refused = request(base, "POST", "/v1/completions", body={"model": model, "prompt": flagged_prompt, "max_tokens": 4})
    stopped = request(base, "POST", "/v1/completions", body={
        "model": model, "prompt": clean_prompt, "max_tokens": int(max_tokens), "temperature": 0})
    status, events, _ = sse(base, "/v1/completions", {
        "model": model, "prompt": clean_prompt, "max_tokens": int(max_tokens), "temperature": 0, "stream": True})
    text, finish, problems = check_stream(events, "completion")
    return {"refused": refused, "stopped": stopped, "streamed": {"finish": finish, "text": text, "problems": problems},
            "metrics": request(base, "GET", "/metrics")["text"]}


def main():
    mode, base = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    if mode == "openai":
        out = mode_openai(base, args[0])
    elif mode == "bad":
        out = mode_bad(base, args[0], int(args[1]))
    elif mode == "auth":
        out = mode_auth(base, args[0], args[1])
    elif mode == "concurrent":
        out = mode_concurrent(base, args[0], int(args[1]), int(args[2]))
    elif mode == "complete":
        out = mode_complete(base, *args)
    elif mode == "get":
        out = request(base, "GET", args[0])
    elif mode == "queue":
        out = mode_queue(base, args[0])
    elif mode == "disconnect":
        out = mode_disconnect(base, args[0])
    elif mode == "sigterm":
        out = mode_sigterm(base, args[0], int(args[1]))
    elif mode == "chat_missing":
        out = mode_chat_missing(base, args[0])
    elif mode == "safety":
        out = mode_safety(base, *args)
    else:
        raise SystemExit("unknown mode " + mode)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
