-- Sentry envelopes for Bugsink (POST /api/<project>/envelope/, X-Sentry-Auth with the DSN's
-- key): one event per envelope, a unique event id per request, the exception value drawn from
-- `buckets` groups with the same Zipf-like popularity as wrk_stage1_body.lua, and the rest of
-- the event (the ~50 KB payload as extra data) read from a file.
--
-- Arguments: project id, sentry key, run tag (8 hex digits), number of buckets, the path of the
-- event's tail (JSON text that continues the event object after its "exception" member).

local path
local headers
local run_tag
local tail
local counter = 0

function init(args)
  path = "/api/" .. args[1] .. "/envelope/"
  headers = {
    ["Content-Type"] = "application/x-sentry-envelope",
    ["X-Sentry-Auth"] = "Sentry sentry_version=7, sentry_client=openwer-bench/1.0, sentry_key="
      .. args[2],
  }
  run_tag = args[3]
  zipf_buckets(tonumber(args[4]))
  local file = assert(io.open(args[5], "rb"))
  tail = file:read("*a")
  file:close()
  math.randomseed(os.time() + 7919 * thread_id)
end

function request()
  counter = counter + 1
  local event_id = string.format("%s%04x%020x", run_tag, thread_id, counter)
  local bucket = pick_bucket()
  local event = string.format(
    '{"event_id":"%s","exception":{"values":[{"type":"BenchError",' ..
    '"value":"function_%d","stacktrace":{"frames":[{"filename":"bench.py",' ..
    '"function":"function_%d","lineno":%d,"in_app":true}]}}]}',
    event_id, bucket, bucket, bucket) .. tail
  local body = string.format('{"event_id":"%s"}\n{"type":"event","length":%d}\n', event_id,
    #event) .. event .. "\n"
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  count_status("POST", status)
end
