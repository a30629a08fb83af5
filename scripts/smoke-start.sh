#!/usr/bin/env bash
# Quickstart smoke test (issue 8 item 5): runs `npm start` as a newcomer would, in the background
# on a fresh data directory, waits for the dashboard to answer and the first attestation to land
# on chain, then stops it with Ctrl-C (SIGINT) and checks it stopped cleanly. Bounded: 240 s.
set -uo pipefail
cd "$(dirname "$0")/.."

DATA_DIR="$(mktemp -d /tmp/pg-smoke-XXXXXX)"
LOG="$DATA_DIR.log"
export PG_DEV_HTTP_PORT="${PG_DEV_HTTP_PORT:-18080}"
export PG_DEV_MQTT_PORT="${PG_DEV_MQTT_PORT:-11883}"
export PG_DEV_OPCUA_PORT="${PG_DEV_OPCUA_PORT:-14840}"

npm start -- --data-dir "$DATA_DIR" >"$LOG" 2>&1 &
NPM_PID=$!
fail() {
  echo "smoke: FAILED: $1"
  echo "---- npm start output (last 40 lines) ----"
  tail -n 40 "$LOG"
  pkill -INT -f "scripts/start.ts --data-dir $DATA_DIR" 2>/dev/null
  sleep 5
  pkill -KILL -f "$DATA_DIR" 2>/dev/null
  exit 1
}

deadline=$((SECONDS + 240))
until curl -fsS "http://127.0.0.1:$PG_DEV_HTTP_PORT/" 2>/dev/null | grep -q '<div id="app"\|<html'; do
  [ $SECONDS -lt $deadline ] || fail "the dashboard did not answer within 240 s"
  kill -0 $NPM_PID 2>/dev/null || fail "npm start exited"
  sleep 2
done
echo "smoke: dashboard answers at http://127.0.0.1:$PG_DEV_HTTP_PORT/"
until grep -q "first attestation of this run confirmed on chain" "$LOG"; do
  [ $SECONDS -lt $deadline ] || fail "no attestation landed on chain within 240 s"
  kill -0 $NPM_PID 2>/dev/null || fail "npm start exited"
  sleep 2
done
echo "smoke: $(grep -o 'first attestation of this run confirmed on chain: 0x[0-9a-f]*' "$LOG")"

# Ctrl-C reaches the node process (npm forwards signals to its child).
pkill -INT -f "scripts/start.ts --data-dir $DATA_DIR"
for _ in $(seq 1 30); do
  grep -q "\[pledgeguard\] stopped" "$LOG" && break
  sleep 1
done
grep -q "\[pledgeguard\] stopped" "$LOG" || fail "Ctrl-C did not stop every part within 30 s"
wait $NPM_PID 2>/dev/null
if pgrep -f "$DATA_DIR" >/dev/null; then fail "processes of the run are still alive after the stop"; fi
echo "smoke: stopped cleanly"
rm -rf "$DATA_DIR" "$LOG"
