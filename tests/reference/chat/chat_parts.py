"""The message conversion applied before rendering MiniMax-M1's chat template: OpenAI-style messages (content as a
string, a list of parts or None; a tool message's name beside its content) become messages whose content is a list of
parts, the name moved into each part of a tool message. Shared by make_golden.py (the transformers renders) and
tests/engine/model/check_demo_chat_template.py (the demo model's template), so both feed the same messages."""


def to_parts(message):
    out = {k: v for k, v in message.items() if k not in ("content", "name")}
    content = message.get("content")
    if content is None:
        parts = []
    elif isinstance(content, str):
        parts = [{"type": "text", "text": content}]
    else:
        parts = [dict(p) for p in content]
    if message["role"] == "tool" and "name" in message:
        for p in parts:
            p.setdefault("name", message["name"])
    out["content"] = parts
    return out
