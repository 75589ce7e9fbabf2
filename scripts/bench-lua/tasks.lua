-- N lip-sync tasks in flight from one script against `klip serve --render none`:
-- created from N coroutines at once, waited for together. Prints wall time and peak RSS.
local n = tonumber(arg[1]) or 1000
local session = identify("media/one-face.mp4")
local face = session.faces[1]
local handles = {}
for i = 1, n do
  handles[i] = kling.spawn(function()
    return lipsync{
      session = session, face = face, sound_file = "media/speech.wav",
      sound_start_time = 0, sound_end_time = 2500, sound_insert_time = i - 1,
    }
  end)
end
local tasks = wait(handles)
local results = wait(tasks, {interval = 1})
local done = 0
for _, r in ipairs(results) do if r.task_status == "succeed" then done = done + 1 end end
local status = io.open("/proc/self/status"):read("a")
print(("tasks=%d succeeded=%d peak_rss_kb=%s"):format(n, done, status:match("VmHWM:%s*(%d+)")))
