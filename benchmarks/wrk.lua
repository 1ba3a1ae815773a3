-- wrk script of benchmarks/run_http.py: every request a different, valid one.
--
--   wrk -t T -c C -d D -s benchmarks/wrk.lua URL -- MODE DATADIR OFFSET T
--
-- MODE: bare | healthz | scan | rate | checkin. Request number i (from OFFSET, interleaved over the T
-- threads) uses line i of DATADIR's files:
--   scan     GET /api/v1/scan/{code i}                              (scan_codes.txt)
--   rate     POST /api/v1/ratings by citizen i mod C of target i / C   (citizens.txt, rate_codes.txt):
--            a WeChat user rates each target once a day, at most 30 a day, so pairs never repeat
--   checkin  POST /api/v1/shifts/check-in by member i at post i mod P, inside its fence, with
--            a fresh client_id                                      (members.txt, posts.txt)
-- done() prints one line "WRKJSON {…}": latency percentiles (µs), counts of 2xx and other
-- answers, and the next unused OFFSET; "WRKSAMPLE …" shows the first answer that was not 2xx.

local threads = {}

function setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

local function read_lines(path)
   local items = {}
   for line in io.lines(path) do
      if line ~= "" then items[#items + 1] = line end
   end
   return items
end

local function split(line)
   local fields = {}
   for field in line:gmatch("%S+") do fields[#fields + 1] = field end
   return fields
end

function init(args)
   mode, datadir, offset, nthreads = args[1], args[2], tonumber(args[3]), tonumber(args[4])
   counter, ok, bad, sample = 0, 0, 0, ""
   if mode == "scan" then
      codes = read_lines(datadir .. "/scan_codes.txt")
   elseif mode == "rate" then
      citizens = read_lines(datadir .. "/citizens.txt")
      targets = read_lines(datadir .. "/rate_codes.txt")
   elseif mode == "checkin" then
      members = read_lines(datadir .. "/members.txt")
      posts = {}
      for _, line in ipairs(read_lines(datadir .. "/posts.txt")) do posts[#posts + 1] = split(line) end
      run = tostring(os.time())
   end
end

function request()
   local i = offset + counter * nthreads + tid
   counter = counter + 1
   if mode == "scan" then
      return wrk.format("GET", "/api/v1/scan/" .. codes[i % #codes + 1])
   elseif mode == "rate" then
      local citizen = citizens[i % #citizens + 1]
      local target = targets[math.floor(i / #citizens) % #targets + 1]
      -- One rating in 25 is bad (a case opens, the unit's admins are alerted), as in the field.
      local score = (i % 25 == 0) and 2 or (4 + i % 2)
      local tags = (i % 3 == 0) and '["热情","高效"]' or '[]'
      local body = string.format('{"token":"%s","score":%d,"tags":%s}', target, score, tags)
      return wrk.format("POST", "/api/v1/ratings",
                        {["Authorization"] = "Bearer " .. citizen, ["Content-Type"] = "application/json"}, body)
   elseif mode == "checkin" then
      local member = members[i % #members + 1]
      local post = posts[i % #posts + 1]
      local body = string.format('{"token":"%s","client_id":"bench-%s-%d","lat":%s,"lng":%s,"accuracy_m":15}',
                                 post[1], run, i, post[2], post[3])
      return wrk.format("POST", "/api/v1/shifts/check-in",
                        {["Authorization"] = "Bearer " .. member, ["Content-Type"] = "application/json"}, body)
   elseif mode == "healthz" then
      return wrk.format("GET", "/healthz")
   end
   return wrk.format("GET", "/bare")
end

function response(status, headers, body)
   if status >= 200 and status < 300 then
      ok = ok + 1
   else
      bad = bad + 1
      if sample == "" then sample = status .. " " .. string.sub(body or "", 1, 300) end
   end
end

function done(summary, latency, requests)
   local total_ok, total_bad, first_bad, next_offset = 0, 0, "", 0
   for _, thread in ipairs(threads) do
      total_ok = total_ok + thread:get("ok")
      total_bad = total_bad + thread:get("bad")
      if first_bad == "" then first_bad = thread:get("sample") end
      next_offset = math.max(next_offset, thread:get("offset") + thread:get("counter") * thread:get("nthreads"))
   end
   local e = summary.errors
   io.write(string.format(
      'WRKJSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, ' ..
      '"mean_us": %.1f, "ok": %d, "not_2xx": %d, "connect_errors": %d, "read_errors": %d, "write_errors": %d, ' ..
      '"timeouts": %d, "next_offset": %d}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max, latency.mean, total_ok, total_bad, e.connect, e.read, e.write, e.timeout, next_offset))
   if first_bad ~= "" then io.write("WRKSAMPLE " .. first_bad:gsub("\n", " ") .. "\n") end
end
