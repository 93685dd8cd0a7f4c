#!/usr/bin/env bash
# Load test of the callback route (issue 7): release build, a fresh database, the server against
# the emulator, 1,000 contacts with sent messages seeded through the API, then wrk at 16
# connections (1 thread) for 20 s after a 5 s warm-up on message-delivered, message-received and
# the wrong-password path. Checks that stored rows match acknowledged requests and prints req/s,
# p50, p99 and the server's peak resident memory. Loopback only; every loop is bounded.
#
#   bash bench/run.sh                 # PostgreSQL at 127.0.0.1:5432 (user postgres), then SQLite
#   BENCH_DB=postgres bash bench/run.sh
#   BENCH_DB=sqlite bash bench/run.sh
#   BENCH_KINDS=first-delivery bash bench/run.sh   # every report a first delivery (not in the default run)
set -euo pipefail
cd "$(dirname "$0")/.."

PG_ADMIN="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
DURATION="${BENCH_DURATION:-20s}"
WARMUP="${BENCH_WARMUP:-5s}"
CONNECTIONS="${BENCH_CONNECTIONS:-16}"
SEED="${BENCH_SEED:-1000}"
SECRET="bench-session-secret-$(date +%s)"

for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk curl >/dev/null; }
done
cargo build --release --quiet
BIN="$PWD/target/release/spoke-bandwidth"
WORK="$(mktemp -d)"
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
wait_http() { for _ in $(seq 1 100); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "no answer from $1" >&2; return 1; }

run_one() {
  local db_kind="$1" url
  if [ "$db_kind" = postgres ]; then
    local name="sbw_bench_$(date +%s)"
    psql "$PG_ADMIN" -qc "CREATE DATABASE $name" >/dev/null
    # Loopback: no TLS between the server and PostgreSQL (as Spoke's node-postgres default).
    url="${PG_ADMIN%/*}/$name?sslmode=disable"
  else
    url="sqlite://$WORK/bench-$(date +%s).db?mode=rwc"
  fi
  local eport sport
  eport=$(free_port); sport=$(free_port)
  "$BIN" emulator --listen "127.0.0.1:$eport" --log warn >"$WORK/emulator.log" 2>&1 & PIDS+=($!)
  export DATABASE_URL="$url" SESSION_SECRET="$SECRET" LISTEN_ADDR="127.0.0.1:$sport" BASE_URL="http://127.0.0.1:$sport" \
    BANDWIDTH_DASHBOARD_URL="http://127.0.0.1:$eport/api" BANDWIDTH_MESSAGING_URL="http://127.0.0.1:$eport/api/v2" RUST_LOG=warn
  "$BIN" migrate >/dev/null 2>&1
  local org token
  org=$("$BIN" org create --name "Bench")
  token=$("$BIN" token create --org "$org" --role owner)
  "$BIN" serve --no-migrate >"$WORK/server.log" 2>&1 & local server=$!; PIDS+=($server)
  wait_http "http://127.0.0.1:$sport/readyz"; wait_http "http://127.0.0.1:$eport/_emulator/state"

  gql() { curl -fsS "http://127.0.0.1:$sport/graphql" -H "authorization: Bearer $token" -H 'content-type: application/json' -d "$1"; }
  gql "{\"query\":\"mutation { updateBandwidthCredentials(organizationId: \\\"$org\\\", input: {accountId: \\\"9900000\\\", userName: \\\"emulator\\\", password: \\\"emulator-password\\\", address: {houseNumber: \\\"900\\\", streetName: \\\"Main Campus Dr\\\", city: \\\"Raleigh\\\", stateCode: \\\"NC\\\", zip: \\\"27606\\\"}}) { verified } }\"}" >/dev/null
  gql "{\"query\":\"mutation { provisionBandwidth(organizationId: \\\"$org\\\") { state } }\"}" | grep -q COMPLETE
  local job
  job=$(gql "{\"query\":\"mutation { buyPhoneNumbers(organizationId: \\\"$org\\\", areaCode: \\\"919\\\", limit: 10) { id } }\"}" | json 'd["data"]["buyPhoneNumbers"]["id"]')
  for _ in $(seq 1 100); do
    gql "{\"query\":\"{ organization(id: \\\"$org\\\") { job(id: \\\"$job\\\") { state } } }\"}" | grep -q SUCCEEDED && break; sleep 0.1
  done
  # 1,000 contacts, each with a sent message, through the API.
  python3 - "$sport" "$token" "$org" "$SEED" >"$WORK/ids.txt" <<'PY'
import json, sys, urllib.request
port, token, org, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
q = "mutation($org: String!, $input: SendMessageInput!) { sendMessage(organizationId: $org, input: $input) { serviceId sendStatus } }"
for i in range(count):
    body = json.dumps({"query": q, "variables": {"org": org, "input": {"contactNumber": "+1919555%04d" % (1000 + i), "text": "Hello %d" % i}}}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", body, {"authorization": "Bearer " + token, "content-type": "application/json"})
    message = json.load(urllib.request.urlopen(req, timeout=30))["data"]["sendMessage"]
    assert message["sendStatus"] in ("SENT", "DELIVERED"), message  # its callback may land first
    print(message["serviceId"])
PY
  sleep 1  # let the emulator's delivery callbacks for the seed land
  local auth bad
  auth=$("$BIN" callback-credentials --org "$org" | python3 -c 'import sys,base64; l=dict(x.split(":",1) for x in sys.stdin.read().splitlines()); print("Basic "+base64.b64encode((l["user id"].strip()+":"+l["password"].strip()).encode()).decode())')
  bad="Basic $(printf 'bandwidth.com:wrong' | base64)"

  # CPU ticks (1/100 s) used so far by the server and by all PostgreSQL processes, "server,postgres".
  cpu_ticks() {
    python3 - "$1" <<'PY'
import os, sys
def ticks(pid):
    try:
        f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return int(f[11]) + int(f[12])
    except OSError:
        return 0
pg = sum(ticks(p) for p in os.listdir("/proc") if p.isdigit() and open(f"/proc/{p}/comm").read().strip().startswith("postgres"))
print(f"{ticks(sys.argv[1])},{pg}")
PY
  }
  db_sql() { # $1 = one SQL statement; prints the first column of its first row
    if [ "$db_kind" = postgres ]; then psql "$url" -qAtc "$1"; else python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1], timeout=10); r=c.execute(sys.argv[2]).fetchone(); c.commit(); print(r[0] if r else '')" "$WORK/$(basename "${url#sqlite://}" | cut -d'?' -f1)" "$1"; fi
  }
  # Statistics as autovacuum would gather them within its first minute (pgbench -i does the same):
  # without them the planner sees tables it believes empty, and the figures depend on whether
  # autovacuum's first pass lands during a run.
  db_sql "ANALYZE" >/dev/null
  echo "== $db_kind: $(grep -c . "$WORK/ids.txt") seeded messages, org $org"
  local seeded; seeded=$(grep -c . "$WORK/ids.txt")
  for kind in ${BENCH_KINDS:-delivered received wrong-password}; do
    local header="$auth"; [ "$kind" = wrong-password ] && header="$bad"
    # What each acknowledged request leaves: a new inbound message (received); for delivered,
    # every seeded message moved to DELIVERED once, with its contact's sticky number.
    local sql="SELECT COUNT(*) FROM bandwidth_messages WHERE NOT is_from_contact AND send_status = 'DELIVERED'"
    [ "$kind" = received ] && sql="SELECT COUNT(*) FROM bandwidth_messages WHERE is_from_contact"
    local warm_ids="$WORK/ids.txt" run_ids="$WORK/ids.txt"
    if [ "$kind" = first-delivery ]; then
      # A report per message still SENT, each a first delivery: 100,000 messages for the warm-up
      # and 300,000 for the run, inserted with SQL (the API would take minutes).
      local series="SELECT g AS n FROM generate_series(1, 400000) g" pad="lpad(n::text, 7, '0')"
      if [ "$db_kind" = sqlite ]; then
        series="WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 400000) SELECT n FROM s"
        pad="substr('0000000' || n, -7)"
      fi
      db_sql "INSERT INTO bandwidth_messages (organization_id, contact_number, user_number, is_from_contact, text, media, send_status, service_id, segment_count, created_at, updated_at)
              SELECT $org, '+1980' || $pad, (SELECT user_number FROM bandwidth_messages WHERE NOT is_from_contact LIMIT 1), false, 'Hello', '[]', 'SENT', 'fd-' || n, 1,
                     (SELECT created_at FROM bandwidth_messages LIMIT 1), (SELECT created_at FROM bandwidth_messages LIMIT 1)
              FROM ($series) AS series" >/dev/null
      db_sql "ANALYZE" >/dev/null
      seq 1 100000 | sed 's/^/fd-/' >"$WORK/fd-warm.txt"; seq 100001 400000 | sed 's/^/fd-/' >"$WORK/fd-run.txt"
      warm_ids="$WORK/fd-warm.txt" run_ids="$WORK/fd-run.txt"
      sql="SELECT COUNT(*) FROM bandwidth_messages WHERE service_id LIKE 'fd-%' AND send_status = 'DELIVERED'"
    fi
    export BENCH_KIND="$kind" BENCH_ORG="$org" BENCH_AUTH="$header" BENCH_IDS="$warm_ids"
    BENCH_RUN="w$RANDOM" wrk -t1 -c"$CONNECTIONS" -d"$WARMUP" -s bench/callback.lua "http://127.0.0.1:$sport" >/dev/null
    export BENCH_IDS="$run_ids"
    if [ "$kind" = delivered ]; then # back to SENT, so that the measured run makes the transitions
      db_sql "UPDATE bandwidth_messages SET send_status = 'SENT' WHERE NOT is_from_contact" >/dev/null
      db_sql "UPDATE bandwidth_contacts SET user_number = NULL" >/dev/null
    fi
    local before after cpu_before cpu_after sticky=0
    before=$(db_sql "$sql")
    cpu_before=$(cpu_ticks "$server")
    [ "$db_kind" = postgres ] && [ -n "${BENCH_KEEP:-}" ] && psql "$url" -qAtc "SELECT pg_stat_reset()" >/dev/null
    BENCH_RUN="m$RANDOM" wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/callback.lua "http://127.0.0.1:$sport" >"$WORK/wrk.txt"
    cpu_after=$(cpu_ticks "$server")
    sleep 0.5
    after=$(db_sql "$sql")
    [ "$kind" = delivered ] && sticky=$(db_sql "SELECT COUNT(*) FROM bandwidth_contacts WHERE user_number IS NOT NULL AND contact_number LIKE '+1919555%'")
    python3 - "$kind" "$WORK/wrk.txt" "$before" "$after" "$CONNECTIONS" "$cpu_before" "$cpu_after" "$seeded" "$sticky" <<'PY'
import re, sys
kind, path, before, after, conns = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
cpu0, cpu1 = [list(map(int, x.split(","))) for x in sys.argv[6:8]]
seeded, sticky = int(sys.argv[8]), int(sys.argv[9])
text = open(path).read()
def unit(v):
    """A wrk duration (e.g. 812.00us, 1.20ms, 2.01s, 1.00m) in milliseconds."""
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", v.strip())
    if not m:
        sys.exit(f"cannot read {v!r} in wrk's output:\n{text}")
    return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[m.group(2)]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
total = int(re.search(r"(\d+) requests in", text).group(1))
non2xx = int((re.search(r"Non-2xx or 3xx responses: (\d+)", text) or [0, 0])[1])
errors = re.search(r"Socket errors: (.*)", text)
p50 = unit(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1)); p99 = unit(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1))
acked = total - non2xx
line = f"{kind:15s} {rps:10.0f} req/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   requests {total}   non-2xx {non2xx}"
if errors: line += f"   socket errors: {errors.group(1)}"
print(line)
secs = unit(re.search(r"requests in ([\d.]+\w+)", text).group(1)) / 1000
server_cpu, db_cpu = [(b - a) / 100 / secs for a, b in zip(cpu0, cpu1)]
print(f"{'':15s} CPU cores busy: server {server_cpu:.2f}, postgres {db_cpu:.2f} (of 2)")
if kind in ("received", "first-delivery"):
    stored = after - before
    ok = acked <= stored <= acked + conns
    print(f"{'':15s} stored rows {stored} for {acked} acknowledged requests: {'OK' if ok else 'MISMATCH'}")
    if not ok: sys.exit(1)
elif kind == "delivered":
    moved = after - before
    ok = non2xx == 0 and acked >= seeded and moved == seeded and sticky == seeded
    print(f"{'':15s} {acked} acknowledged reports moved {moved} of {seeded} messages to DELIVERED, {sticky} sticky numbers: {'OK' if ok else 'MISMATCH'}")
    if not ok: sys.exit(1)
elif acked != 0:
    print("wrong-password requests were acknowledged!"); sys.exit(1)
PY
    [ "$db_kind" = postgres ] && [ -n "${BENCH_KEEP:-}" ] && psql "$url" -Atc "SELECT relname, indexrelname, idx_scan, idx_tup_read, idx_tup_fetch FROM pg_stat_user_indexes WHERE idx_scan > 0 ORDER BY idx_tup_read DESC LIMIT 6"
    curl -fs "http://127.0.0.1:$sport/metrics" | grep -E '^callback_batch_requests(_sum|_count)' | tr '\n' ' ' | sed 's/^/                /'
    echo "  peak resident memory so far: $(grep VmHWM /proc/$server/status | awk '{printf "%.1f MiB", $2/1024}')"
  done
  echo "peak resident memory of the server: $(grep VmHWM /proc/$server/status | awk '{printf "%.1f MiB", $2/1024}')"
  kill "$server"; wait "$server" 2>/dev/null || true
  if [ "$db_kind" = postgres ] && [ -z "${BENCH_KEEP:-}" ]; then psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null || true; fi
}

case "${BENCH_DB:-both}" in
  postgres) run_one postgres ;;
  sqlite) run_one sqlite ;;
  *) run_one postgres; run_one sqlite ;;
esac
