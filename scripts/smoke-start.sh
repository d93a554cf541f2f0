#!/usr/bin/env bash
# `npm start` on embedded defaults in a throwaway DATA_DIR must serve /health and /docs.
set -euo pipefail
cd "$(dirname "$0")/.."
data=$(mktemp -d)
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
log="$data/start.log"
# Its own process group: npm does not pass SIGTERM on to the `wagate dev` it started, which
# outlived every earlier run of this script (holding its port and ~500 MB).
DATA_DIR="$data" PORT="$port" LOG_LEVEL=warn setsid npm start >"$log" 2>&1 &
pid=$!
cleanup() {
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.25; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT
t0=$(date +%s%N)
for _ in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then echo "npm start exited early:"; cat "$log"; exit 1; fi
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$port/health" || { echo "no /health after 60 s:"; cat "$log"; exit 1; }
echo
curl -fsS -o /dev/null -w 'GET /docs -> %{http_code}\n' "http://127.0.0.1:$port/docs/"
curl -fsS "http://127.0.0.1:$port/docs/json" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const d=JSON.parse(s);console.log("openapi",d.openapi,Object.keys(d.paths).length,"paths")})'
echo "healthy after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
