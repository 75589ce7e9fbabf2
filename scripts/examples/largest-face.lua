-- Lip-sync the largest face: each face's crop is probed for its size in pixels.
--   klip run scripts/examples/largest-face.lua VIDEO AUDIO [OUT.mp4]
local video, audio, out = arg[1], arg[2], arg[3] or "largest-face.mp4"
if not (video and audio) then
  io.stderr:write("usage: klip run largest-face.lua VIDEO AUDIO [OUT.mp4]\n")
  os.exit(2)
end

local session = identify(video)
assert(#session.faces > 0, "no face found in " .. video)

-- Probe the crops concurrently: one coroutine each.
local probes = {}
for i, face in ipairs(session.faces) do probes[i] = kling.spawn(kling.probe, face.face_image) end
local sizes = wait(probes)

local best, best_area = nil, -1
for i, face in ipairs(session.faces) do
  local area = (sizes[i].width or 0) * (sizes[i].height or 0)
  kling.log(("face %s: crop %dx%d, %d-%d ms"):format(face.face_id, sizes[i].width or 0, sizes[i].height or 0,
                                                      face.start_time, face.end_time))
  if area > best_area then best, best_area = face, area end
end

local sound = kling.probe(audio)
local length = math.min(sound.audio_duration or sound.duration, best.end_time - best.start_time)
local result = wait(lipsync{
  session = session, face = best, sound_file = audio,
  sound_start_time = 0, sound_end_time = length, sound_insert_time = best.start_time,
})
print(kling.download(result, out))
