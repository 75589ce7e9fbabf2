---@meta
-- LuaLS definitions for scripts run by `klip run` (the contract: docs lua-api.md).
-- Point LuaLS at this file: `"workspace.library": ["<klip>/lua"]` in .luarc.json.
-- Times are integer milliseconds, like the API; waiting options are seconds.

---@class klip.Face
---@field face_id string Never a number.
---@field face_image string URL of the face crop.
---@field start_time integer ms: start of the interval the face can be lip-synced in.
---@field end_time integer ms: end of that interval (may overshoot the video by a few ms).

---@class klip.Session
---@field session_id string
---@field faces klip.Face[] In order of first appearance.
---@field face_data klip.Face[] The same array under the API's own name.

---@class klip.Task
---@field task_id string
---@field task_status "submitted"|"processing"|"succeed"|"failed"|string
---@field external_task_id? string
---@field created_at? integer ms since the epoch.

---@class klip.Video
---@field id string
---@field url string
---@field duration string Seconds, as a string, as the API gives it.

---@class klip.Result
---@field task_id string
---@field task_status "submitted"|"processing"|"succeed"|"failed"|string
---@field task_status_msg? string
---@field external_task_id? string
---@field videos klip.Video[]
---@field created_at? integer ms since the epoch.
---@field updated_at? integer ms since the epoch.

---@class klip.Error
---@field kind "validation"|"api"|"failed"|"timeout"|"network"|"cancelled"
---@field message string
---@field field? string For validation errors, e.g. "face_choose[0].sound_end_time".
---@field code? integer Kling's code where there is one, e.g. 1201, 1303.
---@field request_id? string
---@field task_id? string
---@field where? string "script.lua:12": where the script called the binding.

---@class klip.LipSyncSpec
---@field session? klip.Session What identify returned (or give session_id).
---@field session_id? string
---@field face_id? string|integer Or give face.
---@field face? klip.Face One of session.faces.
---@field sound_file? string Local path (checked, converted if needed, sent as Base64) or URL.
---@field audio_id? string Instead of sound_file.
---@field sound_start_time integer ms into the audio.
---@field sound_end_time integer ms into the audio; end - start >= 2000.
---@field sound_insert_time integer ms into the video.
---@field sound_volume? number [0, 2], default 1.
---@field original_audio_volume? number [0, 2], default 1.
---@field external_task_id? string Unique per account; makes a create safe to retry.
---@field callback_url? string
---@field face_choose? table[] The raw API body instead of the flattened fields.

---@class klip.WaitOptions
---@field timeout? number Seconds, default 1800.
---@field interval? number Seconds before the first poll; later polls back off.
---@field on_status? fun(status: klip.Result) Called with each new status.

---@class klip.Handle A `kling.spawn`ed function; `<close>` cancels it if it still runs.

---@class klip.MediaInfo
---@field duration integer ms.
---@field width? integer nil without a video stream.
---@field height? integer nil without a video stream.
---@field fps? number nil without a video stream.
---@field has_video boolean
---@field has_audio boolean
---@field audio_duration? integer ms.
---@field format string ffprobe's format name.
---@field size? integer Bytes.

---Finds the faces in a video and the intervals each can be lip-synced in.
---A local video is uploaded first (kling.upload) when the backend is not the embedded emulator.
---@param video string|{video_url: string}|{video_id: string} URL, or a local path / file:// URL.
---@return klip.Session
function identify(video) end

---Creates a lip-sync task; returns once it is created. Every documented rule is checked
---before sending; a violation raises a `klip.Error` naming the field. While the account
---already runs as many tasks as it may (code 1303), it waits for a free slot.
---@param spec klip.LipSyncSpec
---@return klip.Task
function lipsync(spec) end

---Suspends the calling coroutine until the task ends; raises when it fails or times out.
---A list waits for all concurrently and returns the results in order; a spawn handle
---returns that function's return values (or raises its error); a task id string works too.
---@overload fun(tasks: (klip.Task|klip.Handle|string)[], opts?: klip.WaitOptions): any[]
---@overload fun(handle: klip.Handle): ...
---@param task klip.Task|string
---@param opts? klip.WaitOptions
---@return klip.Result
function wait(task, opts) end

---What `kling.uploader` is given about the file.
---@class klip.FileInfo
---@field size integer Bytes.
---@field sha256 string Hex digest of the content.
---@field kind "video"|"audio" "audio" for .wav .mp3 .m4a .aac .flac .ogg .oga .opus.

---@class kling
---@field backend "local"|"kling"
---@field planning boolean True under `klip run --plan` (nothing is sent, uploaded or paid for).
---@field uploader? fun(path: string, info: klip.FileInfo): string Turns a local file into an http(s) URL (set it in the init file); when nil, the built-in S3 upload (`--upload` / `KLIP_UPLOAD`) is used.
---@field json kling.json
---@field edit kling.edit
kling = {}

---A local file as a URL Kling's cloud can fetch: `kling.uploader(path, info)` when set, else
---the built-in S3 upload (content-addressed `PREFIX/<sha256>.<ext>`, a presigned GET URL).
---An http(s) URL is returned unchanged; under `--plan` the result is `"file://" .. path` and
---nothing is sent. `identify` calls it for local videos when the backend is not the embedded
---emulator. Raises a validation error (field "kling.uploader") when no uploader is
---configured or the hook returns no URL, ("path") when the file cannot be read.
---@param path string
---@return string url
function kling.upload(path) end

kling.identify = identify
kling.lipsync = lipsync
kling.wait = wait

---Runs `fn(...)` as a concurrent coroutine of the script.
---@param fn function
---@param ... any
---@return klip.Handle
function kling.spawn(fn, ...) end

---Suspends the calling coroutine only.
---@param seconds number
function kling.sleep(seconds) end

---One query of a task, no waiting.
---@param task string|klip.Task
---@return klip.Result
function kling.task(task) end

---Streams a result's video (or a URL) to a file; returns the path.
---@param result klip.Result|klip.Video|string
---@param path string
---@return string
function kling.download(result, path) end

---Media facts for alignment logic.
---@param path_or_url string
---@return klip.MediaInfo
function kling.probe(path_or_url) end

---A contact sheet image: each face's crop, its face_id and its interval on the timeline.
---@param session klip.Session
---@param path string
---@return string path
function kling.sheet(session, path) end

---A line to stderr, prefixed with the script's name.
---@param ... any
function kling.log(...) end

---@class kling.json
kling.json = {}

---@param value any Tables with keys 1..n become arrays, others objects.
---@return string
function kling.json.encode(value) end

---@param text string
---@return any value null becomes nil.
function kling.json.decode(text) end

---A pause of an audio track, ms from its start.
---@class klip.Silence
---@field start_time integer
---@field end_time integer

---The pauses of an audio (or video) file: quieter than `threshold_db` (default -35) for at
---least `min_ms` (default 300). For choosing cut points.
---@param audio string
---@param opts? {min_ms?: integer, threshold_db?: number}
---@return klip.Silence[]
function kling.silences(audio, opts) end

---The face of `session` that is the same person as `reference` (a face table from any
---session, or an image path or URL), by dlib's face descriptor of the `face_image` crops
---(computed locally; works with the cloud's crop URLs). Returns nil when no face lies within
---`threshold` (default 0.6, Euclidean; scripts/bench-match over 7 people: one person's
---photos 0.00-0.56 apart, two people 0.67-1.11), and the nearest distance either way (just
---nil when the session has no faces).
---@param reference klip.Face|string
---@param session klip.Session
---@param opts? {threshold?: number}
---@return klip.Face|nil face
---@return number|nil distance
function kling.match(reference, session, opts) end

---@class klip.Segment
---@field start_time integer ms of the video (on a frame boundary).
---@field end_time integer ms, exclusive.
---@field status "lipsynced"|"silent"|"no_face" silent and no_face pass through untouched.
---@field task_id? string
---@field face_id? string
---@field cut "start"|"speech"|"pause_face"|"pause"|"face"|"even" Why the segment starts here: the video's start, where the speech starts or ends, or a split of speech longer than 60 s: in a pause with the face on screen 1 s either side (preferred), in a pause, with the face on both sides, evenly (the last three are logged).

---@class klip.DubSpec
---@field video string
---@field audio string
---@field out string The finished .mp4; intermediate files go to `out .. ".parts/"`.
---@field face? integer|klip.Face|fun(session: klip.Session): klip.Face|nil Position in each segment's faces (from 1), a face to match, or a chooser; default the first face. No face (a position past the faces, no match) makes the segment "no_face", not an error; a string or a position below 1 is a validation error naming `face`.
---@field audio_start? integer ms into the audio (default 0).
---@field insert? integer ms into the video where the audio starts (default 0).
---@field otio? string Also write an OpenTimelineIO timeline of the cut.

---@class klip.DubResult
---@field path string
---@field segments klip.Segment[]
---@field billed_ms integer The lip-synced segments' length: what Kling bills.
---@field duration integer The video's (and the output's) length.

---@class klip.Turn
---@field face klip.Face|string The speaker: a face from any session, or a photo.
---@field audio string
---@field audio_start? integer ms (default 0).
---@field audio_end? integer ms (default the audio's end); at least 2000 after audio_start.
---@field insert integer ms into the video where the line starts.

---@class klip.TurnResult: klip.Segment
---@field insert integer
---@field distance number kling.match's distance for the speaker.

---@class klip.DialogueResult
---@field path string
---@field turns klip.TurnResult[] In the order given.
---@field billed_ms integer
---@field duration integer

---@class klip.TimelineSegment
---@field start_time integer ms on the cut's timeline.
---@field end_time integer
---@field path? string Its own file (a lip-synced segment), used from its start.
---@field source? string The original, for an untouched range.
---@field source_start? integer ms into `source` (default start_time).

---@class kling.edit
kling.edit = {}

---The range start_ms..end_ms of a video (each rounded to a frame boundary), re-encoded,
---with the audio of exactly that span.
---@param video string
---@param start_ms integer
---@param end_ms integer
---@param out string
---@return string out
function kling.edit.cut(video, start_ms, end_ms, out) end

---The audio of start_ms..end_ms as WAV (silence past the file's end).
---@param audio string
---@param start_ms integer
---@param end_ms integer
---@param out string
---@return string out
function kling.edit.cut_audio(audio, start_ms, end_ms, out) end

---Videos joined: later clips conformed to the first clip's size and frame rate; the audio
---continuous (each clip's padded or trimmed to its video, 3 ms fades at the joins: no
---click, no gap).
---@param paths string[]
---@param out string
---@return string out
function kling.edit.concat(paths, out) end

---Lip-syncs a video of any length with an audio track of any length: segments of 2-60 s
---cut preferably in the audio's pauses where the chosen face is on screen on both sides,
---identified and lip-synced concurrently, joined.
---Segments where the audio is silent, or without a usable face, pass through and create no
---task. A rerun creates no task (the journal).
---@param spec klip.DubSpec
---@return klip.DubResult
function kling.edit.dub(spec) end

---Several speakers, one task per turn on a segment around the turn (its range plus up to
---0.5 s each side, at least 2 s), the turn's face found with kling.match in that segment's
---session; the rest of the video untouched. Turns that overlap are an error naming them.
---@param spec {video: string, out: string, turns: klip.Turn[], otio?: string}
---@return klip.DialogueResult
function kling.edit.dialogue(spec) end

---Writes an OpenTimelineIO .otio (JSON) of a cut: one video and one audio track.
---@param path string
---@param segments klip.TimelineSegment[]
---@return string path
function kling.edit.timeline(path, segments) end

---Ends the run with `code` (true = 0, false = 1): pending `<close>` handlers run and
---in-flight work is cancelled. `pcall` cannot catch it.
---@param code? integer|boolean
function os.exit(code) end

---The script's arguments: arg[0] the script, arg[1..n] the arguments.
---@type table<integer, string>
arg = {}
