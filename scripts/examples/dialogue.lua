-- A dialogue: several speakers in one shot, one task per turn. Each turn lip-syncs only a
-- short segment around its own line, on the face that kling.match finds for the speaker's
-- photo (or face table) in that segment; everything else is the original.
--   klip run scripts/examples/dialogue.lua VIDEO OUT.mp4 PHOTO AUDIO INSERT_MS [PHOTO AUDIO INSERT_MS ...]
local video, out = arg[1], arg[2]
if not (video and out and arg[5]) or (#arg - 2) % 3 ~= 0 then
  io.stderr:write("usage: klip run dialogue.lua VIDEO OUT.mp4 PHOTO AUDIO INSERT_MS [PHOTO AUDIO INSERT_MS ...]\n")
  os.exit(2)
end

local turns = {}
for i = 3, #arg, 3 do
  turns[#turns + 1] = { face = arg[i], audio = arg[i + 1], insert = math.tointeger(tonumber(arg[i + 2])) }
end
local r = kling.edit.dialogue{ video = video, out = out, turns = turns, otio = out:gsub("%.mp4$", "") .. ".otio" }
for i, t in ipairs(r.turns) do
  kling.log(("turn %d: face %s (distance %.2f), %d-%d ms, task %s"):format(i, t.face_id, t.distance, t.start_time,
                                                                           t.end_time, t.task_id))
end
return #r.turns, r.billed_ms, r.duration
