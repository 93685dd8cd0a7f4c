#!/usr/bin/env bash
# kill -9, repeatable (issue 12): drives callbacks at the release server on PostgreSQL from 16
# connections, kills the server with SIGKILL mid-run, restarts it, re-sends what was never
# answered (as Bandwidth retries), and checks that every acknowledged event is stored exactly
# once. Loopback only; every loop is bounded in count and time.
#
#   bash bench/kill9.sh                    # PostgreSQL at 127.0.0.1:5432 (user postgres), 3 runs
#   KILL9_RUNS=5 KILL9_BEFORE=6 bash bench/kill9.sh
#   BENCH_DB=sqlite bash bench/kill9.sh    # the same on SQLite
set -euo pipefail
cd "$(dirname "$0")/.."

PG_ADMIN="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
RUNS="${KILL9_RUNS:-3}"
BEFORE="${KILL9_BEFORE:-5}"   # seconds of load before the kill
AFTER="${KILL9_AFTER:-5}"     # seconds of load after the restart
SECRET="kill9-session-secret-$(date +%s)"
DB_KIND="${BENCH_DB:-postgres}"

for tool in curl python3; do
  command -v "$tool" >/dev/null || { apt-get update -qq && apt-get install -y -qq curl python3 >/dev/null; }
done
cargo build --release --quiet
BIN="$PWD/target/release/spoke-bandwidth"
WORK="$(mktemp -d)"
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill -9 "$SERVER" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() { for _ in $(seq 1 150); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "the server did not become ready" >&2; return 1; }

if [ "$DB_KIND" = postgres ]; then
  NAME="sbw_kill9_$(date +%s)"
  psql "$PG_ADMIN" -qc "CREATE DATABASE $NAME" >/dev/null
  URL="${PG_ADMIN%/*}/$NAME?sslmode=disable"
  count_sql() { psql "$URL" -qAtc "$1"; }
else
  FILE="$WORK/kill9.db"
  URL="sqlite://$FILE?mode=rwc"
  count_sql() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1], timeout=10).execute(sys.argv[2]).fetchone()[0])" "$FILE" "$1"; }
fi
PORT=$(free_port)
export DATABASE_URL="$URL" SESSION_SECRET="$SECRET" LISTEN_ADDR="127.0.0.1:$PORT" BASE_URL="http://127.0.0.1:$PORT" RUST_LOG=warn
"$BIN" migrate >/dev/null 2>&1
ORG=$("$BIN" org create --name "Kill9")
AUTH=$("$BIN" callback-credentials --org "$ORG" | python3 -c 'import sys,base64; l=dict(x.split(":",1) for x in sys.stdin.read().splitlines()); print("Basic "+base64.b64encode((l["user id"].strip()+":"+l["password"].strip()).encode()).decode())')

start_server() { "$BIN" serve --no-migrate >>"$WORK/server.log" 2>&1 & SERVER=$!; wait_ready; }

echo "== kill -9 on $DB_KIND: $RUNS runs, ${BEFORE}s of load, SIGKILL, restart, ${AFTER}s more, then Bandwidth's retries"
TOTAL_ACKED=0
for run in $(seq 1 "$RUNS"); do
  start_server
  # The driver: 16 threads post one message-received event per request, each with a new id,
  # and write what was acknowledged (2xx) and what got no answer or a non-2xx. It runs until
  # told to stop, through the kill and the restart.
  python3 - "$PORT" "$ORG" "$AUTH" "$run" "$WORK/acked-$run.txt" "$WORK/unanswered-$run.txt" "$WORK/stop-$run" <<'PY' &
import http.client, json, os, sys, threading, time
port, org, auth, run, acked_path, unanswered_path, stop_path = sys.argv[1:]
lock = threading.Lock()
acked, unanswered = open(acked_path, "w"), open(unanswered_path, "w")
deadline = time.time() + 120  # bound, whatever happens
def worker(t):
    conn, n = None, 0
    while not os.path.exists(stop_path) and time.time() < deadline:
        n += 1
        event_id = f"k9-{run}-{t}-{n}"
        body = json.dumps([{"type": "message-received", "time": "2026-12-01T00:00:00Z", "to": "+19195550100",
                            "description": "Incoming message received",
                            "message": {"id": event_id, "owner": "+19195550100", "from": "+1704555%04d" % (n % 10000),
                                        "text": "kill -9", "segmentCount": 1, "direction": "in"}}])
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
            conn.request("POST", f"/bandwidth/{org}", body, {"Authorization": auth, "Content-Type": "application/json"})
            status = conn.getresponse()
            status.read()
            ok = 200 <= status.status < 300
        except Exception:
            ok = False
            conn = None
            time.sleep(0.05)
        with lock:
            (acked if ok else unanswered).write(event_id + "\n")
threads = [threading.Thread(target=worker, args=(t,)) for t in range(16)]
for th in threads: th.start()
for th in threads: th.join()
acked.close(); unanswered.close()
PY
  DRIVER=$!
  sleep "$BEFORE"
  kill -9 "$SERVER"; wait "$SERVER" 2>/dev/null || true
  echo "   run $run: SIGKILL after ${BEFORE}s"
  sleep 1
  start_server
  sleep "$AFTER"
  touch "$WORK/stop-$run"; wait "$DRIVER"
  # Bandwidth retries what it got no 2xx for; each retry must now be acknowledged.
  python3 - "$PORT" "$ORG" "$AUTH" "$WORK/unanswered-$run.txt" "$WORK/acked-$run.txt" <<'PY'
import http.client, json, sys
port, org, auth, unanswered_path, acked_path = sys.argv[1:]
ids = [l.strip() for l in open(unanswered_path) if l.strip()]
conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
with open(acked_path, "a") as acked:
    for event_id in ids[:100000]:
        body = json.dumps([{"type": "message-received", "to": "+19195550100",
                            "message": {"id": event_id, "owner": "+19195550100", "from": "+17045550000", "text": "kill -9"}}])
        conn.request("POST", f"/bandwidth/{org}", body, {"Authorization": auth, "Content-Type": "application/json"})
        r = conn.getresponse(); r.read()
        if not 200 <= r.status < 300:
            sys.exit(f"a retry of {event_id} got {r.status}")
        acked.write(event_id + "\n")
PY
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
  acked=$(sort -u "$WORK/acked-$run.txt" | grep -c . || true)
  retried=$(grep -c . "$WORK/unanswered-$run.txt" || true)
  stored=$(count_sql "SELECT COUNT(*) FROM bandwidth_messages WHERE is_from_contact AND service_id LIKE 'k9-$run-%'")
  distinct=$(count_sql "SELECT COUNT(DISTINCT service_id) FROM bandwidth_messages WHERE is_from_contact AND service_id LIKE 'k9-$run-%'")
  # Every acknowledged id must be stored, once: the ids stored are exactly the ids acknowledged.
  sort -u "$WORK/acked-$run.txt" >"$WORK/acked-sorted-$run.txt"
  if [ "$DB_KIND" = postgres ]; then
    psql "$URL" -qAtc "SELECT service_id FROM bandwidth_messages WHERE is_from_contact AND service_id LIKE 'k9-$run-%'" | sort >"$WORK/stored-$run.txt"
  else
    python3 -c "import sqlite3,sys; [print(r[0]) for r in sqlite3.connect(sys.argv[1]).execute(\"SELECT service_id FROM bandwidth_messages WHERE is_from_contact AND service_id LIKE 'k9-$run-%'\")]" "$FILE" | sort >"$WORK/stored-$run.txt"
  fi
  missing=$(comm -23 "$WORK/acked-sorted-$run.txt" "$WORK/stored-$run.txt" | grep -c . || true)
  extra=$(comm -13 "$WORK/acked-sorted-$run.txt" "$WORK/stored-$run.txt" | grep -c . || true)
  echo "   run $run: acknowledged $acked events ($retried unanswered around the kill, retried and acknowledged); stored $stored rows, $distinct distinct; acknowledged but missing $missing; stored but never acknowledged $extra"
  if [ "$missing" != 0 ] || [ "$stored" != "$distinct" ] || [ "$extra" != 0 ]; then
    echo "   run $run: FAILED" >&2; exit 1
  fi
  TOTAL_ACKED=$((TOTAL_ACKED + acked))
done
echo "OK: $RUNS kill -9 runs, $TOTAL_ACKED acknowledged events, each stored exactly once, none lost"
if [ "$DB_KIND" = postgres ]; then psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $NAME WITH (FORCE)" >/dev/null || true; fi
