-- wrk: POST /oauth/token with grant_type=jwt_simple, a fresh assertion (unique jti, current
-- iat/exp) per request, and HTTP Basic client auth, as the platform's demos send it.
-- Env: CLIENT_ID, CLIENT_SECRET, ENTERPRISE_ID.
local alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

local function base64(data)
  local out = {}
  for i = 1, #data, 3 do
    local a, b, c = data:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local chars = {}
    for j = 3, 0, -1 do
      local index = math.floor(n / 64 ^ j) % 64
      chars[#chars + 1] = alphabet:sub(index + 1, index + 1)
    end
    if not b then chars[3] = '='; chars[4] = '=' elseif not c then chars[4] = '=' end
    out[#out + 1] = table.concat(chars)
  end
  return table.concat(out)
end

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
