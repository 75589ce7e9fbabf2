-- Fit an audio clip into a face's interval and centre it there.
--   klip run scripts/examples/fit-audio.lua VIDEO AUDIO [FACE_ID] [OUT.mp4]
-- The clip is the audio's start, cut to the interval when it is longer; it is placed so
-- the silence before and after it within the interval is equal.
local video, audio, face_id, out = arg[1], arg[2], arg[3], arg[4] or "fit-audio.mp4"
if not (video and audio) then
  io.stderr:write("usage: klip run fit-audio.lua VIDEO AUDIO [FACE_ID] [OUT.mp4]\n")
  os.exit(2)
end

local MIN_CLIP = 2000 -- the API's shortest clip, ms

local session = identify(video)
local face = session.faces[1]
for _, f in ipairs(session.faces) do
  if f.face_id == face_id then face = f end
end
assert(face, "no face found in " .. video)

local v = kling.probe(video)
local a = kling.probe(audio)
local audio_ms = a.audio_duration or a.duration
-- The face interval may overshoot the video by a few ms: never place audio past its end.
local from, to = face.start_time, math.min(face.end_time, v.duration)
local room = to - from
if room < MIN_CLIP then
  error(("face %s is visible for %d ms only; a clip needs %d ms"):format(face.face_id, room, MIN_CLIP))
end

local clip = math.max(MIN_CLIP, math.min(audio_ms, room))
local insert = from + (room - clip) // 2
kling.log(("face %s: %d-%d ms; %d ms of audio at %d ms"):format(face.face_id, from, to, clip, insert))

local result = wait(lipsync{
  session = session, face = face, sound_file = audio,
  sound_start_time = 0, sound_end_time = clip, sound_insert_time = insert,
})
print(kling.download(result, out))
return insert, clip
