-- wrk script for POST /bandwidth/{org}: one Bandwidth event per request.
-- Environment: BENCH_KIND (delivered | first-delivery | received | wrong-password), BENCH_ORG,
-- BENCH_AUTH (the Basic header value), BENCH_IDS (file with one Bandwidth message id per line,
-- taken in turn, for the delivery kinds),
-- BENCH_RUN (a prefix that makes this run's ids unique; its digits make each report's `to` unique).
local kind = os.getenv("BENCH_KIND")
local org = os.getenv("BENCH_ORG")
local auth = os.getenv("BENCH_AUTH")
local run = os.getenv("BENCH_RUN")
-- A per-run number for the delivery reports' `to` (E.164: the callback route refuses others).
local run_number = tonumber((run or ""):match("%d+")) or 0
local ids = {}
local counter = 0

if kind == "delivered" or kind == "first-delivery" then
  for line in io.lines(os.getenv("BENCH_IDS")) do
    ids[#ids + 1] = line
  end
end

wrk.method = "POST"
wrk.path = "/bandwidth/" .. org
wrk.headers["Content-Type"] = "application/json; charset=utf-8"
wrk.headers["Authorization"] = auth

local contact = "+19195550123"
local ours = "+19195550100"

request = function()
  counter = counter + 1
  local body
  if kind == "received" then
    body = string.format(
      '[{"type":"message-received","time":"2026-11-30T10:01:00Z","description":"Incoming message received","to":"%s",' ..
      '"message":{"id":"%s-%d","owner":"%s","applicationId":"bench","time":"2026-11-30T10:01:00Z","segmentCount":1,' ..
      '"direction":"in","to":["%s"],"from":"+1704555%04d","text":"Count me in"}}]',
      ours, run, counter, ours, ours, counter % 10000)
  else
    -- delivered, and wrong-password (same body, rejected before it is read)
    local id = ids[(counter % math.max(#ids, 1)) + 1] or "none"
    -- The seeded messages in turn: the first report for each moves it to DELIVERED and writes
    -- its contact's sticky number; later ones find it delivered already, as repeated reports
    -- (Bandwidth retries, one per recipient of a group message) do. Each has its own `to`.
    body = string.format(
      '[{"type":"message-delivered","time":"2026-11-30T10:00:00.123Z","description":"Message delivered to carrier.",' ..
      '"to":"+1%03d%07d","message":{"id":"%s","owner":"%s","applicationId":"bench","time":"2026-11-30T10:00:00Z",' ..
      '"segmentCount":1,"direction":"out","to":["+19195550123"],"from":"%s","text":"","tag":"%s|1|1"}}]',
      200 + run_number % 800, counter % 10000000, id, ours, ours, org)
  end
  return wrk.format(nil, nil, nil, body)
end
