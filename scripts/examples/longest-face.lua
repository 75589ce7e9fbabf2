-- Lip-sync the face that is visible longest.
--   klip run scripts/examples/longest-face.lua VIDEO AUDIO [OUT.mp4]
local video, audio, out = arg[1], arg[2], arg[3] or "longest-face.mp4"
if not (video and audio) then
  io.stderr:write("usage: klip run longest-face.lua VIDEO AUDIO [OUT.mp4]\n")
  os.exit(2)
end

local session = identify(video)
assert(#session.faces > 0, "no face found in " .. video)

local best = session.faces[1]
for _, face in ipairs(session.faces) do
  if face.end_time - face.start_time > best.end_time - best.start_time then best = face end
end
kling.log(("face %s is visible longest: %d-%d ms"):format(best.face_id, best.start_time, best.end_time))

-- As much of the audio as fits the face's interval (at least the API's 2 s).
local sound = kling.probe(audio)
local length = math.min(sound.audio_duration or sound.duration, best.end_time - best.start_time)
local task = lipsync{
  session = session, face = best, sound_file = audio,
  sound_start_time = 0, sound_end_time = length, sound_insert_time = best.start_time,
}
local result = wait(task)
print(kling.download(result, out))
