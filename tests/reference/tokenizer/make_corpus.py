#!/usr/bin/env python3
"""Writes the tokenizer test corpus: tests/reference/tokenizer/corpus/*.txt and probes.json.

    python3 tests/reference/tokenizer/make_corpus.py [OUT_DIR]

Everything here is written by the project or generated from a fixed seed (no third-party text), so the corpus is
reproducible and free to commit. Plain python3, standard library only. The files aim at what breaks tokenizers:
source code, CJK, Arabic, Devanagari, emoji ZWJ sequences, combining marks in decomposed form (which NFC changes),
CRLF, long whitespace runs, digit runs, contractions, special tokens and near misses, URLs, JSON, Markdown.
make_golden.py (run where HF `tokenizers` is installed) turns them into the expected ids.
"""
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "corpus"
rng = random.Random(20261130)

WORDS = ("context token model window document analysis citation source page report answer question reason "
         "engine tensor layer attention expert router prefill decode stream cache budget license contract clause "
         "repository commit branch merge review matrix vector kernel memory bandwidth latency throughput").split()


def words(n, capitalize=False):
    out = [rng.choice(WORDS) for _ in range(n)]
    if capitalize:
        out[0] = out[0].capitalize()
    return " ".join(out)


# --- source code in several languages ---------------------------------------------------------------------------

def code_cpp(i):
    name = f"{rng.choice(WORDS)}_{rng.choice(WORDS)}_{i}"
    n = rng.randint(2, 9)
    return f"""// {words(8, True)}.
template <typename T, size_t N = {rng.randint(1, 4096)}>
static inline std::vector<T> {name}(const std::span<const T> xs, int32_t k) noexcept {{
\tstd::vector<T> out;
\tout.reserve(xs.size() * {n});
\tfor (size_t i = 0; i < xs.size(); ++i) {{
\t\tif ((i & 0x{rng.randint(0, 0xFFFF):04X}) != 0 && xs[i] >= T{{{rng.randint(-999, 999)}}}) out.push_back(xs[i] << k);
\t\telse out.emplace_back(std::max<T>(xs[i], T(-1e-{rng.randint(1, 9)})));
\t}}
\treturn out;  /* {words(5)} */
}}
"""


def code_python(i):
    cls = "".join(w.capitalize() for w in rng.sample(WORDS, 2))
    return f'''class {cls}{i}:
    """{words(10, True)}."""

    def __init__(self, size: int = {rng.randint(1, 100000)}, *, name: str = "{rng.choice(WORDS)}") -> None:
        self.size, self.name = size, name
        self._cache: dict[str, list[int]] = {{}}

    def __call__(self, text):
        if not text:
            raise ValueError(f"{{self.name!r}}: empty input ({{len(text)}} chars)")
        return [ord(c) % {rng.randint(2, 997)} for c in text if c.isalnum() or c in "_-'"]

    async def run(self, xs):   # {words(4)}
        return await asyncio.gather(*(self(x) for x in xs), return_exceptions=True)

'''


def code_rust(i):
    return f"""/// {words(9, True)}.
pub fn {rng.choice(WORDS)}_{i}<'a>(input: &'a [u8], limit: usize) -> Result<Vec<&'a str>, Box<dyn std::error::Error>> {{
    let mut parts = Vec::with_capacity(limit.min({rng.randint(8, 4096)}));
    for chunk in input.split(|&b| b == b'\\n' || b == b'\\r').filter(|c| !c.is_empty()) {{
        parts.push(std::str::from_utf8(chunk)?);
    }}
    match parts.len() {{
        0 => Err("nothing".into()),
        n if n > limit => Ok(parts[..limit].to_vec()),
        _ => Ok(parts),
    }}
}}
"""


def code_js(i):
    return f"""export const {rng.choice(WORDS)}{i} = async ({{ id, items = [], opts: {{ retries = {rng.randint(0, 9)} }} = {{}} }}) => {{
  const url = `https://api.example.org/v{rng.randint(1, 3)}/items/${{encodeURIComponent(id)}}?limit=${{items.length}}`;
  for (let attempt = 0; attempt <= retries; attempt++) {{
    const res = await fetch(url, {{ method: 'POST', headers: {{ 'Content-Type': 'application/json' }} }});
    if (res.ok) return (await res.json()).data?.map((x) => x.value ?? null) ?? [];
  }}
  throw new Error(`failed after ${{retries}} retries: ${{url}}`);
}};
"""


def code_go(i):
    return f"""func (s *{rng.choice(WORDS).capitalize()}Server) Handle{i}(w http.ResponseWriter, r *http.Request) {{
\tctx, cancel := context.WithTimeout(r.Context(), {rng.randint(1, 60)}*time.Second)
\tdefer cancel()
\tif err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM t WHERE id = $1", r.URL.Query().Get("id")).Scan(&n); err != nil {{
\t\thttp.Error(w, err.Error(), http.StatusInternalServerError) // {words(3)}
\t\treturn
\t}}
\tfmt.Fprintf(w, "%d\\n", n)
}}
"""


def code_misc(i):
    return f"""-- {words(6, True)}
SELECT a.id, COUNT(*) AS n, SUM(b.amount_{i}) FROM accounts a LEFT JOIN bills b ON b.account_id = a.id
 WHERE a.created_at >= '2024-0{rng.randint(1, 9)}-{rng.randint(10, 28)}' GROUP BY a.id HAVING n > {rng.randint(1, 99)};
#!/usr/bin/env bash
set -euo pipefail; for f in "$@"; do [[ -f "$f" ]] && sed -i 's/\\t/    /g' "$f" || echo "skip $f" >&2; done
main :: IO ()
main = mapM_ (putStrLn . show) [x * y | x <- [1..{rng.randint(5, 50)}], y <- [x..x+3], odd (x + y)]
"""


def make_code():
    makers = [code_cpp, code_python, code_rust, code_js, code_go, code_misc]
    return "".join(makers[i % len(makers)](i) + "\n" for i in range(150))


# --- natural languages -------------------------------------------------------------------------------------------

CHINESE = ["长文档分析需要把所有资料放进同一个上下文里。", "模型的推理过程和答案分别显示在不同的窗格中。",
           "引用必须能够回到原文的页码和段落，并且经过核对。", "这份合同第十二条规定了保密义务和违约责任。",
           "我们在本地的图形处理器上运行推理引擎，不依赖外部服务。", "第３章：实验结果（表２）显示吞吐量提高了１５％。"]
JAPANESE = ["長い文書の分析では、すべての資料を一つの文脈に入れます。", "モデルの推論過程と回答は別々のペインに表示されます。",
            "ｶﾀｶﾅの半角文字と　全角スペース　が混ざった文です。", "東京都千代田区１－２－３　ビル５階",
            "「引用」は原文のページに戻れる必要があります。"]
KOREAN = ["긴 문서 분석에서는 모든 자료를 하나의 맥락에 넣습니다.", "모델의 추론 과정과 답변은 서로 다른 창에 표시됩니다.",
          "계약서 제12조는 비밀유지 의무를 규정합니다."]
ARABIC = ["تحليل المستندات الطويلة يتطلب وضع جميع المصادر في سياق واحد.", "يَعْمَلُ النَّمُوذَجُ عَلَى وَحْدَةِ مُعَالَجَةِ الرُّسُومَاتِ.",
          "الفقرة ١٢ من العقد تنص على الالتزام بالسرية، انظر الصفحة ٣٤٥.", "\u200fنص من اليمين إلى اليسار\u200f مع English في الوسط."]
HEBREW = ["ניתוח מסמכים ארוכים דורש הקשר אחד.", "שָׁלוֹם עוֹלָם"]
DEVANAGARI = ["लंबे दस्तावेज़ों के विश्लेषण के लिए सभी स्रोत एक ही संदर्भ में रखे जाते हैं।", "अनुच्छेद १२ गोपनीयता के दायित्व को परिभाषित करता है।",
              "क़ ख़ ग़ ज़ ड़ ढ़ फ़ य़", "\u0915\u093c \u0916\u093c \u0921\u093c \u0928\u093c \u0930\u093c"]
OTHERS = ["Ελληνικά: η ανάλυση μεγάλων εγγράφων, ΑΒΓΔ αβγδ ς.", "Русский: анализ длинных документов, Ёжик в тумане.",
          "ภาษาไทย: การวิเคราะห์เอกสารยาว", "Tiếng Việt: phân tích tài liệu dài, Ngữ cảnh một triệu token.",
          "Türkçe: İstanbul'da ıslak ĞÜŞÖÇ.", "Ǆ ǅ ǆ ǈ ǋ ᾈ ᾼ titlecase Lt letters", "ʰʲʷ ˈstres ˌsekəndri modifier letters"]


def make_cjk():
    parts = []
    for _ in range(260):
        pick = rng.random()
        if pick < 0.4:
            parts.append("".join(rng.choice(CHINESE) for _ in range(rng.randint(1, 4))))
        elif pick < 0.7:
            parts.append("".join(rng.choice(JAPANESE) for _ in range(rng.randint(1, 3))))
        elif pick < 0.9:
            parts.append(" ".join(rng.choice(KOREAN) for _ in range(rng.randint(1, 3))))
        else:
            parts.append(rng.choice(CHINESE) + " mixed with English " + words(3) + " 和数字 " + str(rng.randint(0, 10**9)))
        parts.append(rng.choice(["\n", "\n\n", "　", " ", "\r\n"]))
    return "".join(parts)


def make_scripts():
    pool = ARABIC * 3 + HEBREW + DEVANAGARI * 3 + OTHERS * 2
    return "".join(rng.choice(pool) + rng.choice(["\n", " ", "\n\n", "\t"]) for _ in range(700))


# --- emoji -------------------------------------------------------------------------------------------------------

EMOJI = ["😀", "🎉", "🚀", "👍🏻", "👍🏿", "👩‍💻", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🏴‍☠️", "🇩🇪", "🇯🇵", "🇺🇸", "❤️", "❤\ufe0e",
         "1️⃣", "#️⃣", "🧑🏽‍🚀", "👩🏾‍❤️‍💋‍👨🏻", "🫠", "🤌🏼", "☺", "✔️", "⚠️", "🏴󠁧󠁢󠁳󠁣󠁴󠁿"]


def make_emoji():
    lines = []
    for i in range(900):
        seq = "".join(rng.choice(EMOJI) for _ in range(rng.randint(1, 6)))
        lines.append(rng.choice([f"{words(3, True)} {seq}", f"{seq}{seq}", f"- [{i}] {seq} {words(2)}!",
                                 f"{seq}\u200d{rng.choice(EMOJI)}", f"«{seq}»"]))
    return "\n".join(lines) + "\n"


# --- combining marks: decomposed forms that NFC composes, reorders or replaces -----------------------------------

COMBINING = [
    "e\u0301te\u0301", "Cafe\u0301 de\u0301ja\u0300 vu", "A\u030angstro\u0308m", "\u212bngstr\u00f6m (Angstrom sign)",
    "\u2126 ohm sign, \u212a kelvin sign", "a\u0323\u0302 vs a\u0302\u0323 (order)", "q\u0307\u0323 q\u0323\u0307",
    "\u1100\u1161\u11a8 \u1112\u1161\u11ab\u1100\u1173\u11af (conjoining jamo)", "\uac00\u11a8 (LV + T)",
    "\u0344 \u0f73 \u0f75 non-starter decompositions", "\u0958\u0959 composition exclusions",
    "n\u0303o\u0308\u0304u\u0308\u0301", "\u1e9b\u0323 long s dot", "\u00c5\u0301 \u01fa", "i\u0307\u0301 I\u0307",
    "\u0915\u093c\u0940 \u0928\u093c", "\u05e9\u05c1\u05b8", "\u0627\u0653 \u0648\u0654 \u064a\u0655",
    "x\u0300\u0301\u0302\u0303\u0304\u0305\u0306\u0307", "\u03b1\u0313\u0301\u0345", "\u1fb3\u0301",
    "\u0041\u030a\u0301", "\u0061\u0328\u0301", "\u304b\u3099\u306f\u309a", "\u30ab\u3099\u30cf\u309a",
    "\u0cbf\u0cd5 \u0cc6\u0cd5\u0cd6", "\u0dd9\u0dca \u0dd9\u0dcf\u0dca", "\u1025\u102e", "\u0b47\u0b3e \u0b47\u0b56",
    "\u0300 leading mark", "\u00e9\u0301", "\ufb2c\u05b7", "\u2000 \u2001 \u0340 \u0341 \u0374 \u037e \u0387",
]


def make_combining():
    lines = []
    for _ in range(900):
        lines.append(" ".join(rng.choice(COMBINING) for _ in range(rng.randint(1, 3))) + rng.choice([".", "!", ",", ""]))
    return "\n".join(lines) + "\n"


# --- whitespace --------------------------------------------------------------------------------------------------

SPACES = [" ", "  ", "\t", "\t\t", "   \t ", "\u00a0", "\u2003", "\u3000", "\u180e", "\u0085", "\u2028", "\u2029",
          "\u200b", "\u202f", "\u205f", "\x0b", "\x0c", "\u1680", "\u2009\u2009"]


def make_whitespace():
    parts = []
    for i in range(500):
        sep = rng.choice(SPACES)
        nl = rng.choice(["\n", "\r\n", "\r", "\n\n", "\r\n\r\n", " \n", "\t\n", "  \r\n", "\n\n\n\n"])
        parts.append(f"{words(rng.randint(1, 6))}{sep}{words(2)}{nl}")
        if i % 40 == 0:
            parts.append(" " * rng.choice([17, 64, 255, 1000, 2049]) + "indented\n")
        if i % 55 == 0:
            parts.append("\t" * rng.randint(5, 80) + "tabbed\r\n" + " \t" * rng.randint(3, 50) + "\n")
        if i % 70 == 0:
            parts.append("\n" * rng.randint(3, 40) + "\r\n" * rng.randint(2, 20) + "trailing   \n   \n")
    parts.append("end with spaces   ")
    return "".join(parts)


# --- digits ------------------------------------------------------------------------------------------------------

def make_numbers():
    out = []
    for _ in range(1200):
        k = rng.random()
        if k < 0.3:
            out.append(str(rng.randint(0, 10 ** rng.randint(1, 40))))
        elif k < 0.5:
            out.append(f"{rng.uniform(-1e6, 1e6):.{rng.randint(0, 12)}f}")
        elif k < 0.6:
            out.append(f"+1 ({rng.randint(100, 999)}) {rng.randint(100, 999)}-{rng.randint(1000, 9999)}")
        elif k < 0.7:
            out.append(f"{rng.randint(1, 9999)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00Z")
        elif k < 0.8:
            out.append(rng.choice(["٠١٢٣٤٥٦٧٨٩", "०१२३४५६७८९", "１２３４５", "²³¹ ½ ¾", "Ⅻ Ⅳ ⅷ", "①②③", "𝟙𝟚𝟛", "๑๒๓"]))
        elif k < 0.9:
            out.append(f"v{rng.randint(0, 20)}.{rng.randint(0, 99)}.{rng.randint(0, 999)}-rc{rng.randint(1, 9)}")
        else:
            out.append(f"0x{rng.getrandbits(64):016x} 0b{rng.getrandbits(16):016b} 1e{rng.randint(-300, 300)}")
        out.append(rng.choice([" ", ", ", "\n", "; ", " + ", "/"]))
    return "".join(out)


# --- English with contractions -----------------------------------------------------------------------------------

CONTRACTIONS = ["it's", "IT'S", "It'S", "they'll", "THEY'LL", "we're", "WE'RE", "I've", "I'M", "she'd", "SHE'D",
                "don't", "DON'T", "can't", "won't", "y'all", "o'clock", "rock'n'roll", "'tis", "the '90s",
                "it’s (curly)", "John's", "JAMES'S", "dogs'", "'s", "'LL", "'ll", "'Re", "'VE", "'d", "'M", "'T",
                "x'ſ long s", "users' 'quoted' words", "l'été", "ça va", "naïve coöperate"]


def make_english():
    out = []
    for _ in range(900):
        out.append(f"{words(rng.randint(3, 12), True)} {rng.choice(CONTRACTIONS)} {words(rng.randint(1, 6))}"
                   f"{rng.choice(['.', '!', '?', '...', ';', ':', ' --', '—', '…'])}")
        out.append(rng.choice([" ", "\n", "  ", "\n\n"]))
    return "".join(out)


# --- special tokens and near misses ------------------------------------------------------------------------------

SPECIAL = ["<end_of_sentence>", "<beginning_of_sentence>", "<begin_of_document>", "<end_of_document>", "<pad>",
           "<fim_prefix>", "<fim_middle>", "<fim_suffix>", "<function_call>", "<jupyter_error>", "<vision_pad>"]
NEAR = ["<end_of_sentence", "end_of_sentence>", "</end_of_sentence>", "<<end_of_sentence>>", "< end_of_sentence>",
        "<END_OF_SENTENCE>", "<end_of_sentence >", "<end_of_sentenc>", "<beginning_of_sentence", "<begin_of_doc>",
        "<think>", "</think>", "<tool_calls>", "</tool_calls>", "<tools>", "<pad", "<fim_>", "<>", "<<", ">>"]


def make_special():
    out = []
    for i in range(700):
        k = rng.random()
        if k < 0.25:
            out.append(rng.choice(SPECIAL) + rng.choice(["system ai_setting=assistant\n", "user name=user\n",
                                                         "ai name=assistant\n", "tool name=tools\n"]) + words(6, True))
        elif k < 0.45:
            out.append(words(2) + rng.choice(SPECIAL) + words(2) + rng.choice(NEAR) + words(1))
        elif k < 0.6:
            out.append("".join(rng.choice(SPECIAL) for _ in range(rng.randint(2, 5))))
        elif k < 0.75:
            out.append(rng.choice(NEAR) + rng.choice(SPECIAL)[1:] + rng.choice(NEAR))
        elif k < 0.9:
            out.append(f"<think>\n{words(8, True)}.\n</think>\n\n{words(5, True)}<end_of_sentence>\n")
        else:
            out.append(f'<tool_calls>\n{{"name": "search", "arguments": {{"query": "{words(3)}", "k": {i}}}}}\n</tool_calls>')
        out.append(rng.choice(["\n", "", " ", "\n\n"]))
    return "".join(out)


# --- web: URLs, JSON, Markdown, HTML, base64 ---------------------------------------------------------------------

def make_web():
    out = []
    b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    for i in range(300):
        k = i % 6
        if k == 0:
            out.append(f"See https://example.com/{rng.choice(WORDS)}/{rng.randint(1, 99999)}?q={rng.choice(WORDS)}+"
                       f"{rng.choice(WORDS)}&page={rng.randint(1, 50)}#sec-{rng.randint(1, 9)} or "
                       f"mailto:team+{i}@m1-studio.example and ftp://files.example.org/pub/{rng.choice(WORDS)}.tar.gz\n")
        elif k == 1:
            obj = {"id": i, "name": words(2), "tags": rng.sample(WORDS, 3), "score": round(rng.uniform(0, 1), 6),
                   "nested": {"ok": rng.random() < 0.5, "none": None, "unicode": "déjà vu — ✓"}}
            out.append(json.dumps(obj, indent=rng.choice([None, 2, 4]), ensure_ascii=rng.random() < 0.3) + "\n")
        elif k == 2:
            out.append(f"## {words(3, True)}\n\n| col A | col B | **bold** |\n|---|:---:|---:|\n"
                       f"| `{rng.choice(WORDS)}()` | {rng.randint(0, 999)} | _{words(1)}_ |\n\n"
                       f"- [ ] {words(4)}\n- [x] ~~{words(2)}~~\n> {words(6, True)}\n\n```python\nprint({i})\n```\n\n")
        elif k == 3:
            out.append(f'<div class="{rng.choice(WORDS)}" data-id="{i}"><a href="/x?a=1&amp;b=2">{words(2)}</a>'
                       f'&nbsp;&lt;tag&gt;</div>\n')
        elif k == 4:
            out.append("data:image/png;base64," + "".join(rng.choice(b64) for _ in range(rng.randint(60, 600))) + "==\n")
        else:
            out.append(f"{rng.getrandbits(128):032x}  {words(1)}.bin\n"
                       + " ".join(f"{rng.getrandbits(8):02x}" for _ in range(32)) + "\n")
    return "".join(out)


# --- long runs ---------------------------------------------------------------------------------------------------

def make_long_runs():
    return ("=" * 5000 + "\n" + "-" * 3000 + "\n" + "a" * 3000 + "\n" + "ab" * 1500 + "\n" + " " * 10000 + "x\n"
            + "9" * 4001 + "\n" + "\n" * 500 + "\t" * 2000 + "y\n" + "!?" * 1000 + "\n" + "é" * 1000 + "\n"
            + "漢" * 2000 + "\n" + "😀" * 500 + "\n" + "Ab" * 800 + "\n" + "...." * 600 + "\r\n" * 300 + "z")


FILES = {
    "code.txt": make_code, "cjk.txt": make_cjk, "scripts.txt": make_scripts, "emoji.txt": make_emoji,
    "combining.txt": make_combining, "whitespace.txt": make_whitespace, "numbers.txt": make_numbers,
    "english.txt": make_english, "special.txt": make_special, "web.txt": make_web, "long_runs.txt": make_long_runs,
}

# Short texts encoded one by one: each isolates one behaviour, so a failure points at its cause.
PROBES = [
    "", " ", "  ", "\n", "\r\n", "\t", "a", "A", "é", "e\u0301", "\u212b", "\ufffd", "a\ufffdb", "\ufffd\ufffd",
    "<think>\n", "\n</think>\n", "<think>", "</think>", "<tool_calls>\n", "</tool_calls>",
    "<begin_of_document><beginning_of_sentence>system ai_setting=assistant\n", "<beginning_of_sentence>user name=user\n",
    "<beginning_of_sentence>ai name=assistant\n", "<beginning_of_sentence>tool name=tools\n", "<end_of_sentence>\n",
    "Hello, world! 12345 déjà vu", "<end_of_sentence><end_of_sentence>", "<end_of_sentence", "x<pad>y",
    "<<end_of_sentence>>", "it's IT'S it'S They'LL", "'s", "x'ſ", "a\u180eb", "a\u0085b", "a\u2028b", "a \u00a0b",
    "  x", "x  ", "x \n", "x\n\n  y", "   \n", "\u3000\u3000テスト", "12345678", "١٢٣٤", "𝟙𝟚𝟛", "👩‍💻", "👍🏽",
    "\u1100\u1161\u11a8", "a\u0323\u0302", "\u0344", "ǅemal", "ǅ", "ABCdef", "abcDEF", "x\x0by\x0cz", "\u200b",
]


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    total = 0
    for name, make in FILES.items():
        text = make()
        data = text.encode("utf-8")
        (OUT / name).write_bytes(data)  # bytes, so CRLF and lone CR survive exactly
        total += len(data)
        print(f"{name}: {len(data)} bytes")
    (OUT / "probes.json").write_text(json.dumps(PROBES, ensure_ascii=True, indent=0) + "\n", encoding="utf-8")
    print(f"total: {total} bytes in {len(FILES)} files, {len(PROBES)} probes")


if __name__ == "__main__":
    main()
