import Foundation
import KlipMedia
import Testing
@testable import KlipScript

/// scripts/examples/dub-long.lua, dialogue.lua and match-speaker.lua against the embedded
/// emulator (rendering off: these check the edit logic; the CLI tests measure the sync).
@Suite struct EditExampleTests {
    let media = EmulatorBackend.media.path
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("klip-edit-ex-\(UUID().uuidString)")

    func example(_ name: String, _ arguments: [String], backend: EmulatorBackend) async -> Run {
        let lines = Lines()
        let path = ExampleTests.examples.appendingPathComponent(name).path
        let options = ScriptOptions(source: .file(path), arguments: arguments, diagnostics: { lines.add($0) }, liveProgress: false)
        let result = await ScriptRunner(options: options, backend: backend).run()
        return Run(result: result, lines: lines)
    }

    func ffmpeg(_ name: String, _ args: [String]) async throws -> String {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(name).path
        try await ProcessRunner.check("ffmpeg", ["-v", "error", "-nostdin", "-y"] + args + [path])
        return path
    }

    @Test func dubLongSplitsAVideoOverAMinute() async throws {
        let video = try await ffmpeg("long.mp4", ["-stream_loop", "6", "-i", "\(media)/one-face.mp4", "-t", "64",
                                                  "-vf", "scale=910:512", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"])
        let padded = try await ffmpeg("padded.wav", ["-i", "\(media)/speech.wav", "-af", "apad=pad_dur=1"])
        let speech = try await ffmpeg("long.wav", ["-stream_loop", "15", "-i", padded, "-c", "copy"])
        try await withEmulatorBackend(render: false) { backend in
            let out = dir.appendingPathComponent("dub.mp4").path
            let r = await example("dub-long.lua", [video, speech, out, "0", dir.appendingPathComponent("dub.otio").path], backend: backend)
            #expect(r.status == 0, "\(r.message)")
            #expect(r.values == [.int(2), .int(64000)], "\(r.values)")
            #expect(r.result.createdTasks.count == 2)
            let info = try await MediaProbe.probe(out)
            #expect(abs(info.durationMs - 64000) <= 40)
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("dub.otio").path))
        }
    }

    @Test func dialogueFindsEachSpeakerByPhoto() async throws {
        try await withEmulatorBackend(render: false) { backend in
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let out = dir.appendingPathComponent("dialogue.mp4").path
            let r = await example("dialogue.lua", ["\(media)/two-faces.mp4", out,
                                                   "\(media)/source/grace_hopper.jpg", "\(media)/speech.wav", "4300",
                                                   "\(media)/source/astronaut.png", "\(media)/speech.wav", "500"], backend: backend)
            #expect(r.status == 0, "\(r.message)")
            #expect(r.values == [.int(2), .int(8000), .int(8000)], "\(r.values)")
            #expect(r.lines.text.contains("turn 1: face 1"), "\(r.lines.text)") // Grace Hopper is on the right: face 1
            #expect(r.lines.text.contains("turn 2: face 0"), "\(r.lines.text)")
            #expect(r.result.createdTasks.count == 2)
            #expect(abs(try await MediaProbe.probe(out).durationMs - 8000) <= 40)
        }
    }

    @Test func matchSpeakerFollowsOnePersonThroughAManifest() async throws {
        let swapped = try await ffmpeg("swapped.mp4", ["-i", "\(media)/two-faces.mp4", "-vf", "hflip",
                                                        "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"])
        let manifest = dir.appendingPathComponent("clips.csv")
        try "video,out\n\(media)/two-faces.mp4,a.mp4\n\(swapped),b.mp4\n\(media)/gap-face.mp4,c.mp4\n"
            .write(to: manifest, atomically: true, encoding: .utf8)
        // Paths in the manifest are relative to it: make them so.
        let relative = try String(contentsOf: manifest, encoding: .utf8).replacingOccurrences(of: dir.path + "/", with: "")
        try relative.write(to: manifest, atomically: true, encoding: .utf8)
        try await withEmulatorBackend(render: false) { backend in
            let r = await example("match-speaker.lua", [manifest.path, "\(media)/source/astronaut.png", "\(media)/speech.wav"], backend: backend)
            #expect(r.status == 0, "\(r.message)")
            // The astronaut: left (face 0) in the shot, right (face 1) in the mirrored cut, absent from gap-face.
            #expect(r.values == [.string("0,1,absent")], "\(r.values) \(r.lines.text)")
            #expect(r.result.createdTasks.count == 2)
        }
    }

    @Test func dubChoosesTheFaceByPositionFunctionOrPerson() async throws {
        try await withEmulatorBackend(render: false) { backend in
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let r = await runScript("""
            local video, audio, out = "\(media)/two-faces.mp4", "\(media)/speech.wav", "\(dir.path)/face-"
            local a = kling.edit.dub{video = video, audio = audio, out = out .. "a.mp4", insert = 1000, face = 2}
            local b = kling.edit.dub{video = video, audio = audio, out = out .. "b.mp4", insert = 1000,
                                     face = function(s) return s.faces[1] end}
            local c = kling.edit.dub{video = video, audio = audio, out = out .. "c.mp4", insert = 1000,
                                     face = identify("\(media)/source/../two-faces.mp4").faces[2]}
            local d = kling.edit.dub{video = video, audio = audio, out = out .. "d.mp4", insert = 1000,
                                     face = function() return nil end}
            local e = kling.edit.dub{video = "\(media)/no-face.mp4", audio = audio, out = out .. "e.mp4", insert = 1000}
            local function synced(r)
              local ids = {}
              for _, s in ipairs(r.segments) do ids[#ids + 1] = s.status .. ":" .. (s.face_id or "-") end
              return table.concat(ids, " ")
            end
            return synced(a), synced(b), synced(c), synced(d), d.billed_ms, synced(e), kling.probe(e.path).duration
            """, backend: backend)
            #expect(r.status == 0, "\(r.message)")
            // 8 s, speech 1000-4500 ms: the 1 s lead-in is too short to stand alone; the tail passes through.
            #expect(r.values == [.string("lipsynced:1 silent:-"), .string("lipsynced:0 silent:-"),
                                 .string("lipsynced:1 silent:-"), .string("no_face:- silent:-"), .int(0),
                                 .string("no_face:-"), .int(6000)], "\(r.values)")
            #expect(r.result.createdTasks.count == 3)
        }
    }

    @Test func dialogueOnTheSwappedCutFindsTheSpeakersByTheirFacesInTheOther() async throws {
        let swapped = try await ffmpeg("swapped-d.mp4", ["-i", "\(media)/two-faces.mp4", "-vf", "hflip",
                                                          "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"])
        try await withEmulatorBackend(render: false) { backend in
            let r = await runScript("""
            local first = identify("\(media)/two-faces.mp4")     -- 0: the astronaut (left), 1: Grace Hopper
            local r = kling.edit.dialogue{video = "\(swapped)", out = "\(dir.path)/swapped-dialogue.mp4", turns = {
              {face = first.faces[1], audio = "\(media)/speech.wav", insert = 300},
              {face = first.faces[2], audio = "\(media)/speech.wav", audio_end = 2500, insert = 5000}}}
            return r.turns[1].face_id, r.turns[2].face_id, r.billed_ms
            """, backend: backend)
            #expect(r.status == 0, "\(r.message)")
            // Mirrored, the astronaut is on the right: face 1 of the segment's session; Hopper face 0.
            #expect(r.values.prefix(2) == [.string("1"), .string("0")], "\(r.values)")
            #expect(r.result.createdTasks.count == 2)
        }
    }
}
