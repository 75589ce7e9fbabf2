-- N clips of one video, created one after another (so a kill lands mid-batch), waited for
-- together, downloaded. Usage: klip run batch.lua N OUT_DIR
local n, out = tonumber(arg[1]), arg[2]
local session = identify("media/one-face.mp4")
local face = session.faces[1]
local tasks = {}
for i = 1, n do
  tasks[i] = lipsync{
    session = session, face = face, sound_file = "media/speech.wav",
    sound_start_time = 0, sound_end_time = 2500, sound_insert_time = (i - 1) * 100,
  }
  print("created " .. i)
end
local results = wait(tasks)
for i, result in ipairs(results) do
  kling.download(result, ("%s/%02d.mp4"):format(out, i))
end
print("downloaded " .. #results)
