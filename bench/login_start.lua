-- wrk script for bench/login_start: POSTs one body (from env BENCH_BODY) with BENCH_CONTENT_TYPE
-- to BENCH_PATH, and prints a machine-readable summary line.
wrk.method = "POST"
wrk.path = os.getenv("BENCH_PATH")
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = os.getenv("BENCH_CONTENT_TYPE")

local statuses = {}
function response(status, headers, body)
  if status ~= 200 and status ~= 201 and not statuses[status] then
    statuses[status] = true
    io.stderr:write("unexpected status " .. status .. ": " .. string.sub(body, 1, 200) .. "\n")
  end
end

function done(summary, latency, requests)
  local s = summary.duration / 1e6
  io.write(string.format("WRK_RESULT requests=%d rps=%.1f p50_ms=%.2f p99_ms=%.2f errors_status=%d errors_conn=%d\n",
    summary.requests, summary.requests / s, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
