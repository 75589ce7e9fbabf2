import Foundation
import Testing
@testable import KlipScript

/// Issue 9's sandbox findings: every path a binding hands to ffmpeg/ffprobe goes through one
/// policy that resolves symlinks before it checks, refuses ffmpeg protocols, and decides
/// Base64 by content.
@Suite struct SandboxPathTests {
    /// A script folder and, beside it, a folder the script must not reach.
    struct Folders {
        let script: URL
        let outside: URL
        init() throws {
            let base = FileManager.default.temporaryDirectory.appendingPathComponent("klip-sbx-\(UUID().uuidString)")
            script = base.appendingPathComponent("script")
            outside = base.appendingPathComponent("outside")
            try FileManager.default.createDirectory(at: script, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: outside.appendingPathComponent("inner"), withIntermediateDirectories: true)
            try Data("secret".utf8).write(to: outside.appendingPathComponent("secret.png"))
        }
        func link(_ name: String, to target: URL) throws {
            try FileManager.default.createSymbolicLink(atPath: script.appendingPathComponent(name).path, withDestinationPath: target.path)
        }
        func run(_ code: String) async throws -> Run {
            let file = script.appendingPathComponent("s.lua")
            try code.write(to: file, atomically: true, encoding: .utf8)
            let lines = Lines()
            let options = ScriptOptions(source: .file(file.path), sandbox: true, diagnostics: { lines.add($0) }, liveProgress: false)
            return Run(result: await ScriptRunner(options: options).run(), lines: lines)
        }
    }

    @Test func dotDotAfterASymlinkIsResolvedBeforeTheCheck() async throws {
        let f = try Folders()
        try f.link("link", to: f.outside.appendingPathComponent("inner"))
        let r = try await f.run("""
        local ok, err = pcall(kling.probe, "\(f.script.path)/link/../secret.png")
        return ok, err.kind, err.field, tostring(err)
        """)
        #expect(r.status == 0, "\(r.message)")
        #expect(r.values.first == .bool(false))
        #expect(r.values.count == 4 && r.values[1] == .string("validation") && r.values[2] == .string("path"))
        #expect(r.values.last?.stringValue?.contains("outside the folders") == true, "\(r.values)")
    }

    @Test func aDanglingSymlinkAsTheSheetsOutputCreatesNothingOutside() async throws {
        let f = try Folders()
        let target = f.outside.appendingPathComponent("created.png")
        try f.link("out.png", to: target)
        let r = try await f.run("""
        local session = {session_id = "s", faces = {{face_id = "0", face_image = "\(f.script.path)/face.png", start_time = 0, end_time = 1000}}}
        local ok, err = pcall(kling.sheet, session, "\(f.script.path)/out.png")
        return ok, err.field, tostring(err)
        """)
        #expect(r.values.first == .bool(false))
        #expect(r.values.count == 3 && r.values[1] == .string("path"))
        #expect(r.values.last?.stringValue?.contains("outside the folders") == true, "\(r.values)")
        #expect(!FileManager.default.fileExists(atPath: target.path))
    }

    @Test func theSheetChecksEveryFaceImage() async throws {
        let f = try Folders()
        let secret = f.outside.appendingPathComponent("secret.png").path
        let r = try await f.run("""
        local session = {session_id = "s", faces = {
          {face_id = "0", face_image = "\(f.script.path)/face.png", start_time = 0, end_time = 1000},
          {face_id = "1", face_image = "\(secret)", start_time = 0, end_time = 1000}}}
        local ok, err = pcall(kling.sheet, session, "\(f.script.path)/sheet.png")
        return ok, err.field, tostring(err)
        """)
        #expect(r.values.first == .bool(false))
        #expect(r.values.count == 3 && r.values[1] == .string("session.faces[2].face_image"), "\(r.values)")
        #expect(!FileManager.default.fileExists(atPath: f.script.appendingPathComponent("sheet.png").path))
    }

    @Test(arguments: ["file:OUT/x.png", "http://127.0.0.1:9/x.png", "pipe:1", "concat:a.png|b.png"])
    func theSheetWritesOnlyToAPlainFile(output: String) async throws {
        let f = try Folders()
        let given = output.replacingOccurrences(of: "OUT", with: f.outside.path)
        let r = try await f.run("""
        local session = {session_id = "s", faces = {{face_id = "0", face_image = "\(f.script.path)/face.png", start_time = 0, end_time = 1000}}}
        local ok, err = pcall(kling.sheet, session, "\(given)")
        return ok, err.kind, err.field
        """)
        #expect(r.values == [.bool(false), .string("validation"), .string("path")], "\(r.values)")
        #expect(!FileManager.default.fileExists(atPath: f.outside.appendingPathComponent("x.png").path))
    }

    @Test func ffmpegProtocolsAreNotPathsForProbe() async throws {
        let f = try Folders()
        let secret = f.outside.appendingPathComponent("secret.png").path
        let r = try await f.run("""
        local ok1, e1 = pcall(kling.probe, "file:\(secret)")
        local ok2, e2 = pcall(kling.probe, "subfile,,start,0,end,4,,:\(secret)")
        local ok3, e3 = pcall(kling.probe, "file://\(secret)")
        return ok1, e1.field, ok2, e2.field, ok3, tostring(e3)
        """)
        #expect(r.values.count == 6)
        #expect(r.values[0] == .bool(false) && r.values[1] == .string("path"))
        #expect(r.values[2] == .bool(false) && r.values[3] == .string("path"))
        #expect(r.values[4] == .bool(false))
        #expect(r.values[5].stringValue?.contains("outside the folders") == true, "\(r.values)")
    }

    @Test func aLongSoundFileStringIsNotTakenForBase64ByItsLength() async throws {
        let f = try Folders()
        let voice = f.outside.appendingPathComponent("voice.wav").path
        try Data("RIFF".utf8).write(to: URL(fileURLWithPath: voice))
        let r = try await f.run("""
        local function try(sound)
          local ok, err = pcall(lipsync, {session_id = "s", face_id = "0", sound_file = sound,
                                          sound_start_time = 0, sound_end_time = 2000, sound_insert_time = 0})
          return ok, err.kind, err.field, tostring(err)
        end
        local a = {try("file://\(voice)?" .. ("a"):rep(1100))}
        local b = {try("file://\(f.outside.path)/missing.wav?" .. ("a"):rep(1100))}
        return a[1], a[2], a[3], a[4], b[1], b[2], b[3], b[4]
        """)
        #expect(r.values.count == 8, "\(r.values) \(r.message)")
        guard r.values.count == 8 else { return }
        #expect(r.values[0] == .bool(false) && r.values[1] == .string("validation"))
        #expect(r.values[2] == .string("face_choose[0].sound_file"))
        #expect(r.values[3].stringValue?.contains("outside the folders") == true, "\(r.values)")
        // A file that exists and one that does not get the same answer.
        #expect(r.values[4] == r.values[0] && r.values[5] == r.values[1] && r.values[6] == r.values[2])
        #expect(r.values[7].stringValue?.contains("outside the folders") == true)
    }

    @Test func base64IsDecidedByContent() {
        let wav = Data("RIFF\u{24}\u{0}\u{0}\u{0}WAVEfmt ".utf8 + [UInt8](repeating: 0, count: 1200)).base64EncodedString()
        #expect(LipSyncSpec.isBase64Audio(wav))
        #expect(!LipSyncSpec.isBase64Audio("file:///outside/voice.wav?" + String(repeating: "a", count: 1100)))
        #expect(!LipSyncSpec.isBase64Audio(String(repeating: "a", count: 2000))) // decodes, but not audio
        #expect(!LipSyncSpec.isBase64Audio("sounds/voice.wav"))
    }

    @Test func resolveFollowsLinksInOrderAndKeepsMissingParts() throws {
        let f = try Folders()
        try f.link("link", to: f.outside.appendingPathComponent("inner"))
        let script = PathPolicy.resolve(f.script.path)
        let outside = PathPolicy.resolve(f.outside.path)
        #expect(PathPolicy.resolve(f.script.path + "/link/../secret.png") == outside + "/secret.png")
        #expect(PathPolicy.resolve(f.script.path + "/new/dir/../x.png") == script + "/new/x.png")
        try f.link("dangling", to: f.outside.appendingPathComponent("nowhere/y.png"))
        #expect(PathPolicy.resolve(f.script.path + "/dangling") == outside + "/nowhere/y.png")
    }
}

/// Issue 9's limit findings for native helpers: their work counts against the limits.
@Suite struct NativeLimitTests {
    @Test func jsonEncodeOfAHugeSharedStringStaysUnderTheMemoryLimit() async {
        let r = await run("""
        local big = ("x"):rep(1 << 20)
        local t = {}
        for i = 1, 1000 do t[i] = big end
        local ok, err = pcall(kling.json.encode, t)
        return ok, tostring(err)
        """, memoryLimit: 64 << 20)
        #expect(r.values.first == .bool(false), "\(r.values) \(r.message)")
        #expect(r.values.last?.stringValue?.contains("not enough memory") == true, "\(r.values)")
    }

    @Test func nativeEncodingCountsAgainstTheCPULimitAndEndsTheRun() async {
        let r = await run("""
        local big = ("x"):rep(1 << 20)
        local t = {}
        for i = 1, 64 do t[i] = big end
        while true do pcall(kling.json.encode, t) end
        """, cpuLimit: 0.5)
        #expect(r.status == 1)
        #expect(r.message.contains("CPU limit"), "\(r.message)")
    }
}
