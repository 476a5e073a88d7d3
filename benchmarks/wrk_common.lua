-- Prepended by wrk_load.py to every benchmark script (wrk loads one file).
--
-- setup() numbers the threads (the global `thread_id` of each thread's Lua state, 0, 1, ...);
-- scripts call count_status(kind, status) for every response and count(name) for their own
-- tallies; done() merges every thread's tables with wrk's summary and latency distribution and
-- prints one line: "WRK_RESULT {json}". Times are in microseconds.

local threads = {}
local thread_total = 0

function setup(thread)
  thread:set("thread_id", thread_total)
  thread_total = thread_total + 1
  table.insert(threads, thread)
end

statuses = {}
tally = {}

-- Zipf-like bucket popularity shared by the load scripts: bucket k is drawn with weight 1/k.
local zipf_cumulative = {}
local zipf_total = 0

function zipf_buckets(count)
  zipf_cumulative, zipf_total = {}, 0
  for rank = 1, count do
    zipf_total = zipf_total + 1 / rank
    zipf_cumulative[rank] = zipf_total
  end
end

function pick_bucket()
  local target = math.random() * zipf_total
  local low, high = 1, #zipf_cumulative
  while low < high do
    local middle = math.floor((low + high) / 2)
    if zipf_cumulative[middle] < target then
      low = middle + 1
    else
      high = middle
    end
  end
  return low
end

function count_status(kind, status)
  local key = kind .. " " .. tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function count(name)
  tally[name] = (tally[name] or 0) + 1
end

local function json_number(value)
  if value == math.floor(value) then
    return string.format("%d", value)
  end
  return string.format("%.3f", value)
end

local function json_counts(tables)
  local merged = {}
  for _, counts in ipairs(tables) do
    for key, value in pairs(counts) do
      merged[key] = (merged[key] or 0) + value
    end
  end
  local parts = {}
  for key, value in pairs(merged) do
    table.insert(parts, string.format('"%s":%s', key, json_number(value)))
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
  local thread_statuses, thread_tallies = {}, {}
  for _, thread in ipairs(threads) do
    table.insert(thread_statuses, thread:get("statuses"))
    table.insert(thread_tallies, thread:get("tally"))
  end
  local errors = summary.errors
  io.write(string.format(
    'WRK_RESULT {"duration_us":%s,"requests":%s,"bytes":%s,' ..
    '"socket_errors":{"connect":%s,"read":%s,"write":%s,"timeout":%s},' ..
    '"latency_us":{"min":%s,"mean":%s,"max":%s,"p50":%s,"p90":%s,"p99":%s,"p999":%s},' ..
    '"statuses":%s,"tally":%s}\n',
    json_number(summary.duration), json_number(summary.requests), json_number(summary.bytes),
    json_number(errors.connect), json_number(errors.read), json_number(errors.write),
    json_number(errors.timeout),
    json_number(latency.min), json_number(latency.mean), json_number(latency.max),
    json_number(latency:percentile(50)), json_number(latency:percentile(90)),
    json_number(latency:percentile(99)), json_number(latency:percentile(99.9)),
    json_counts(thread_statuses), json_counts(thread_tallies)))
end
