-- GET /healthz (the empty endpoint of the same server): the baseline of bench_stage1.py and the
-- check that wrk itself is not the bottleneck.

function response(status, headers, body)
  count_status("GET", status)
end
