-- Sustained stage 1 (POST /api/v1/reports): every request a new report id; statuses counted.
-- Arguments: see wrk_stage1_body.lua.

function init(args)
  stage1_init(args)
end

function request()
  return stage1_request(next_report_id())
end

function response(status, headers, body)
  count_status("POST", status)
end
