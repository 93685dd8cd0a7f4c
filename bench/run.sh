#!/usr/bin/env bash
# Load test of the callback route (issues 7, 18) and of sendMessage: release build, a fresh
# database, the server against the emulator (registration not enforced on either side, texting
# hours off as by default), 100 numbers bought and 1,000 contacts with sent messages seeded
# through the API, then wrk at 16 connections (1 thread) for 20 s after a 5 s warm-up per kind.
# Each kind checks that stored rows match acknowledged requests and prints req/s (events/s, sends/s),
# p50, p99 and the server's peak resident memory. Loopback only; every loop is bounded.
#
#   bash bench/run.sh                 # PostgreSQL at 127.0.0.1:5432 (user postgres), then SQLite
#   BENCH_DB=postgres bash bench/run.sh
#   BENCH_DB=sqlite bash bench/run.sh  # SQLite with SQLITE_SYNCHRONOUS as the server has it (default full)
#   BENCH_KINDS="mixed send" bash bench/run.sh
#   BENCH_STATEMENTS=1 ...            # send: also count PostgreSQL's statements per send (needs
#                                     # pg_stat_statements in shared_preload_libraries and created
#                                     # in the postgres database)
#   BENCH_SCHEMA_SQL="..." ...         # PostgreSQL: SQL run after the migrations, before any load
#                                     # (to compare a schema variant with the same build)
#
# Kinds (BENCH_KINDS, default all, in this order):
#   delivered       delivery reports cycling over the 1,000 seeded messages (1,000 transitions, then reads)
#   received        new replies
#   first-delivery  400,000 SENT messages inserted with SQL, one report each: every report a transition
#   send            sendMessage over GraphQL; the emulator answers each send after
#                   BENCH_SEND_DELAY_MS (default 50); half the contacts new (picker), half seeded (sticky)
#   mixed           a campaign's callback stream (bench/mixed.lua): sending for MMS, delivered or
#                   failed (4720, 4470, 4775), one reply in ten with STOP/HELP at 1% each; events/s
#   wrong-password  bad Basic credentials: 401 before the body is read
set -euo pipefail
cd "$(dirname "$0")/.."

PG_ADMIN="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
DURATION="${BENCH_DURATION:-20s}"
WARMUP="${BENCH_WARMUP:-5s}"
CONNECTIONS="${BENCH_CONNECTIONS:-16}"
SEED="${BENCH_SEED:-1000}"
NUMBERS="${BENCH_NUMBERS:-100}"
SEND_DELAY_MS="${BENCH_SEND_DELAY_MS:-50}"
MIXED_MESSAGES="${BENCH_MIXED_MESSAGES:-400000}"  # seeded for the measured mixed run (100,000 more for its warm-up)
KINDS="${BENCH_KINDS:-delivered received first-delivery send mixed wrong-password}"
SECRET="bench-session-secret-$(date +%s)"

for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk curl >/dev/null; }
done
BIN="${BENCH_BIN:-}"  # another build to measure (default: this checkout's release build)
if [ -z "$BIN" ]; then cargo build --release --quiet; BIN="$PWD/target/release/spoke-bandwidth"; fi
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
  "$BIN" emulator --listen "127.0.0.1:$eport" --enforce-registration false --answer-delay-ms "$SEND_DELAY_MS" --log warn >"$WORK/emulator.log" 2>&1 & PIDS+=($!)
  export DATABASE_URL="$url" SESSION_SECRET="$SECRET" LISTEN_ADDR="127.0.0.1:$sport" BASE_URL="http://127.0.0.1:$sport" \
    BANDWIDTH_DASHBOARD_URL="http://127.0.0.1:$eport/api" BANDWIDTH_MESSAGING_URL="http://127.0.0.1:$eport/api/v2" RUST_LOG=warn \
    REGISTRATION_ENFORCED_DEFAULT=false
  "$BIN" migrate >/dev/null 2>&1
  if [ "$db_kind" = postgres ] && [ -n "${BENCH_SCHEMA_SQL:-}" ]; then psql "$url" -v ON_ERROR_STOP=1 -qc "$BENCH_SCHEMA_SQL"; fi
  local org token
  org=$("$BIN" org create --name "Bench")
  token=$("$BIN" token create --org "$org" --role owner)
  "$BIN" serve --no-migrate >"$WORK/server.log" 2>&1 & local server=$!; PIDS+=($server)
  wait_http "http://127.0.0.1:$sport/readyz"; wait_http "http://127.0.0.1:$eport/_emulator/state"

  gql() { curl -fsS "http://127.0.0.1:$sport/graphql" -H "authorization: Bearer $token" -H 'content-type: application/json' -d "$1"; }
  gql "{\"query\":\"mutation { updateBandwidthCredentials(organizationId: \\\"$org\\\", input: {accountId: \\\"9900000\\\", userName: \\\"emulator\\\", password: \\\"emulator-password\\\", address: {houseNumber: \\\"900\\\", streetName: \\\"Main Campus Dr\\\", city: \\\"Raleigh\\\", stateCode: \\\"NC\\\", zip: \\\"27606\\\"}}) { verified } }\"}" >/dev/null
  gql "{\"query\":\"mutation { provisionBandwidth(organizationId: \\\"$org\\\") { state } }\"}" | grep -q COMPLETE
  local job
  job=$(gql "{\"query\":\"mutation { buyPhoneNumbers(organizationId: \\\"$org\\\", areaCode: \\\"919\\\", limit: $NUMBERS) { id } }\"}" | json 'd["data"]["buyPhoneNumbers"]["id"]')
  for _ in $(seq 1 300); do
    gql "{\"query\":\"{ organization(id: \\\"$org\\\") { job(id: \\\"$job\\\") { state } } }\"}" | grep -q SUCCEEDED && break; sleep 0.1
  done
  # 1,000 contacts, each with a sent message, through the API (16 at a time: the emulator takes
  # BENCH_SEND_DELAY_MS per send).
  python3 - "$sport" "$token" "$org" "$SEED" >"$WORK/ids.txt" <<'PY'
import json, sys, urllib.request
from concurrent.futures import ThreadPoolExecutor
port, token, org, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
q = "mutation($org: String!, $input: SendMessageInput!) { sendMessage(organizationId: $org, input: $input) { serviceId sendStatus } }"
def send(i):
    body = json.dumps({"query": q, "variables": {"org": org, "input": {"contactNumber": "+1919555%04d" % (1000 + i), "text": "Hello %d" % i}}}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", body, {"authorization": "Bearer " + token, "content-type": "application/json"})
    answer = json.load(urllib.request.urlopen(req, timeout=30))
    message = (answer.get("data") or {}).get("sendMessage")
    assert message and message["sendStatus"] in ("SENT", "DELIVERED"), answer  # its callback may land first
    return message["serviceId"]
with ThreadPoolExecutor(16) as pool:
    for service_id in pool.map(send, range(count)):
        print(service_id)
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
def is_postgres(pid):
    try:
        return open(f"/proc/{pid}/comm").read().strip().startswith("postgres")
    except OSError:  # the process ended meanwhile
        return False
pg = sum(ticks(p) for p in os.listdir("/proc") if p.isdigit() and is_postgres(p))
print(f"{ticks(sys.argv[1])},{pg}")
PY
  }
  db_sql() { # $1 = one SQL statement; prints the first column of its first row
    if [ "$db_kind" = postgres ]; then psql "$url" -qAtc "$1"; else python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1], timeout=10); r=c.execute(sys.argv[2]).fetchone(); c.commit(); print(r[0] if r else '')" "$WORK/$(basename "${url#sqlite://}" | cut -d'?' -f1)" "$1"; fi
  }
  # Writes the pages of a bulk seed out now, not in a checkpoint during the measured run: on
  # SQLite the seed is one transaction in the WAL, which the server's connection would otherwise
  # copy back behind its single connection.
  write_out_seed() {
    if [ "$db_kind" = postgres ]; then db_sql "CHECKPOINT" >/dev/null; else db_sql "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null; fi
  }
  # The figures of one wrk run: "$1" = its output, "$2" = the unit, "$3" = subtracted from p99 when
  # given (the emulator's answer delay). Prints rate, p50, p99 and the CPU used; exports nothing.
  wrk_figures() {
    python3 - "$1" "$2" "${3:-}" "$4" "$5" <<'PY'
import re, sys
path, what, delay = sys.argv[1], sys.argv[2], sys.argv[3]
cpu0, cpu1 = [list(map(int, x.split(","))) for x in sys.argv[4:6]]
text = open(path).read()
def unit(v):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", v.strip())
    if not m:
        sys.exit(f"cannot read {v!r} in wrk's output:\n{text}")
    return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[m.group(2)]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
total = int(re.search(r"(\d+) requests in", text).group(1))
non2xx = int((re.search(r"Non-2xx or 3xx responses: (\d+)", text) or [0, 0])[1])
errors = re.search(r"Socket errors: (.*)", text)
p50 = unit(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1)); p99 = unit(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1))
line = f"{what:15s} {rps:10.0f} {'events' if what == 'mixed' else 'sends'}/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms"
if delay: line += f"   p99 beyond the {delay} ms answer delay {p99 - float(delay):6.2f} ms"
line += f"   requests {total}   non-2xx {non2xx}"
if errors: line += f"   socket errors: {errors.group(1)}"
print(line)
secs = unit(re.search(r"requests in ([\d.]+\w+)", text).group(1)) / 1000
server_cpu, db_cpu = [(b - a) / 100 / secs for a, b in zip(cpu0, cpu1)]
print(f"{'':15s} CPU cores busy: server {server_cpu:.2f}, postgres {db_cpu:.2f} (of 2)")
PY
  }
  # sendMessage over GraphQL at $CONNECTIONS clients; the check: every send answered with a
  # message is stored once (its text is unique to the request), at most one more per connection
  # (in flight when wrk stopped), none twice, each with its own Bandwidth id.
  run_send() {
    export BENCH_ORG="$org" BENCH_TOKEN="$token"
    BENCH_RUN="w$RANDOM" wrk -t1 -c"$CONNECTIONS" -d"$WARMUP" -s bench/send.lua "http://127.0.0.1:$sport" >/dev/null 2>"$WORK/send-warm.err"
    local run="m$RANDOM" cpu_before cpu_after
    local counting=""  # BENCH_STATEMENTS=1: count the statements the measured run sends PostgreSQL
    [ "${BENCH_STATEMENTS:-0}" = 1 ] && [ "$db_kind" = postgres ] && counting=1
    [ -n "$counting" ] && psql "$PG_ADMIN" -qAtc "SELECT pg_stat_statements_reset()" >/dev/null
    cpu_before=$(cpu_ticks "$server")
    BENCH_RUN="$run" wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/send.lua "http://127.0.0.1:$sport" >"$WORK/wrk.txt" 2>"$WORK/send.err"
    cpu_after=$(cpu_ticks "$server")
    sleep 1
    wrk_figures "$WORK/wrk.txt" send "$SEND_DELAY_MS" "$cpu_before" "$cpu_after"
    if [ -n "$counting" ]; then
      # Every statement of the run, the delivery callbacks' included, per send answered.
      local sent; sent=$(grep -o 'answered: ok=[0-9]*' "$WORK/wrk.txt" | cut -d= -f2)
      psql "$PG_ADMIN" -qAt -F' ' -c "SELECT round(sum(calls)::numeric / $sent, 1) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '$name'" \
        | sed 's/^/                statements per send: /'
      psql "$PG_ADMIN" -qAt -F' ' -c "SELECT round(calls::numeric / $sent, 2), left(regexp_replace(query, '\s+', ' ', 'g'), 110) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '$name' ORDER BY calls DESC LIMIT 20" | sed 's/^/                  /'
    fi
    local where="organization_id = $org AND NOT is_from_contact AND text LIKE 'bench $run #%'"
    local stored distinct with_id ids
    stored=$(db_sql "SELECT COUNT(*) FROM bandwidth_messages WHERE $where")
    distinct=$(db_sql "SELECT COUNT(DISTINCT text) FROM bandwidth_messages WHERE $where")
    with_id=$(db_sql "SELECT COUNT(service_id) FROM bandwidth_messages WHERE $where")
    ids=$(db_sql "SELECT COUNT(DISTINCT service_id) FROM bandwidth_messages WHERE $where")
    python3 - "$WORK/wrk.txt" "$stored" "$distinct" "$with_id" "$ids" "$CONNECTIONS" "$WORK/send.err" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
stored, distinct, with_id, ids, conns = map(int, sys.argv[2:7])
m = re.search(r"answered: ok=(\d+) refused=(\d+) other=(\d+)", text)
ok, refused, other = map(int, m.groups())
good = refused == 0 and other == 0 and ok <= stored <= ok + conns and distinct == stored and ids == with_id and ok <= with_id
print(f"{'':15s} {ok} sends answered with a message ({refused} with an error, {other} non-200); stored {stored}, "
      f"{stored - distinct} twice, {with_id} with a Bandwidth id ({with_id - ids} ids shared): {'OK' if good else 'MISMATCH'}")
if refused:
    print(f"{'':15s} first refusals: " + open(sys.argv[7]).read()[:600])
if not good: sys.exit(1)
PY
    echo "  peak resident memory so far: $(grep VmHWM /proc/$server/status | awk '{printf "%.1f MiB", $2/1024}')"
  }
  # The campaign stream of bench/mixed.lua over messages mx-N seeded with SQL; the check: every
  # change the issued events ask for is stored (at most one request per connection was still in
  # flight when wrk stopped), including opt-outs for STOP replies and 4775, strikes for 4470, and
  # the failure outbox drained.
  run_mixed() {
    local total=$((MIXED_MESSAGES + 100000))
    local series="SELECT g AS n FROM generate_series(1, $total) g" pad="lpad(n::text, 7, '0')"
    if [ "$db_kind" = sqlite ]; then
      series="WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < $total) SELECT n FROM s"
      pad="substr('0000000' || n, -7)"
    fi
    db_sql "INSERT INTO bandwidth_messages (organization_id, contact_number, user_number, is_from_contact, text, media, send_status, service_id, segment_count, created_at, updated_at)
            SELECT $org, '+1984' || $pad, '$user_number', false, 'Hello', CASE WHEN n % 5 = 0 THEN '[\"https://example.com/bench.png\"]' ELSE '[]' END, 'SENT', 'mx-' || n, 1,
                   (SELECT created_at FROM bandwidth_messages LIMIT 1), (SELECT created_at FROM bandwidth_messages LIMIT 1)
            FROM ($series) AS series" >/dev/null
    db_sql "ANALYZE" >/dev/null
    write_out_seed
    export BENCH_ORG="$org" BENCH_AUTH="$auth" BENCH_USER_NUMBER="$user_number"
    # The failure outbox drains within a second (it polls every second): "$left" is what it holds.
    local left=""
    drain_outbox() {
      for _ in $(seq 1 100); do
        left=$(db_sql "SELECT COUNT(*) FROM bandwidth_send_failures WHERE organization_id = $org"); [ "$left" = 0 ] && break; sleep 0.2
      done
    }
    BENCH_FIRST=1 BENCH_LAST=100000 BENCH_RUN="w$RANDOM" wrk -t1 -c"$CONNECTIONS" -d"$WARMUP" -s bench/mixed.lua "http://127.0.0.1:$sport" >/dev/null
    sleep 1
    drain_outbox  # the warm-up's strikes and opt-outs are counted before the run, not in it
    mixed_counts() {
      local m="organization_id = $org AND service_id LIKE 'mx-%'"
      echo "$(db_sql "SELECT COUNT(*) FROM bandwidth_messages WHERE $m AND send_status = 'DELIVERED'")" \
           "$(db_sql "SELECT COUNT(*) FROM bandwidth_messages WHERE $m AND send_status = 'ERROR' AND error_code = 4720")" \
           "$(db_sql "SELECT COUNT(*) FROM bandwidth_messages WHERE $m AND send_status = 'ERROR' AND error_code = 4470")" \
           "$(db_sql "SELECT COUNT(*) FROM bandwidth_messages WHERE $m AND send_status = 'ERROR' AND error_code = 4775")" \
           "$(db_sql "SELECT COUNT(*) FROM bandwidth_messages WHERE organization_id = $org AND is_from_contact AND contact_number LIKE '+1984%'")" \
           "$(db_sql "SELECT COUNT(*) FROM bandwidth_opt_outs WHERE organization_id = $org AND contact_number LIKE '+1984%'")" \
           "$(db_sql "SELECT COUNT(*) FROM bandwidth_number_strikes WHERE organization_id = $org AND error_code = 4470")"
    }
    local before after cpu_before cpu_after
    before=$(mixed_counts)
    cpu_before=$(cpu_ticks "$server")
    BENCH_FIRST=100001 BENCH_LAST=$total BENCH_RUN="m$RANDOM" wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/mixed.lua "http://127.0.0.1:$sport" >"$WORK/wrk.txt"
    cpu_after=$(cpu_ticks "$server")
    drain_outbox
    after=$(mixed_counts)
    wrk_figures "$WORK/wrk.txt" mixed "" "$cpu_before" "$cpu_after"
    python3 - "$WORK/wrk.txt" "$before" "$after" "$left" "$CONNECTIONS" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
before, after = [list(map(int, x.split())) for x in sys.argv[2:4]]
left, conns = int(sys.argv[4]), int(sys.argv[5])
issued = dict((k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)", re.search(r"issued: (.*)", text).group(1)))
non2xx = int((re.search(r"Non-2xx or 3xx responses: (\d+)", text) or [0, 0])[1])
d = [b - a for a, b in zip(before, after)]
rows = [("delivered", issued["delivered"], d[0]), ("failed 4720", issued["failed4720"], d[1]),
        ("failed 4470", issued["failed4470"], d[2]), ("failed 4775", issued["failed4775"], d[3]),
        ("replies", issued["replies"], d[4]), ("opt-outs (STOP, 4775)", issued["stops"] + issued["failed4775"], d[5]),
        ("strikes (4470)", issued["failed4470"], d[6])]
good = non2xx == 0 and left == 0 and issued["exhausted"] == 0
parts = []
for name, want, got in rows:
    fine = want - conns <= got <= want
    good = good and fine
    parts.append(f"{name} {got}/{want}{'' if fine else ' (!)'}")
print(f"{'':15s} issued {sum(issued[k] for k in ('sending', 'delivered', 'failed4720', 'failed4470', 'failed4775', 'replies'))} events "
      f"({issued['sending']} sending, {issued['stops']} STOP, {issued['helps']} HELP); stored/issued: " + ", ".join(parts)
      + f"; outbox left {left}: {'OK' if good else 'MISMATCH'}")
if issued["exhausted"]:
    print(f"{'':15s} ran out of seeded messages ({issued['exhausted']} repeats): raise BENCH_MIXED_MESSAGES")
if not good: sys.exit(1)
PY
    echo "  peak resident memory so far: $(grep VmHWM /proc/$server/status | awk '{printf "%.1f MiB", $2/1024}')"
  }
  # Statistics as autovacuum would gather them within its first minute (pgbench -i does the same):
  # without them the planner sees tables it believes empty, and the figures depend on whether
  # autovacuum's first pass lands during a run.
  db_sql "ANALYZE" >/dev/null
  local sync_note=""; [ "$db_kind" = sqlite ] && sync_note=", SQLite synchronous=${SQLITE_SYNCHRONOUS:-full}"
  echo "== $db_kind: $(grep -c . "$WORK/ids.txt") seeded messages, $NUMBERS numbers, org $org$sync_note"
  echo "   machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
  local user_number; user_number=$(db_sql "SELECT user_number FROM bandwidth_messages WHERE NOT is_from_contact LIMIT 1")
  local seeded; seeded=$(grep -c . "$WORK/ids.txt")
  for kind in $KINDS; do
    if [ "$kind" = send ]; then run_send; continue; fi
    if [ "$kind" = mixed ]; then run_mixed; continue; fi
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
      write_out_seed
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
    curl -fs "http://127.0.0.1:$sport/metrics" | grep -E '^callback_batch_(requests|seconds)(_sum|_count)' | tr '\n' ' ' | sed 's/^/                /'
    echo "  peak resident memory so far: $(grep VmHWM /proc/$server/status | awk '{printf "%.1f MiB", $2/1024}')"
  done
  echo "peak resident memory of the server: $(grep VmHWM /proc/$server/status | awk '{printf "%.1f MiB", $2/1024}')"
  kill "$server"; wait "$server" 2>/dev/null || true
  if [ "$db_kind" = postgres ]; then
    # Every message update of the run (the loads' and this script's resets), and how many were HOT
    # (no index entry written); the server's connections flush their statistics as they close.
    sleep 1
    echo "message updates: $(psql "$url" -qAtc "SELECT n_tup_upd || ', HOT ' || n_tup_hot_upd || ' (' || round(100.0 * n_tup_hot_upd / greatest(n_tup_upd, 1)) || '%)' FROM pg_stat_user_tables WHERE relname = 'bandwidth_messages'")"
  fi
  if [ "$db_kind" = postgres ] && [ -z "${BENCH_KEEP:-}" ]; then psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null || true; fi
}

case "${BENCH_DB:-both}" in
  postgres) run_one postgres ;;
  sqlite) run_one sqlite ;;
  *) run_one postgres; run_one sqlite ;;
esac
