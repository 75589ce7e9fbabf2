-- Dub a video of any length with an audio track of any length: Kling-valid segments
-- (2-60 s) cut in the audio's pauses, lip-synced concurrently, joined; silent stretches and
-- stretches without a usable face pass through untouched. A rerun creates no task.
--   klip run scripts/examples/dub-long.lua VIDEO AUDIO OUT.mp4 [INSERT_MS] [EDIT.otio]
local video, audio, out = arg[1], arg[2], arg[3]
if not (video and audio and out) then
  io.stderr:write("usage: klip run dub-long.lua VIDEO AUDIO OUT.mp4 [INSERT_MS] [EDIT.otio]\n")
  os.exit(2)
end
local edit = require "kling.edit"

local r = edit.dub{ video = video, audio = audio, out = out, insert = math.tointeger(tonumber(arg[4] or 0)), otio = arg[5] }
for i, s in ipairs(r.segments) do
  kling.log(("segment %d: %d-%d ms %s %s"):format(i, s.start_time, s.end_time, s.status, s.task_id or ""))
end
kling.log(("%s: %.1f s, of which %.1f s lip-synced (billed)"):format(r.path, r.duration / 1000, r.billed_ms / 1000))
return #r.segments, r.billed_ms
