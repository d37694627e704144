-- wrk script: the mixed traffic of bench/load.sh, with "Authorization: Bearer $BEARER".
-- Each logical operation is picked at random: 60 % metadata reads (GET file/{id}/info over
-- $FILE_IDS), 20 % listings (GET folder/{id}/children over $FOLDER_IDS), 10 % uploads of 1 MiB
-- into $UPLOAD_FOLDER (file/upload, then the bytes to its presign_url) and 10 % downloads (file/
-- {id}/download, then the bytes from its download_url). A second step goes out on the thread's
-- next request. Answers are tallied per kind and status and printed at the end. The kind is read
-- off the answer itself, because wrk calls request() once more than it sends (to check the
-- script), so a queue of what was sent would drift from what is answered.
local function ids(name)
  local list = {}
  for id in string.gmatch(os.getenv(name) or "", "%d+") do list[#list + 1] = id end
  return list
end

local threads = {}
function setup(thread)
  thread:set("thread_id", #threads + 1)
  threads[#threads + 1] = thread
end

local bearer, files, folders, upload_folder, boundary, upload_body
local pending = {}   -- second steps waiting: {path, kind}
tally = {}
local counter = 0

function init(args)
  bearer = "Bearer " .. (os.getenv("BEARER") or "")
  files = ids("FILE_IDS")
  folders = ids("FOLDER_IDS")
  upload_folder = os.getenv("UPLOAD_FOLDER") or "0"
  boundary = "openpanbench" .. thread_id
  local payload = string.rep(string.char(65 + thread_id % 26), 1024 * 1024)
  upload_body = "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n" ..
    "Content-Type: application/octet-stream\r\n\r\n" .. payload .. "\r\n--" .. boundary .. "--\r\n"
  math.randomseed(os.time() + thread_id * 7919)
end

local function path_of(url)
  return string.match(url, "^https?://[^/]+(/.*)$")
end

function request()
  local next_step = table.remove(pending, 1)
  if next_step then
    if next_step.kind == "upload_bytes" then
      return wrk.format("POST", next_step.path,
        { ["Content-Type"] = "multipart/form-data; boundary=" .. boundary }, upload_body)
    end
    return wrk.format("GET", next_step.path, {})
  end
  local roll = math.random(100)
  local auth = { ["Authorization"] = bearer }
  if roll <= 60 then
    return wrk.format("GET", "/api/v2/file/" .. files[math.random(#files)] .. "/info", auth)
  elseif roll <= 80 then
    return wrk.format("GET", "/api/v2/folder/" .. folders[math.random(#folders)] ..
      "/children?page_id=0&page_capacity=20", auth)
  elseif roll <= 90 then
    counter = counter + 1
    auth["Content-Type"] = "application/json"
    local body = '{"parent_id":' .. upload_folder .. ',"name":"load-' .. thread_id .. "-" .. os.time() ..
      "-" .. counter .. '.bin","upload_type":"api"}'
    return wrk.format("POST", "/api/v2/file/upload", auth, body)
  else
    return wrk.format("GET", "/api/v2/file/" .. files[math.random(#files)] .. "/download", auth)
  end
end

-- What an answer is: the bytes of a download, a URL, a listing, the file an upload made (only
-- uploads have names starting "load-": the seeded files and every folder are named otherwise),
-- or a file's info.
local function kind_of(status, headers, body)
  if status ~= 200 then return "failed" end
  local content_type = headers["Content-Type"] or headers["content-type"] or ""
  if string.find(content_type, "octet-stream", 1, true) then return "download_bytes" end
  if string.find(body, '"presign_url"', 1, true) then return "upload_url" end
  if string.find(body, '"download_url"', 1, true) then return "download_url" end
  if string.sub(body, 1, 9) == '{"files":' then return "children" end
  if string.find(body, '"name":"load-', 1, true) then return "upload_bytes" end
  return "info"
end

function response(status, headers, body)
  local kind = kind_of(status, headers, body)
  local key = kind .. " " .. status
  tally[key] = (tally[key] or 0) + 1
  if kind == "upload_url" then
    local url = string.match(body, '"presign_url"%s*:%s*"([^"]+)"')
    if url then pending[#pending + 1] = { path = path_of(url), kind = "upload_bytes" } end
  elseif kind == "download_url" then
    local url = string.match(body, '"download_url"%s*:%s*"([^"]+)"')
    if url then pending[#pending + 1] = { path = path_of(url), kind = "download_bytes" } end
  end
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    for key, count in pairs(thread:get("tally")) do totals[key] = (totals[key] or 0) + count end
  end
  local keys = {}
  for key in pairs(totals) do keys[#keys + 1] = key end
  table.sort(keys)
  for _, key in ipairs(keys) do io.write(string.format("tally\t%s\t%d\n", key, totals[key])) end
  io.write(string.format("latency\tp50_ms\t%.2f\n", latency:percentile(50) / 1000))
  io.write(string.format("latency\tp99_ms\t%.2f\n", latency:percentile(99) / 1000))
  io.write(string.format("requests\tper_sec\t%.1f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("errors\tsocket\t%d\n", summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
end
