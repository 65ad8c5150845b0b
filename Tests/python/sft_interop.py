"""Reads what `sluice finetune` writes the way Hugging Face does (FineTuneTests).

usage: sft_interop.py DIR CONVERSATION.json
DIR holds tokenizer.json and tokenizer_config.json. Renders the conversation with the Jinja
chat_template (add_generation_prompt=True, as transformers' apply_chat_template does with
jinja2), encodes it with `tokenizers`, and prints {rendered, ids, special, decoded_skip_special}.
"""
import json
import sys

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment
from tokenizers import Tokenizer


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def main(folder, conversation):
    tok = Tokenizer.from_file(f"{folder}/tokenizer.json")
    with open(f"{folder}/tokenizer_config.json", encoding="utf-8") as f:
        config = json.load(f)
    with open(conversation, encoding="utf-8") as f:
        messages = json.load(f)
    # transformers compiles chat templates in this environment (trim_blocks, lstrip_blocks).
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = raise_exception
    rendered = env.from_string(config["chat_template"]).render(messages=messages, add_generation_prompt=True)
    ids = tok.encode(rendered, add_special_tokens=False).ids
    special = {t.content: i for i, t in tok.get_added_tokens_decoder().items() if t.special}
    print(json.dumps({
        "rendered": rendered,
        "ids": ids,
        "special": special,
        "decoded_skip_special": tok.decode(ids, skip_special_tokens=True),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
