-- wrk script: valid POST /request submissions without files, each one a
-- form of its own (forms.lua: env CALLIN_FORMS, CALLIN_FORMS_STRIDE).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local forms = dofile(dir .. "forms.lua")
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

local function part(name, value)
  return "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. name ..
         "\"\r\n\r\n" .. value .. "\r\n"
end

local static = ""
for _, f in ipairs(fields) do static = static .. part(f[1], f[2]) end

local threads, nextform = 0, nil
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init()
  nextform = forms.load(tid or 1)
end

function request()
  local csrf, key = nextform()
  local body = part("csrf_token", csrf) .. part("idempotency_key", key) .. static ..
               "--" .. boundary .. "--\r\n"
  return wrk.format("POST", "/request",
    {["Content-Type"] = "multipart/form-data; boundary=" .. boundary}, body)
end
