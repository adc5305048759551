-- wrk script for bench/session_create: POSTs the seed's auth-session body with a unique `id`
-- per request (thread id + counter), so every request creates a new session.
local counter = 0
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  tid = tid or 0
  prefix = (args[1] or "b") .. "-" .. tostring(tid) .. "-"
end
local body_a = '{"id":"'
local body_b = '","document_number":"529.982.247-25","settings":{"steps":[{"step":"device_scan"},'
  .. '{"step":"face_recognition"},{"step":"personal_document","show_success_screen":true,'
  .. '"show_introduction_screen":true,"document_templates":["rg","cnh","cnh_digital"]}],'
  .. '"session_expiration_time_in_minutes":120,"token_expiration_seconds":3600,"open_mode":"iframe"}}'
function request()
  counter = counter + 1
  return wrk.format("POST", "/auth_session_manager/auth_session",
    {["Content-Type"] = "application/json", ["Authorization"] = os.getenv("IDGATE_BENCH_KEY")},
    body_a .. prefix .. counter .. body_b)
end
function done(summary, latency, requests)
  io.write(string.format("WRK_RESULT requests=%d duration_us=%d rps=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f errors_status=%d errors_conn=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
