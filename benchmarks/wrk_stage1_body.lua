-- Stage-1 requests for wrk (see docs/protocol.md): a unique report id per request and a
-- signature from `buckets` buckets with a Zipf-like popularity (bucket k drawn with weight 1/k).
--
-- Script arguments (after wrk's "--"): ingest key, run tag (8 hex digits, one per phase so that
-- phases never reuse an id), number of buckets. Report ids are "<tag>-<thread>-4000-8000-<n>":
-- wrk thread number and a per-thread counter, so ids are unique without coordination.

local ingest_key, run_tag
local counter = 0
local post_headers

function stage1_init(args)
  ingest_key = args[1]
  run_tag = args[2]
  zipf_buckets(tonumber(args[3]))
  math.randomseed(os.time() + 7919 * thread_id)
  post_headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. ingest_key,
  }
end

function ingest_authorization()
  return "Bearer " .. ingest_key
end

function next_report_id()
  counter = counter + 1
  return string.format("%s-%04x-4000-8000-%012x", run_tag, thread_id, counter)
end

function stage1_request(report_id)
  local body = string.format(
    '{"protocol":1,"report_id":"%s","event_type":"PythonUnhandledException",' ..
    '"report_type":2,"signature":[{"name":"Application Name","value":"bench"},' ..
    '{"name":"Application Version","value":"1.0"},' ..
    '{"name":"Function","value":"function_%d"}],"consent":4,' ..
    '"client":{"os":"Linux","python":"3.11.7"},"app_version":"1.0"}',
    report_id, pick_bucket())
  return wrk.format("POST", "/api/v1/reports", post_headers, body)
end
