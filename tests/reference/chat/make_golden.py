#!/usr/bin/env python3
"""Renders the golden chat prompts with transformers' apply_chat_template (the reference for engine/chat).

Runs where `transformers` is installed (the H200 machine). The tokenizer files are read from a folder given as the
first argument (default `.refdata`, relative to the repository root), which must hold MiniMax-M1's tokenizer.json and
tokenizer_config.json (copies of ../shared/models/minimax-m1/, never committed). For every conversation in
tests/reference/chat/conversations/NAME.json it writes, into the output folder (second argument, default
tests/reference/chat/golden):
  NAME.txt        the prompt rendered with add_generation_prompt=True
  NAME.nogen.txt  the same with add_generation_prompt=False
A conversation the template cannot render is written as NAME.error.txt with the exception, so one run reports all.
chat_template.sha256 records which template the prompts come from (the tests check ../shared still has it).

The conversation files are OpenAI-style; the official template only understands the list-of-parts form
(spec minimax-m1.md §7.1), so they are converted here the obvious way: a string content becomes one text part,
and a tool message's "name" is copied into each of its parts that has none.

    python3 tests/reference/chat/make_golden.py .refdata tests/reference/chat/golden
"""
import hashlib
import json
import pathlib
import sys

import transformers
from transformers import AutoTokenizer, PreTrainedTokenizerFast

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from chat_parts import to_parts  # noqa: E402  (beside this script)


def load_tokenizer(folder):
    try:
        tok = AutoTokenizer.from_pretrained(folder)
    except Exception as exc:  # a tokenizer class this transformers lacks: read the two files directly
        print(f"AutoTokenizer failed ({exc!r}); using PreTrainedTokenizerFast", file=sys.stderr)
        config = json.loads((pathlib.Path(folder) / "tokenizer_config.json").read_text(encoding="utf-8"))
        tok = PreTrainedTokenizerFast(tokenizer_file=str(pathlib.Path(folder) / "tokenizer.json"))
        tok.chat_template = config["chat_template"]
    config = json.loads((pathlib.Path(folder) / "tokenizer_config.json").read_text(encoding="utf-8"))
    assert tok.chat_template == config["chat_template"], "the loaded template is not the file's"
    return tok


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else ".refdata"
    out_dir = pathlib.Path(sys.argv[2] if len(sys.argv) > 2 else HERE / "golden")
    out_dir.mkdir(parents=True, exist_ok=True)
    tok = load_tokenizer(folder)
    print(f"transformers {transformers.__version__}, tokenizer class {type(tok).__name__}")
    digest = hashlib.sha256(tok.chat_template.encode("utf-8")).hexdigest()
    (out_dir / "chat_template.sha256").write_text(digest + "\n", encoding="utf-8")
    for path in sorted((HERE / "conversations").glob("*.json")):
        conv = json.loads(path.read_text(encoding="utf-8"))
        messages = [to_parts(m) for m in conv["messages"]]
        tools = conv.get("tools")
        for suffix, gen in ((".txt", True), (".nogen.txt", False)):
            target = out_dir / (path.stem + suffix)
            try:
                text = tok.apply_chat_template(messages, tools=tools, tokenize=False, add_generation_prompt=gen)
            except Exception as exc:
                (out_dir / (path.stem + ".error.txt")).write_text(repr(exc), encoding="utf-8")
                print(f"{path.name}: {exc!r}")
                break
            target.write_bytes(text.encode("utf-8"))
            print(f"{target.name}: {len(text.encode('utf-8'))} bytes")


if __name__ == "__main__":
    main()
