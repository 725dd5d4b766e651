#!/bin/sh
# Run from the repository root after building m1 (M1=path/to/m1 to use another build); prints medians of 20 requests.
# m1 serve's own cost per request: curl's times against the engine time the server logs for the same request.
M1=${M1:-build-srv/app/m1}
$M1 make-model --preset tiny --seed 1 --out /tmp/m1tiny-serve > /dev/null
$M1 serve --model /tmp/m1tiny-serve --port 0 > /tmp/serve.out 2> /tmp/serve.err &
PID=$!
sleep 2
U=$(grep -o 'http://[^ ]*' /tmp/serve.out)
B='{"messages":[{"role":"user","content":"Tell me a long story"}],"max_tokens":3000,"temperature":0'
for i in $(seq 20); do curl -s -o /dev/null -w "%{time_starttransfer} %{time_total}\n" $U/chat/completions -d "$B}"; done > /tmp/ns.txt
for i in $(seq 20); do curl -sN -o /dev/null -w "%{time_starttransfer} %{time_total}\n" $U/chat/completions -d "$B,\"stream\":true}"; done > /tmp/st.txt
kill $PID
python3 - <<'PY'
import re, statistics as st
log = open('/tmp/serve.err').read()
eng = [float(x) for x in re.findall(r'generated in ([0-9.]+) s', log)]
print("tokens per answer:", sorted(set(re.findall(r'(\d+) generated', log))))
ns = [list(map(float, l.split())) for l in open('/tmp/ns.txt')]
s = [list(map(float, l.split())) for l in open('/tmp/st.txt')]
print("non-stream: engine %.1f ms, curl total %.1f ms" % (st.median(eng[:20]) * 1e3, st.median([x[1] for x in ns]) * 1e3))
print("stream: engine %.1f ms, curl first byte %.1f ms, total %.1f ms" % (st.median(eng[20:]) * 1e3, st.median([x[0] for x in s]) * 1e3, st.median([x[1] for x in s]) * 1e3))
PY
