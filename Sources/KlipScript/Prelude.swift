/// The Lua side of the host, run once per state before the script, as chunk `=[klip]`
/// (frames of that chunk are left out of error positions and tracebacks). It builds the
/// `kling` module from the raw bindings, routes host yields through the script's own
/// coroutines, forces text-mode loading and applies the sandbox.
enum Prelude {
    static let chunkName = "=[klip]"

    static let source = #"""
local B, opts = ...
local sentinel = B.sentinel
local pack, unpack = table.pack, table.unpack
local type, select, error, tostring, pcall = type, select, error, tostring, pcall
local co_create, co_resume, co_yield = coroutine.create, coroutine.resume, coroutine.yield
local co_status, co_isyieldable, co_close = coroutine.status, coroutine.isyieldable, coroutine.close
local registry = debug.getregistry()

-- Errors raised by the bindings: plain tables with a readable tostring.
local ErrorMT = {}
ErrorMT.__name = "klip.error"
ErrorMT.__tostring = function(e)
  local text
  local kind = e.kind
  if kind == "validation" then text = "invalid " .. tostring(e.field or "request") .. ": " .. tostring(e.message)
  elseif kind == "api" then text = "Kling error " .. tostring(e.code or "?") .. ": " .. tostring(e.message)
  elseif kind == "network" then text = "network error: " .. tostring(e.message)
  elseif kind == "timeout" then text = "timed out: " .. tostring(e.message)
  elseif kind == "failed" then text = "task failed: " .. tostring(e.message)
  elseif kind == "cancelled" then text = "cancelled: " .. tostring(e.message)
  else text = tostring(kind or "error") .. ": " .. tostring(e.message) end
  if e.task_id then text = text .. " (task " .. tostring(e.task_id) .. ")" end
  if e.request_id and e.request_id ~= "" then text = text .. " [request " .. tostring(e.request_id) .. "]" end
  return text
end
registry["klip.error"] = ErrorMT

-- A binding waits by yielding `sentinel` to the scheduler. When it runs inside one of
-- the script's own coroutines, that yield arrives here: pass it outward, and pass the
-- scheduler's answer back in, so the host is reached from any depth.
local CANNOT = "cannot wait here: this coroutine is resumed from code that cannot suspend " ..
               "(a table.sort comparator, a string.gsub callback, a metamethod called from C)"
local function forward(co, r)
  while r[1] and r.n == 2 and r[2] == sentinel and co_status(co) == "suspended" do
    if co_isyieldable() then
      r = pack(co_resume(co, co_yield(sentinel)))
    else
      r = pack(co_resume(co, false, CANNOT))
    end
  end
  return r
end
local coroutine_ = {}
for k, v in pairs(coroutine) do coroutine_[k] = v end
coroutine_.resume = function(co, ...)
  local r = forward(co, pack(co_resume(co, ...)))
  return unpack(r, 1, r.n)
end
coroutine_.wrap = function(f)
  local co = co_create(f)
  return function(...)
    local r = forward(co, pack(co_resume(co, ...)))
    if r[1] then return unpack(r, 2, r.n) end
    if co_status(co) == "dead" then co_close(co) end
    -- As Lua's own wrap does: a string error gets the caller's position.
    if type(r[2]) == "string" then error(r[2], 2) end
    error(r[2], 0)
  end
end
coroutine = coroutine_
package.loaded.coroutine = coroutine_

-- The module.
local kling = {}
kling.backend = opts.backend
kling.planning = opts.planning == true
local raw_identify = B.identify
local file_info, upload_builtin, identify_uploaded = B.file_info, B.upload_builtin, B.identify_uploaded
local function is_url(s)
  local l = s:lower()
  return l:sub(1, 7) == "http://" or l:sub(1, 8) == "https://"
end
local function field_error(field, message)
  return setmetatable({ kind = "validation", field = field, message = message }, ErrorMT)
end
-- A local file as a URL: the hook when one is set (kling.uploader), else the built-in S3
-- upload. While planning nothing leaves the machine: the file's own file:// URL.
function kling.upload(path)
  if type(path) ~= "string" or path == "" then error(field_error("path", "kling.upload needs a local file path"), 2) end
  if is_url(path) then return path end
  if path:sub(1, 7) == "file://" then path = path:sub(8) end
  if kling.planning then return "file://" .. path end
  local hook = kling.uploader
  if hook == nil then return upload_builtin(path) end
  if type(hook) ~= "function" then error(field_error("kling.uploader", "must be a function(path, info) that returns a URL"), 2) end
  local url = hook(path, file_info(path))
  if type(url) ~= "string" or not is_url(url) then
    error(field_error("kling.uploader", "must return an http(s) URL; got " .. tostring(url)), 2)
  end
  return url
end
local function local_video(video)
  local v = video
  if type(v) == "table" then v = rawget(v, "video_url") end
  if type(v) == "string" and v ~= "" and not is_url(v) then return v end
  return nil
end
-- Whether identify uploads a local video first (ScriptBackend.localVideos).
local function uploads_local_videos()
  local route = opts.local_videos
  if route == "uploadWhenConfigured" then return kling.uploader ~= nil or opts.builtin_upload end
  return route == "upload"
end
function kling.identify(video)
  local session
  local path = uploads_local_videos() and local_video(video)
  if path then
    session = identify_uploaded(kling.upload(path))
  else
    session = raw_identify(video)
  end
  session.face_data = session.faces
  return session
end
kling.lipsync = B.lipsync
kling.task = B.task
kling.download = B.download
kling.probe = B.probe
kling.sheet = B.sheet
kling.sleep = B.sleep
kling.spawn = B.spawn
kling.json = { encode = B.json_encode, decode = B.json_decode }
for _, name in ipairs(opts.extra or {}) do kling[name] = B[name] end
local is_handle, join, wait_tasks, spawn = B.is_handle, B.join, B.wait_tasks, B.spawn
local raw_log = B.log
function kling.log(...)
  local t = pack(...)
  for i = 1, t.n do t[i] = tostring(t[i]) end
  raw_log(table.concat(t, "\t", 1, t.n))
end

local function join_one(h)
  local ok, r = join(h)
  if not ok then error(r, 0) end
  return r
end
function kling.wait(x, o)
  if is_handle(x) then
    local r = join_one(x)
    return unpack(r, 1, r.n)
  end
  if type(x) == "table" and x.task_id == nil and x[1] ~= nil then
    local handles = false
    for i = 1, #x do if is_handle(x[i]) then handles = true break end end
    if handles then
      -- Tasks wait together in one helper coroutine; handles are joined in order.
      local tasks, at = {}, {}
      for i = 1, #x do
        if not is_handle(x[i]) then tasks[#tasks + 1] = x[i]; at[#at + 1] = i end
      end
      local helper = #tasks > 0 and spawn(wait_tasks, tasks, o) or nil
      local out = {}
      for i = 1, #x do
        if is_handle(x[i]) then out[i] = join_one(x[i])[1] end
      end
      if helper then
        local results = join_one(helper)[1]
        for k, i in ipairs(at) do out[i] = results[k] end
      end
      return out
    end
  end
  return wait_tasks(x, o)
end
kling.error_mt = nil
kling.silences, kling.match = B.silences, B.match
do -- a binary without its resource bundle still runs scripts: only kling.edit is missing
  local edit_source = B.bundled("kling.edit")
  if edit_source then kling.edit = assert(load(edit_source, "=[kling.edit]", "t"))(kling, B) end
  package.loaded["kling.edit"] = kling.edit
end

_G.kling = kling
identify, lipsync, wait = kling.identify, kling.lipsync, kling.wait
package.loaded.kling = kling

-- arg, as the standalone interpreter sets it.
arg = opts.arg

-- Credentials never reach a script, whatever the environment holds.
local raw_getenv = os.getenv
local function secret(name)
  local n = tostring(name):upper()
  return n:find("KLING", 1, true) or n:find("SECRET", 1, true) or n:find("TOKEN", 1, true)
      or n:find("PASSWORD", 1, true) or n:find("API_KEY", 1, true) or n:find("ACCESS_KEY", 1, true)
      or n:find("CREDENTIAL", 1, true)
end
os.getenv = function(name)
  if type(name) ~= "string" or secret(name) then return nil end
  return raw_getenv(name)
end

os.exit = B.exit

-- Text mode only, everywhere a chunk can be loaded.
local raw_load, raw_loadfile = load, loadfile
load = function(chunk, name, mode, ...)
  if select("#", ...) > 0 then return raw_load(chunk, name, "t", ...) end
  return raw_load(chunk, name, "t")
end
loadfile = function(name, mode, ...)
  if select("#", ...) > 0 then return raw_loadfile(name, "t", ...) end
  return raw_loadfile(name, "t")
end
dofile = function(name)
  local f = assert(loadfile(name))
  return f()
end
do
  local searchpath = package.searchpath
  package.searchers[2] = function(name)
    local path, err = searchpath(name, package.path)
    if not path then return err end
    local f, lerr = raw_loadfile(path, "t")
    if not f then error(("error loading module '%s' from file '%s':\n\t%s"):format(name, path, lerr), 2) end
    return f, path
  end
end

if opts.sandbox then
  local keep_os = { time = os.time, clock = os.clock, date = os.date, difftime = os.difftime, exit = os.exit }
  io = nil
  os = keep_os
  debug = nil
  package = nil
  dofile, loadfile, collectgarbage = nil, nil, nil
  string.dump = nil
  local loaded = { kling = kling, string = string, table = table, math = math, utf8 = utf8,
                   coroutine = coroutine_, os = keep_os, ["kling.edit"] = kling.edit }
  require = function(name)
    local m = loaded[name]
    if m == nil then error("module '" .. tostring(name) .. "' is not available in the sandbox", 2) end
    return m
  end
end
registry["klip.kling"] = kling

-- The user's init file (uploader, defaults, helpers), in this state, before the script.
if opts.init_file then
  local f, err = raw_loadfile(opts.init_file, "t")
  if not f then error("init file " .. opts.init_file .. ": " .. tostring(err), 0) end
  f()
end
"""#
}
