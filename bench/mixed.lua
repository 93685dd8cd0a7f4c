-- wrk script for POST /bandwidth/{org}: a campaign's callback stream, one Bandwidth event per
-- request, generated message by message from BENCH_FIRST (ids `mx-N`, contact +1984NNNNNNN, both
-- seeded by bench/run.sh). Per message N:
--   * `message-sending` first when it is an MMS (N % 5 == 0, as the seed's media say);
--   * its outcome: `message-failed` 4720 (N % 100 in {13, 47}: 2%, contact-level), 4470
--     (N % 200 == 99: 0.5%, spam, a strike against the number), 4775 (N % 500 == 251: 0.2%, the
--     carrier's opt-out); otherwise `message-delivered`;
--   * for one delivered message in ten (N % 10 == 3) a reply: `STOP` when N % 100 == 3 (1% of
--     messages), `HELP` when N % 100 == 73 (1%), otherwise an ordinary answer.
-- Environment: BENCH_ORG, BENCH_AUTH (Basic header value), BENCH_FIRST (first message number),
-- BENCH_LAST (last one: the script stops issuing past it), BENCH_USER_NUMBER (the number the
-- seeded messages went out from), BENCH_RUN (a prefix that makes the reply ids unique).
-- done() prints how many events of each kind were issued, for the run's check.
local org = os.getenv("BENCH_ORG")
local auth = os.getenv("BENCH_AUTH")
local first = tonumber(os.getenv("BENCH_FIRST"))
local last = tonumber(os.getenv("BENCH_LAST"))
local ours = os.getenv("BENCH_USER_NUMBER")
local run = os.getenv("BENCH_RUN")

-- Issued counts: globals, so that done() can read them from the thread (wrk -t1).
sending, delivered, failed4720, failed4470, failed4775, replies, stops, helps, exhausted = 0, 0, 0, 0, 0, 0, 0, 0, 0

local threads = {}
function setup(thread) threads[#threads + 1] = thread end

wrk.method = "POST"
wrk.path = "/bandwidth/" .. org
wrk.headers["Content-Type"] = "application/json; charset=utf-8"
wrk.headers["Authorization"] = auth

local n = first - 1
local queue = {}
local head = 1

local function contact(m) return string.format("+1984%07d", m) end

local function report(kind, m, extra)
  local media = (m % 5 == 0) and ',"media":["https://example.com/bench.png"]' or ""
  return string.format(
    '[{"type":"%s","time":"2026-12-02T10:00:00.123Z","description":"bench",%s"to":"%s",' ..
    '"message":{"id":"mx-%d","owner":"%s","applicationId":"bench","time":"2026-12-02T10:00:00Z",' ..
    '"segmentCount":1,"direction":"out","to":["%s"],"from":"%s","text":""%s,"tag":"%s|1|1"}}]',
    kind, extra, contact(m), m, ours, contact(m), ours, media, org)
end

local function reply(m, text)
  return string.format(
    '[{"type":"message-received","time":"2026-12-02T10:01:00Z","description":"Incoming message received","to":"%s",' ..
    '"message":{"id":"%s-r%d","owner":"%s","applicationId":"bench","time":"2026-12-02T10:01:00Z","segmentCount":1,' ..
    '"direction":"in","to":["%s"],"from":"%s","text":"%s"}}]',
    ours, run, m, ours, ours, contact(m), text)
end

-- The events of the next message, in the order Bandwidth sends them.
local function refill()
  n = n + 1
  queue, head = {}, 1
  if n % 5 == 0 then queue[#queue + 1] = { "sending", report("message-sending", n, "") } end
  local code
  if n % 100 == 13 or n % 100 == 47 then code = 4720
  elseif n % 200 == 99 then code = 4470
  elseif n % 500 == 251 then code = 4775 end
  if code then
    queue[#queue + 1] = { "failed" .. code, report("message-failed", n, string.format('"errorCode":%d,', code)) }
  else
    queue[#queue + 1] = { "delivered", report("message-delivered", n, "") }
    if n % 10 == 3 then
      local text = (n % 100 == 3) and "STOP" or ((n % 100 == 73) and "HELP" or "Sounds good, count me in")
      queue[#queue + 1] = { text, reply(n, text) }
    end
  end
end

request = function()
  if head > #queue then refill() end
  if n > last then
    -- Out of seeded messages (raise BENCH_MIXED_MESSAGES): a repeated report for the last one,
    -- which changes nothing; counted apart and reported by the check.
    exhausted = exhausted + 1
    return wrk.format(nil, nil, nil, report("message-delivered", last, ""))
  end
  local event = queue[head]
  head = head + 1
  local kind = event[1]
  if kind == "sending" then sending = sending + 1
  elseif kind == "delivered" then delivered = delivered + 1
  elseif kind == "failed4720" then failed4720 = failed4720 + 1
  elseif kind == "failed4470" then failed4470 = failed4470 + 1
  elseif kind == "failed4775" then failed4775 = failed4775 + 1
  else
    replies = replies + 1
    if kind == "STOP" then stops = stops + 1 elseif kind == "HELP" then helps = helps + 1 end
  end
  return wrk.format(nil, nil, nil, event[2])
end

function done(summary, latency, requests)
  for _, t in ipairs(threads) do
    io.write(string.format(
      "issued: sending=%d delivered=%d failed4720=%d failed4470=%d failed4775=%d replies=%d stops=%d helps=%d exhausted=%d\n",
      t:get("sending"), t:get("delivered"), t:get("failed4720"), t:get("failed4470"), t:get("failed4775"),
      t:get("replies"), t:get("stops"), t:get("helps"), t:get("exhausted")))
  end
end
