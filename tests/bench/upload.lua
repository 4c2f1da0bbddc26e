-- wrk script: a valid POST /request with one file of CALLIN_UPLOAD_BYTES
-- bytes (default 10 MiB) of text, each one a form of its own (forms.lua:
-- env CALLIN_FORMS, CALLIN_FORMS_STRIDE).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local forms = dofile(dir .. "forms.lua")
local size = tonumber(os.getenv("CALLIN_UPLOAD_BYTES") or "10485760")
local boundary = "----callinbenchUpload0Zq8"
local line = "Evidence line for the benchmark upload, plain UTF-8 text.\n"
local file = string.rep(line, math.floor(size / #line))
file = file .. string.rep("x", size - #file)
local function part(name, value)
  return "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. name ..
         "\"\r\n\r\n" .. value .. "\r\n"
end
local static = part("requester_type", "individual") .. part("full_name", "Bench Mark") ..
  part("email", "bench@example.org") .. part("proposal_title", "Closure of a ward") ..
  part("commissioner", "icb-surrey-heartlands") ..
  part("services_affected", "Inpatient beds.") .. part("change_description", "Ward closes.") ..
  part("proposal_stage", "consultation") .. part("grounds", "process") ..
  part("grounds_statement", "Short consultation.") .. part("local_resolution", "Wrote to the ICB.") ..
  part("declaration_accurate", "yes") .. part("declaration_sharing", "yes") ..
  "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"evidence.txt\"\r\n" ..
  "Content-Type: text/plain\r\n\r\n" .. file .. "\r\n--" .. boundary .. "--\r\n"
local threads, nextform = 0, nil
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function init() nextform = forms.load(tid or 1) end
function request()
  local csrf, key = nextform()
  return wrk.format("POST", "/request",
    {["Content-Type"] = "multipart/form-data; boundary=" .. boundary},
    part("csrf_token", csrf) .. part("idempotency_key", key) .. static)
end
