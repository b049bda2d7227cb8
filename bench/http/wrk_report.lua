-- wrk script for bench/http/run.sh.
-- Sends "Authorization: Bearer $BENCH_KEY" when BENCH_KEY is set, and at the end prints one
-- machine-readable line:
--   RESULT rps=<req/s> requests=<n> p50_ms=.. p90_ms=.. p99_ms=.. max_ms=.. connect=.. read=..
--          write=.. timeout=.. status=<non-2xx/3xx responses>
local key = os.getenv("BENCH_KEY")
if key ~= nil and key ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. key
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT rps=%.1f requests=%d p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f " ..
    "connect=%d read=%d write=%d timeout=%d status=%d\n",
    summary.requests / (summary.duration / 1e6), summary.requests,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    e.connect, e.read, e.write, e.timeout, e.status))
end
