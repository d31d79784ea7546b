-- wrk script: POST the same JSON body on every request.
-- bench/run writes the body to a file and names it in BENCH_BODY; reading it here (once
-- per wrk thread, at load) keeps this script free of generated text.
local path = assert(os.getenv("BENCH_BODY"), "BENCH_BODY is not set")
local file = assert(io.open(path, "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
-- No response() hook: it would run Lua per response and slow wrk down on a 2-core
-- machine. wrk's own "Non-2xx or 3xx responses" line counts the failures we care about.
