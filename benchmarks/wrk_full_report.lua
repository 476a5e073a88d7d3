-- Full reports: stage 1 (POST /api/v1/reports), then the PUT of the bundle for the same report
-- id (PUT /api/v1/reports/{id}/bundle). Run with one connection per wrk thread (-t N -c N), so
-- each thread's requests are sequential and request()/response() can alternate the two stages.
-- A full report counts (tally "full_reports") when its PUT answered 201 (stored now).
--
-- Arguments: those of wrk_stage1_body.lua, then the path of the bundle (a CAB file).

local bundle
local put_headers
local sent_kind = nil
local sent_id = nil
local bundle_due = nil

function init(args)
  stage1_init(args)
  local file = assert(io.open(args[4], "rb"))
  bundle = file:read("*a")
  file:close()
  put_headers = {
    ["Content-Type"] = "application/vnd.ms-cab-compressed",
    ["Authorization"] = ingest_authorization(),
  }
end

function request()
  if bundle_due then
    sent_kind, sent_id = "PUT", bundle_due
    return wrk.format("PUT", "/api/v1/reports/" .. bundle_due .. "/bundle", put_headers, bundle)
  end
  sent_kind, sent_id = "POST", next_report_id()
  return stage1_request(sent_id)
end

function response(status, headers, body)
  count_status(sent_kind, status)
  if sent_kind == "POST" then
    if status == 201 or status == 200 then
      bundle_due = sent_id
    end
  else
    bundle_due = nil
    if status == 201 then
      count("full_reports")
    end
  end
end
