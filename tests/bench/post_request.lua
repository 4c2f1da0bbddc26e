-- wrk script: valid POST /request submissions without files, each with the
-- form's anti-forgery token (env CALLIN_CSRF) and a fresh idempotency key.
local csrf = os.getenv("CALLIN_CSRF") or ""
local boundary = "----callinbench7MA4YWxkTrZu0gW"
local fields = {
  {"requester_type", "individual"}, {"full_name", "Bench Mark"},
  {"email", "bench@example.org"}, {"proposal_title", "Closure of a ward"},
  {"commissioner", "icb-surrey-heartlands"},
  {"services_affected", "Inpatient beds at Example Community Hospital."},
  {"change_description", "The ward would close and patients move 30 miles away."},
  {"proposal_stage", "consultation"}, {"grounds", "process"},
  {"grounds_statement", "The consultation was two weeks long."},
  {"local_resolution", "We wrote to the ICB and met the chief executive."},
  {"declaration_accurate", "yes"}, {"declaration_sharing", "yes"},
}
local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

local function part(name, value)
  return "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. name ..
         "\"\r\n\r\n" .. value .. "\r\n"
end

local static = ""
for _, f in ipairs(fields) do static = static .. part(f[1], f[2]) end

function setup(thread)
  thread:set("seed", math.random(1, 2^31))
end

function init()
  math.randomseed(seed or os.time())
end

local function key()
  local t = {}
  for i = 1, 22 do
    local n = math.random(1, 64)
    t[i] = alphabet:sub(n, n)
  end
  return table.concat(t)
end

function request()
  local body = part("csrf_token", csrf) .. part("idempotency_key", key()) .. static ..
               "--" .. boundary .. "--\r\n"
  return wrk.format("POST", "/request",
    {["Content-Type"] = "multipart/form-data; boundary=" .. boundary}, body)
end
