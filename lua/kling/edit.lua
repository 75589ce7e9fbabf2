-- kling.edit: multi-clip edits on top of the bindings (shipped inside klip, loaded from its
-- resources). Long-form dubbing in Kling-valid segments, dialogue turns that pay only for
-- the seconds that speak, and OpenTimelineIO timelines of the result.
local kling, B = ...
local ErrorMT = debug.getregistry()["klip.error"]
local floor, max, min, ceil = math.floor, math.max, math.min, math.ceil

local M = {}
M.cut = B.edit_cut
M.concat = B.edit_concat
M.cut_audio = B.edit_cut_audio

-- Kling's limits on one task's video (ms).
local SHORTEST, LONGEST = 2000, 60000

local function fail(field, message)
  error(setmetatable({ kind = "validation", field = field, message = message }, ErrorMT), 3)
end

local function need_string(o, name, what)
  if type(o[name]) ~= "string" or o[name] == "" then fail(name, what .. " needs " .. name .. " = a path") end
  return o[name]
end

local function need_ms(o, name, default)
  local v = o[name]
  if v == nil then return default end
  if math.type(v) ~= "integer" and not (type(v) == "number" and v == floor(v)) or v < 0 then
    fail(name, "must be an integer number of milliseconds >= 0")
  end
  return floor(v)
end

-- Frame-boundary arithmetic: every cut falls between two frames.
local function framer(fps)
  local f = { fps = fps }
  function f.index(ms) return floor(ms * fps / 1000 + 0.5) end
  function f.ms(i) return floor(i * 1000 / fps + 0.5) end
  function f.snap(ms) return f.ms(f.index(ms)) end
  return f
end

-- A scratch folder beside the output, one per output file.
local function scratch(out)
  return out .. ".parts"
end

local function mkdir(dir)
  B.edit_write(dir .. "/.keep", "")
end

-- A cut wants the chosen face on screen this long on each side of it.
local SIDE = 1000

-- Whether the face is seen from SIDE before `t` to SIDE after it. spans: {{from, to}, ...}.
local function seen_around(spans, t)
  for _, s in ipairs(spans) do
    if s[1] <= t - SIDE and s[2] >= t + SIDE then return true end
  end
  return false
end

-- A pause's middle in [lo, hi] that passes `ok`: the longest pause in the last 15 s before
-- the limit (a breath between sentences rather than between words), else the latest pause.
local function pause_cut(pauses, lo, hi, snap, ok)
  local cut, best
  for _, p in ipairs(pauses) do
    local mid, len = snap((p.start_time + p.end_time) // 2), p.end_time - p.start_time
    if mid >= max(lo, hi - 15000) and mid <= hi and (best == nil or len >= best) and ok(mid) then cut, best = mid, len end
  end
  if cut then return cut end
  for _, p in ipairs(pauses) do
    local mid = snap((p.start_time + p.end_time) // 2)
    if mid >= lo and mid <= hi and (cut == nil or mid > cut) and ok(mid) then cut = mid end
  end
  return cut
end

-- The point in [lo, hi] nearest `want` with the face on both sides, or nil.
local function face_cut(spans, lo, hi, want, snap)
  local cut
  for _, s in ipairs(spans) do
    local a, b = max(lo, s[1] + SIDE), min(hi, s[2] - SIDE)
    if a <= b then
      local t = snap(min(max(want, a), b))
      if t >= a and t <= b and (cut == nil or math.abs(t - want) < math.abs(cut - want)) then cut = t end
    end
  end
  return cut
end

-- Where to split [pos, stop), longer than Kling allows, and why, best first: a pause with
-- the face on both sides ("pause_face"), any pause ("pause"), the face on both sides nearest
-- an even split ("face"), an even split ("even"). spans nil: the face is not known yet.
local function split_point(pos, stop, pauses, spans, snap)
  local lo, hi = pos + SHORTEST, min(pos + LONGEST, stop - SHORTEST)
  local even = snap(pos + (stop - pos) / ceil((stop - pos) / LONGEST))
  local cut = spans and pause_cut(pauses, lo, hi, snap, function(t) return seen_around(spans, t) end)
  if cut then return cut, "pause_face" end
  cut = pause_cut(pauses, lo, hi, snap, function() return true end)
  if cut then return cut, "pause" end
  cut = spans and face_cut(spans, lo, hi, even, snap)
  if cut then return cut, "face" end
  return even, "even"
end

-- Cut points for [0, duration): the given boundaries first (where the speech starts and
-- ends), then every piece longer than Kling allows split by split_point. Each segment says
-- why it starts where it does (cut = "start", "speech" or split_point's reason).
local function plan(duration, boundaries, pauses, snap, spans)
  local points = { 0 }
  table.sort(boundaries)
  for _, b in ipairs(boundaries) do
    b = snap(b)
    if b - points[#points] >= SHORTEST and duration - b >= SHORTEST then points[#points + 1] = b end
  end
  points[#points + 1] = duration
  local out, why = { 0 }, { "start" }
  for k = 2, #points do
    local pos, stop = out[#out], points[k]
    while stop - pos > LONGEST do
      local cut, reason = split_point(pos, stop, pauses, spans, snap)
      if cut - pos > LONGEST then cut = cut - snap(1000) end
      out[#out + 1], why[#why + 1] = cut, reason
      pos = cut
    end
    out[#out + 1], why[#why + 1] = stop, "speech"
  end
  local segments = {}
  for k = 1, #out - 1 do segments[k] = { start_time = out[k], end_time = out[k + 1], cut = why[k] } end
  return segments
end

local function inside_pause(a, b, pauses)
  for _, p in ipairs(pauses) do
    if p.start_time <= a and p.end_time >= b then return true end
  end
  return false
end

local function pick_face(choice, session)
  if choice == nil then return session.faces[1] end
  if type(choice) == "number" then return session.faces[choice] end
  if type(choice) == "function" then return choice(session) end
  if type(choice) == "table" then return (kling.match(choice, session)) end
  return nil
end

local function overlap(a0, a1, b0, b1) return min(a1, b1) - max(a0, b0) end

-- Joins the rendered pieces and writes the timeline when asked.
local function assemble(pieces, out, otio)
  local paths = {}
  for i, p in ipairs(pieces) do paths[i] = p.file end
  M.concat(paths, out)
  if otio then M.timeline(otio, pieces) end
end

-- dub's spec checked, with what every segment needs: the speech on the video's timeline,
-- the pauses, and the parts already cut and identified (by range).
local function dub_job(o)
  if type(o) ~= "table" then fail("spec", "kling.edit.dub needs a table {video =, audio =, out =}") end
  local video, audio, out = need_string(o, "video", "dub"), need_string(o, "audio", "dub"), need_string(o, "out", "dub")
  -- A face choice dub cannot read would otherwise match no face and pass everything through.
  local choice = o.face
  if choice ~= nil and type(choice) ~= "function" and type(choice) ~= "table"
     and not (math.type(choice) == "integer" and choice >= 1) then
    fail("face", "must be nil, a position in each segment's faces (1, 2, ...), a face table or a function(session) -> face; got "
         .. (type(choice) == "number" and tostring(choice) or "a " .. type(choice)))
  end
  local audio_start, insert = need_ms(o, "audio_start", 0), need_ms(o, "insert", 0)
  local vi, ai = kling.probe(video), kling.probe(audio)
  if not vi.fps then fail("video", video .. " has no video stream") end
  if not ai.has_audio then fail("audio", audio .. " has no audio stream") end
  local fr = framer(vi.fps)
  local duration = fr.ms(fr.index(vi.duration))
  local speech_to = min(duration, insert + ai.audio_duration - audio_start)
  if speech_to - insert < SHORTEST then fail("audio", "less than 2 s of the audio lands inside the video") end
  local pauses = {}
  for _, p in ipairs(kling.silences(audio)) do
    pauses[#pauses + 1] = { start_time = p.start_time - audio_start + insert, end_time = p.end_time - audio_start + insert }
  end
  return { video = video, audio = audio, out = out, choice = choice, audio_start = audio_start, insert = insert,
           speech_from = insert, speech_to = speech_to, pauses = pauses, duration = duration, fr = fr,
           dir = scratch(out), parts = {} }
end

-- The dub's speech inside [s, e), or nil when nobody speaks there.
local function speech_in(job, s, e)
  local a0, a1 = max(s, job.speech_from), min(e, job.speech_to)
  if a1 - a0 < SHORTEST or inside_pause(a0, a1, job.pauses) then return nil end
  return a0, a1
end

-- [s, e) cut out and identified, with the face the choice picks there (nil: none). Kept by
-- range, so a final plan reuses what the face scan already did.
local function prepare(job, s, e)
  local key = s .. "-" .. e
  if job.parts[key] then return job.parts[key] end
  local part = M.cut(job.video, s, e, ("%s/part-%d-%d.mp4"):format(job.dir, s, e))
  local session = kling.identify(part)
  local face = #session.faces > 0 and pick_face(job.choice, session) or nil
  job.parts[key] = { part = part, session = session, face = face }
  return job.parts[key]
end

-- Where the chosen face is on the video's timeline, from the speaking segments of a first
-- plan (the dub identifies them anyway): {{from, to}, ...}, one span where a segment's face
-- runs into the next segment's (within two frames).
local function face_spans(job, segments)
  local jobs = {}
  for _, seg in ipairs(segments) do
    if speech_in(job, seg.start_time, seg.end_time) then
      jobs[#jobs + 1] = kling.spawn(function()
        local f = prepare(job, seg.start_time, seg.end_time).face
        if f then return seg.start_time + f.start_time, seg.start_time + f.end_time end
      end)
    end
  end
  local spans, merged = {}, {}
  for _, j in ipairs(jobs) do
    local a, b = kling.wait(j)
    if a then spans[#spans + 1] = { a, b } end
  end
  table.sort(spans, function(x, y) return x[1] < y[1] end)
  local slack = job.fr.ms(2)
  for _, s in ipairs(spans) do
    local last = merged[#merged]
    if last and s[1] <= last[2] + slack then last[2] = max(last[2], s[2]) else merged[#merged + 1] = s end
  end
  return merged
end

local fallback = {
  pause = "in a pause without the face on screen 1 s either side (no pause in reach has it)",
  face = "in speech, with the face on both sides (no pause in reach)",
  even = "in speech, evenly (neither a pause nor the face in reach)",
}

-- The segments: a first plan on the pauses alone; when it has to split the speech, the face
-- spans of its segments, then the plan again preferring cuts with the face on both sides.
local function dub_plan(job)
  local bounds = { job.speech_from, job.speech_to }
  local segments = plan(job.duration, bounds, job.pauses, job.fr.snap)
  local splits = false
  for _, seg in ipairs(segments) do splits = splits or (seg.cut ~= "start" and seg.cut ~= "speech") end
  if not splits then return segments end
  segments = plan(job.duration, bounds, job.pauses, job.fr.snap, face_spans(job, segments))
  for _, seg in ipairs(segments) do
    if fallback[seg.cut] then kling.log(("dub: cut at %d ms %s"):format(seg.start_time, fallback[seg.cut])) end
  end
  return segments
end

-- One segment: untouched when nobody speaks or no face can take the speech (visible for
-- less than 2 s of it), else lip-synced. Returns the file, status, task id and face id.
local function dub_segment(job, seg, i)
  local s, e = seg.start_time, seg.end_time
  local a0, a1 = speech_in(job, s, e)
  if not a0 then return M.cut(job.video, s, e, ("%s/part-%d-%d.mp4"):format(job.dir, s, e)), "silent" end
  local p = prepare(job, s, e)
  local at, length = a0 - s, a1 - a0
  if p.face == nil or overlap(at, at + length, p.face.start_time, p.face.end_time) < SHORTEST then return p.part, "no_face" end
  local piece = M.cut_audio(job.audio, a0 - job.insert + job.audio_start, a1 - job.insert + job.audio_start,
                            ("%s/sound-%03d.wav"):format(job.dir, i))
  local task = kling.lipsync{ session = p.session, face = p.face, sound_file = piece, sound_start_time = 0,
                              sound_end_time = length, sound_insert_time = at }
  local file = ("%s/synced-%03d.mp4"):format(job.dir, i)
  kling.download(kling.wait(task), file)
  return file, "lipsynced", task.task_id, p.face.face_id
end

function M.dub(o)
  local job = dub_job(o)
  mkdir(job.dir)
  local segments = dub_plan(job)
  local jobs = {}
  for i, seg in ipairs(segments) do jobs[i] = kling.spawn(dub_segment, job, seg, i) end
  local pieces, billed = {}, 0
  for i, seg in ipairs(segments) do
    local file, status, task_id, face_id = kling.wait(jobs[i])
    seg.status, seg.task_id, seg.face_id = status, task_id, face_id
    if status == "lipsynced" then billed = billed + seg.end_time - seg.start_time end
    pieces[i] = { start_time = seg.start_time, end_time = seg.end_time, file = file,
                  path = status == "lipsynced" and file or nil, source = job.video, source_start = seg.start_time }
  end
  assemble(pieces, job.out, o.otio)
  return { path = job.out, segments = segments, billed_ms = billed, duration = job.duration }
end

-- The turns checked and in time order; turns that overlap (or touch within a frame) are an
-- error naming both.
local function parse_turns(list, duration, frame)
  local turns = {}
  for i, t in ipairs(list) do
    local name = ("turns[%d]"):format(i)
    if type(t) ~= "table" then fail(name, "must be a table {face =, audio =, insert =}") end
    if type(t.audio) ~= "string" then fail(name .. ".audio", "needs an audio path") end
    if t.face == nil then fail(name .. ".face", "needs the speaker: a face table (from identify) or an image path") end
    local ai = kling.probe(t.audio)
    local a0 = need_ms(t, "audio_start", 0)
    local a1 = need_ms(t, "audio_end", ai.audio_duration or ai.duration)
    local at = need_ms(t, "insert", 0)
    if a1 - a0 < SHORTEST then fail(name .. ".audio_end", "a turn's audio must last at least 2000 ms") end
    if at + a1 - a0 > duration then fail(name .. ".insert", "the turn ends after the video does") end
    turns[i] = { index = i, face = t.face, audio = t.audio, audio_start = a0, audio_end = a1,
                 insert = at, finish = at + a1 - a0 }
  end
  local order = {}
  for i, t in ipairs(turns) do order[i] = t end
  table.sort(order, function(x, y) return x.insert < y.insert end)
  for k = 2, #order do
    local p, q = order[k - 1], order[k]
    if q.insert < p.finish + frame then
      fail("turns", ("turns[%d] and turns[%d] overlap in time (%d-%d ms and %d-%d ms)"):format(
        p.index, q.index, p.insert, p.finish, q.insert, q.finish))
    end
  end
  return turns, order
end

-- Each turn's segment: its inserted range plus up to half a second each side, on frame
-- boundaries, never past the boundary halfway to a neighbour.
local function place_segments(order, fr, duration)
  local pad = 500
  -- A hundredth of a frame of slack: a probed rate of 25.0001 must not move 5000 ms a frame.
  local function down(ms) return fr.ms(floor(ms * fr.fps / 1000 + 0.01)) end
  local function up(ms) return fr.ms(ceil(ms * fr.fps / 1000 - 0.01)) end
  local bounds = { [0] = 0, [#order] = duration }
  for k = 1, #order - 1 do
    local p, q = order[k], order[k + 1]
    bounds[k] = min(max(fr.snap((p.finish + q.insert) // 2), up(p.finish)), down(q.insert))
  end
  for k, t in ipairs(order) do
    t.start_time = max(bounds[k - 1], down(t.insert - pad))
    t.end_time = min(bounds[k], up(t.finish + pad))
  end
end

-- One turn: cut its segment, find the speaker there, lip-sync, download.
local function sync_turn(t, video, dir)
  local s, e = t.start_time, t.end_time
  local part = M.cut(video, s, e, ("%s/turn-%03d.mp4"):format(dir, t.index))
  local piece = M.cut_audio(t.audio, t.audio_start, t.audio_end, ("%s/sound-%03d.wav"):format(dir, t.index))
  local session = kling.identify(part)
  local face, distance = kling.match(t.face, session)
  if face == nil then
    fail(("turns[%d].face"):format(t.index), ("nobody in %d-%d ms is the same person (nearest distance %s)"):format(
      s, e, tostring(distance)))
  end
  local task = kling.lipsync{ session = session, face = face, sound_file = piece, sound_start_time = 0,
                              sound_end_time = t.audio_end - t.audio_start, sound_insert_time = t.insert - s }
  local file = ("%s/synced-%03d.mp4"):format(dir, t.index)
  kling.download(kling.wait(task), file)
  return file, task.task_id, face.face_id, distance
end

function M.dialogue(o)
  if type(o) ~= "table" then fail("spec", "kling.edit.dialogue needs a table {video =, out =, turns =}") end
  local video, out = need_string(o, "video", "dialogue"), need_string(o, "out", "dialogue")
  if type(o.turns) ~= "table" or #o.turns == 0 then fail("turns", "dialogue needs turns = {{face =, audio =, insert =}, ...}") end
  local vi = kling.probe(video)
  if not vi.fps then fail("video", video .. " has no video stream") end
  local fr = framer(vi.fps)
  local duration = fr.ms(fr.index(vi.duration))
  local turns, order = parse_turns(o.turns, duration, ceil(1000 / vi.fps))
  place_segments(order, fr, duration)
  local dir = scratch(out)
  mkdir(dir)
  local jobs = {}
  for _, t in ipairs(order) do jobs[t.index] = kling.spawn(sync_turn, t, video, dir) end
  local pieces, billed, pos = {}, 0, 0
  local function untouched(s, e)
    if e <= s then return end
    local file = M.cut(video, s, e, ("%s/keep-%03d.mp4"):format(dir, #pieces + 1))
    pieces[#pieces + 1] = { start_time = s, end_time = e, file = file, source = video, source_start = s }
  end
  for _, t in ipairs(order) do
    untouched(pos, t.start_time)
    local file
    file, t.task_id, t.face_id, t.distance = kling.wait(jobs[t.index])
    t.status = "lipsynced"
    billed = billed + t.end_time - t.start_time
    pieces[#pieces + 1] = { start_time = t.start_time, end_time = t.end_time, file = file, path = file }
    pos = t.end_time
  end
  untouched(pos, duration)
  assemble(pieces, out, o.otio)
  local report = {}
  for i, t in ipairs(turns) do
    report[i] = { start_time = t.start_time, end_time = t.end_time, insert = t.insert, task_id = t.task_id,
                  face_id = t.face_id, distance = t.distance, status = t.status }
  end
  kling.log(("dialogue: billed %.1f s of a %.1f s video"):format(billed / 1000, duration / 1000))
  return { path = out, turns = report, billed_ms = billed, duration = duration }
end

-- OpenTimelineIO (JSON), written by hand so every number is a float and every list a list.
local function q(s)
  return '"' .. tostring(s):gsub('[%c"\\]', function(c) return ("\\u%04x"):format(c:byte()) end) .. '"'
end
local function rt(value, rate) return ('{"OTIO_SCHEMA": "RationalTime.1", "rate": %.6f, "value": %.1f}'):format(rate, value) end
local function range(start, dur, rate)
  return ('{"OTIO_SCHEMA": "TimeRange.1", "start_time": %s, "duration": %s}'):format(rt(start, rate), rt(dur, rate))
end
local function url(path)
  if path:match("^%a[%w+.-]*://") then return path end
  return "file://" .. B.edit_absolute(path)
end

-- segments: {{start_time =, end_time =, path = own file (lip-synced) | nil, source = original,
-- source_start = ms into the original}, ...} in timeline order.
function M.timeline(path, segments)
  if type(path) ~= "string" then fail("path", "kling.edit.timeline needs an output path (.otio)") end
  if type(segments) ~= "table" or #segments == 0 then fail("segments", "kling.edit.timeline needs a list of segments") end
  local first = segments[1]
  local info = kling.probe(first.path or first.source or first.file)
  local rate = info.fps or 25
  local fr = framer(rate)
  local clips = {}
  for i, s in ipairs(segments) do
    local frames = fr.index(s.end_time) - fr.index(s.start_time)
    local target, start, name
    if s.path then
      target, start, name = s.path, 0, ("synced %d"):format(i)
    elseif s.source then
      target, start, name = s.source, fr.index(s.source_start or s.start_time), ("original %d"):format(i)
    else
      fail(("segments[%d]"):format(i), "needs path (its own file) or source (the original)")
    end
    clips[i] = ('{"OTIO_SCHEMA": "Clip.2", "name": %s, "source_range": %s, "effects": [], "markers": [], "enabled": true, '
      .. '"metadata": {"klip": {"start_time": %d, "end_time": %d}}, "active_media_reference_key": "DEFAULT_MEDIA", '
      .. '"media_references": {"DEFAULT_MEDIA": {"OTIO_SCHEMA": "ExternalReference.1", "name": "", "metadata": {}, '
      .. '"available_range": null, "available_image_bounds": null, "target_url": %s}}}'):format(
      q(name), range(start, frames, rate), s.start_time, s.end_time, q(url(target)))
  end
  local function track(kind)
    return ('{"OTIO_SCHEMA": "Track.1", "name": %s, "kind": %s, "source_range": null, "effects": [], "markers": [], '
      .. '"enabled": true, "metadata": {}, "children": [%s]}'):format(q(kind), q(kind), table.concat(clips, ", "))
  end
  local text = ('{"OTIO_SCHEMA": "Timeline.1", "name": %s, "global_start_time": null, "metadata": {}, "tracks": '
    .. '{"OTIO_SCHEMA": "Stack.1", "name": "tracks", "source_range": null, "effects": [], "markers": [], '
    .. '"enabled": true, "metadata": {}, "children": [%s, %s]}}\n'):format(q(path), track("Video"), track("Audio"))
  B.edit_write(path, text)
  return path
end

return M
