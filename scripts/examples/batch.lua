-- A batch from a CSV manifest, every clip at once, results downloaded.
--   klip run scripts/examples/batch.lua MANIFEST.csv [OUT_DIR]
-- Manifest columns (a header line first): video,audio,face,insert,out
--   face:   a face_id, or "longest" (default), or "largest"
--   insert: ms into the video, or empty to centre the audio in the face's interval
--   out:    the result's file name in OUT_DIR (default: <row>.mp4)
-- Each video is identified once however many rows use it.
local manifest, out_dir = arg[1], arg[2] or "out"
if not manifest then
  io.stderr:write("usage: klip run batch.lua MANIFEST.csv [OUT_DIR]\n")
  os.exit(2)
end

local function split(line)
  local fields = {}
  for field in (line .. ","):gmatch("([^,]*),") do fields[#fields + 1] = field:match("^%s*(.-)%s*$") end
  return fields
end

local rows, header = {}, nil
for line in io.lines(manifest) do
  if line:match("%S") and not line:match("^%s*#") then
    local fields = split(line)
    if not header then
      header = fields
    else
      local row = {}
      for i, name in ipairs(header) do row[name] = fields[i] ~= "" and fields[i] or nil end
      rows[#rows + 1] = row
    end
  end
end
kling.log(("%d clips in %s"):format(#rows, manifest))
os.execute(("mkdir -p %q"):format(out_dir))

-- One identify per video, shared by the rows that use it (the first asker does the call).
local sessions = {}
local function session_for(video)
  local entry = sessions[video]
  if not entry then
    entry = kling.spawn(identify, video)
    sessions[video] = entry
  end
  return wait(entry)
end

local function pick(session, how)
  local best, score = nil, -1
  for _, face in ipairs(session.faces) do
    if face.face_id == how then return face end
    local s = face.end_time - face.start_time
    if how == "largest" then
      local crop = kling.probe(face.face_image)
      s = (crop.width or 0) * (crop.height or 0)
    end
    if s > score then best, score = face, s end
  end
  return best
end

-- Kling runs a limited number of tasks at once per account; over it, lipsync waits for a
-- free slot, so every row can simply ask. Every lipsync goes into the journal with an
-- external_task_id derived from what it asks for, so a rerun after a crash (or after
-- success) pays for nothing twice: finished rows come back at once.

local function run(i, row)
  local session = session_for(row.video)
  local face = assert(pick(session, row.face or "longest"), "no face in " .. row.video)
  local audio_ms = kling.probe(row.audio).audio_duration
  local room = face.end_time - face.start_time
  local clip = math.max(2000, math.min(audio_ms, room))
  local insert = tonumber(row.insert) or face.start_time + math.max(0, room - clip) // 2
  local task = lipsync{
    session = session, face = face, sound_file = row.audio,
    sound_start_time = 0, sound_end_time = clip, sound_insert_time = insert,
    external_task_id = row.id,  -- optional: the journal derives one when it is nil
  }
  local result = wait(task)
  local path = kling.download(result, out_dir .. "/" .. (row.out or (i .. ".mp4")))
  return {row = i, task_id = task.task_id, path = path}
end

local handles = {}
for i, row in ipairs(rows) do handles[i] = kling.spawn(run, i, row) end

-- Wait for each; one failure does not stop the others.
local failed = 0
for i, h in ipairs(handles) do
  local ok, res = pcall(wait, h)
  if ok then
    print(("%d\t%s\t%s"):format(i, res.task_id, res.path))
  else
    failed = failed + 1
    io.stderr:write(("row %d failed: %s\n"):format(i, tostring(res)))
  end
end
kling.log(("%d done, %d failed"):format(#rows - failed, failed))
if failed > 0 then os.exit(1) end
