-- The same person through several clips: each clip of a manifest is identified, the face
-- that is the speaker (kling.match against a photo, or the speaker's face in the first clip)
-- is lip-synced, clips where the speaker is absent are skipped. Face ids differ from
-- session to session; the face descriptor does not.
--   klip run scripts/examples/match-speaker.lua MANIFEST.csv PHOTO AUDIO
-- MANIFEST.csv: a header line, then `video,out` per clip (relative paths are from the manifest's folder).
local manifest, photo, audio = arg[1], arg[2], arg[3]
if not (manifest and photo and audio) then
  io.stderr:write("usage: klip run match-speaker.lua MANIFEST.csv PHOTO AUDIO\n")
  os.exit(2)
end
local base = manifest:match("^(.*/)") or ""
local function at(path) return path:sub(1, 1) == "/" and path or base .. path end
local clips = {}
for line in io.lines(manifest) do
  local video, out = line:match("^%s*([^,]+),%s*([^,]+)%s*$")
  if video and video ~= "video" then clips[#clips + 1] = { video = at(video), out = at(out) } end
end

local sound = kling.probe(audio)
local jobs = {}
for i, clip in ipairs(clips) do
  jobs[i] = kling.spawn(function()
    local session = identify(clip.video)
    local face, distance = kling.match(photo, session)
    if not face then
      kling.log(("%s: the speaker is not in this clip (nearest %.2f)"):format(clip.video, distance or -1))
      return "absent"
    end
    local length = math.min(sound.audio_duration, face.end_time - face.start_time)
    local result = wait(lipsync{ session = session, face = face, sound_file = audio, sound_start_time = 0,
                                 sound_end_time = length, sound_insert_time = face.start_time })
    kling.download(result, clip.out)
    kling.log(("%s: face %s (distance %.2f) -> %s"):format(clip.video, face.face_id, distance, clip.out))
    return face.face_id
  end)
end
local faces = {}
for i = 1, #clips do faces[i] = wait(jobs[i]) end
return table.concat(faces, ",")
