-- One form per request for the wrk scripts: each form's anti-forgery token
-- with the idempotency key issued with it (the service refuses a key sent
-- with another token, and a form sent twice stores one request).  The file
-- in env CALLIN_FORMS has one "token key" line per form (harness.mint_forms);
-- thread k of CALLIN_FORMS_STRIDE (default 1) takes lines k, k + stride, ...
-- When they run out, forms go with an empty token: the service answers 403,
-- which wrk reports as non-2xx, so a test or bench short of forms shows it.
local M = {}

-- Read this thread's share of the forms; tid counts from 1.
function M.load(tid)
  local path = os.getenv("CALLIN_FORMS") or ""
  local stride = tonumber(os.getenv("CALLIN_FORMS_STRIDE") or "1")
  local list, n = {}, 0
  local f = io.open(path, "r")
  if f then
    for line in f:lines() do
      n = n + 1
      if (n - 1) % stride == (tid - 1) % stride then
        list[#list + 1] = line
      end
    end
    f:close()
  end
  local at = 0
  return function()
    at = at + 1
    local line = list[at]
    if line == nil then return "", "" end
    return line:match("^(%S+) (%S+)$")
  end
end

return M
