-- wrk script for POST /graphql: one `sendMessage` per request. Odd requests text a new contact
-- (+1919 7NN1NNN in the warm-up, +1919 8NN1NNN in the measured run: the picker chooses a number), even ones one of the 1,000 seeded contacts
-- (+1919 555 1000–1999: their sticky number). Every send has its own idempotency key and text.
-- Environment: BENCH_ORG, BENCH_TOKEN (an owner's bearer token), BENCH_RUN (a prefix for this
-- run's texts and keys; `w…` for the warm-up).
-- done() prints the sends answered with a message and those answered with an error.
local org = os.getenv("BENCH_ORG")
local token = os.getenv("BENCH_TOKEN")
local run = os.getenv("BENCH_RUN")
local exchange = (run:sub(1, 1) == "w") and 7 or 8

ok, refused, other = 0, 0, 0
local threads = {}
function setup(thread) threads[#threads + 1] = thread end

wrk.method = "POST"
wrk.path = "/graphql"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token

local counter = 0
local query = "mutation($org: String!, $input: SendMessageInput!) { sendMessage(organizationId: $org, input: $input) { serviceId sendStatus } }"

request = function()
  counter = counter + 1
  local contact
  if counter % 2 == 1 then
    -- The last four digits start with 1: the emulator fails a send to a number ending in one
    -- of Bandwidth's error codes (4xxx, 5xxx, 9xxx).
    local n = math.floor(counter / 2) % 100000
    contact = string.format("+1919%d%02d1%03d", exchange, math.floor(n / 1000), n % 1000)
  else
    contact = string.format("+19195551%03d", math.floor(counter / 2) % 1000)
  end
  local body = string.format(
    '{"query":"%s","variables":{"org":"%s","input":{"contactNumber":"%s","text":"bench %s #%d","idempotencyKey":"%s-%d"}}}',
    query, org, contact, run, counter, run, counter)
  return wrk.format(nil, nil, nil, body)
end

response = function(status, headers, body)
  if status == 200 and body:find('"serviceId":"', 1, true) and not body:find('"errors"', 1, true) then
    ok = ok + 1
  elseif status == 200 then
    refused = refused + 1
    if refused <= 3 then io.stderr:write(body .. "\n") end
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  for _, t in ipairs(threads) do
    io.write(string.format("answered: ok=%d refused=%d other=%d\n", t:get("ok"), t:get("refused"), t:get("other")))
  end
end
