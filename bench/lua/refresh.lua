-- wrk: POST /oauth/token with grant_type=refresh_token. Each answer's new refresh token goes
-- back into the thread's pool, so every request presents an unused token (rotation).
-- Env: CLIENT_ID, CLIENT_SECRET, REFRESH_TOKENS_FILE (one refresh token per line).
-- Run from the repository root (bench/run.sh does).
local base64 = dofile("bench/lua/base64.lua")

local threads = 0
local pool = {}

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  local index = 0
  local count = tonumber(os.getenv("WRK_THREADS_N") or "2")
  for line in io.lines(os.getenv("REFRESH_TOKENS_FILE")) do
    index = index + 1
    if index % count == tid - 1 then pool[#pool + 1] = line end
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Authorization"] = "Basic " .. base64(os.getenv("CLIENT_ID") .. ":" .. os.getenv("CLIENT_SECRET"))
end

function request()
  local token = table.remove(pool, 1) or "exhausted"
  return wrk.format(nil, "/oauth/token", nil, "grant_type=refresh_token&refresh_token=" .. token)
end

function response(status, headers, body)
  if status == 200 then
    local token = body:match('"refresh_token":"([^"]+)"')
    if token then pool[#pool + 1] = token end
  end
end
