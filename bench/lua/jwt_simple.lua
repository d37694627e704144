-- wrk: POST /oauth/token with grant_type=jwt_simple, a fresh assertion (unique jti, current
-- iat/exp) per request, and HTTP Basic client auth, as the platform's demos send it.
-- Env: CLIENT_ID, CLIENT_SECRET, ENTERPRISE_ID.
-- Run from the repository root (bench/run.sh does).
local base64 = dofile("bench/lua/base64.lua")

local client = os.getenv("CLIENT_ID") .. ":" .. os.getenv("CLIENT_SECRET")
local enterprise = os.getenv("ENTERPRISE_ID") or "1"
local thread_id = 0
local counter = 0
local failures = {}

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Authorization"] = "Basic " .. base64(client)
end

function request()
  counter = counter + 1
  local now = os.time()
  local claims = string.format(
    '{"yifangyun_sub_type":"enterprise","sub":%s,"iat":%d,"exp":%d,"jti":"bench-%d-%d-%d"}',
    enterprise, now, now + 60, tid, now, counter)
  return wrk.format("POST", "/oauth/token?grant_type=jwt_simple&assertion=" .. base64(claims))
end

function response(status, headers, body)
  if status ~= 200 then failures[status] = (failures[status] or 0) + 1 end
end
