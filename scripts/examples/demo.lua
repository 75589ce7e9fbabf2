-- The main job: find the faces, pick the one visible longest, centre the speech in its
-- interval, lip-sync, wait, download — saying what it does at each step.
--   klip run scripts/examples/demo.lua VIDEO AUDIO [OUT.mp4]
local video, audio, out = arg[1], arg[2], arg[3] or "demo.mp4"
if not (video and audio) then
  io.stderr:write("usage: klip run demo.lua VIDEO AUDIO [OUT.mp4]\n")
  os.exit(2)
end

local session = identify(video)
kling.log(("%s: %d face(s) in session %s"):format(video, #session.faces, session.session_id))
for _, f in ipairs(session.faces) do
  kling.log(("  face %s visible %d-%d ms"):format(f.face_id, f.start_time, f.end_time))
end
assert(#session.faces > 0, "no face found in " .. video)
local sheet = kling.sheet(session, (out:gsub("%.mp4$", "")) .. "-faces.png")
kling.log("contact sheet: " .. sheet)

local face = session.faces[1]
for _, f in ipairs(session.faces) do
  if f.end_time - f.start_time > face.end_time - face.start_time then face = f end
end

-- As much speech as fits the interval (at least the API's 2 s), centred in it.
local speech = kling.probe(audio).audio_duration
local room = math.min(face.end_time, kling.probe(video).duration) - face.start_time
local clip = math.max(2000, math.min(speech, room))
local insert = face.start_time + math.max(0, room - clip) // 2
kling.log(("face %s (longest visible): %d ms of speech at %d ms"):format(face.face_id, clip, insert))

local task = lipsync{
  session = session, face = face, sound_file = audio,
  sound_start_time = 0, sound_end_time = clip, sound_insert_time = insert,
  original_audio_volume = 0.3,
}
kling.log(("task %s created (%s)"):format(task.task_id, task.external_task_id or "-"))
local result = wait(task, {on_status = function(s) kling.log("task " .. s.task_status) end})
print(kling.download(result, out))
