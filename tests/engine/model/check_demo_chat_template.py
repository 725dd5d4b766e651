#!/usr/bin/env python3
"""Checks that the chat template of the project's own tokenizer_config.json renders every conversation of
tests/reference/chat/conversations exactly like the golden prompts there (rendered by transformers 5.17 from
MiniMax-M1's official template).

Renders with jinja2 set up the way transformers sets it up for apply_chat_template (sandboxed, trim_blocks,
lstrip_blocks, loopcontrols, a tojson filter that keeps non-ASCII and key order), so it runs without transformers.
Usage: check_demo_chat_template.py M1_CLI   (writes a config-only tiny model into a temporary folder with `m1
make-model` and reads its tokenizer_config.json). Exit 0 when every prompt matches, 1 otherwise.
"""
import json
import pathlib
import subprocess
import sys
import tempfile

from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = pathlib.Path(__file__).resolve().parents[3]
CHAT = ROOT / "tests" / "reference" / "chat"
sys.path.insert(0, str(CHAT))
from chat_parts import to_parts  # noqa: E402  (the conversion make_golden.py applies)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def main():
    cli = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "model"
        subprocess.run([cli, "make-model", "--preset", "tiny", "--seed", "0", "--out", str(out), "--config-only"],
                       check=True, stdout=subprocess.DEVNULL)
        template = json.loads((out / "tokenizer_config.json").read_text(encoding="utf-8"))["chat_template"]
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    compiled = env.from_string(template)
    checked, failed = 0, 0
    for path in sorted((CHAT / "conversations").glob("*.json")):
        conv = json.loads(path.read_text(encoding="utf-8"))
        messages = [to_parts(m) for m in conv["messages"]]
        for suffix, gen in ((".txt", True), (".nogen.txt", False)):
            golden = CHAT / "golden" / (path.stem + suffix)
            if not golden.exists():
                continue
            want = golden.read_bytes().decode("utf-8")  # keep \r\n as written
            got = compiled.render(messages=messages, tools=conv.get("tools"), add_generation_prompt=gen)
            checked += 1
            if got != want:
                failed += 1
                at = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
                print(f"{golden.name}: differs at character {at}: got {got[at:at + 60]!r}, want {want[at:at + 60]!r}")
    print(f"{checked} prompts checked, {failed} differ")
    return 0 if checked >= 10 and failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
