import Foundation
import KlipLua
import Testing
@testable import KlipScript

/// kling.edit as scripts reach it: bundled (not read from the working directory), the same
/// table through require, in the sandbox too, and bad input named before any work.
@Suite struct EditModuleTests {
    let media = EmulatorBackend.media.path

    @Test func theModuleIsBundledAndReachableBothWays() async throws {
        for sandbox in [false, true] {
            let r = await run("""
            local e = require "kling.edit"
            return e == kling.edit, e.fake == nil, type(e.dub), type(e.dialogue), type(e.timeline), type(kling.match), type(kling.silences)
            """, sandbox: sandbox)
            #expect(r.status == 0, "\(r.message)")
            #expect(r.values == [.bool(true), .bool(true), .string("function"), .string("function"), .string("function"),
                                 .string("function"), .string("function")], "sandbox \(sandbox)")
        }
        #expect(BundledLua.source(of: "kling.edit")?.contains("function M.dub") == true)
        #expect(BundledLua.source(of: "kling.nope") == nil)
    }

    @Test func badInputNamesTheField() async throws {
        let r = await run("""
        local function field(f, ...) local ok, err = pcall(f, ...) return ok and "ok" or err.field end
        return field(kling.edit.cut, "\(media)/one-face.mp4", 3000, 2000, "x.mp4"),
               field(kling.edit.concat, {}, "x.mp4"),
               field(kling.edit.concat, {"\(media)/one-face.mp4", 7}, "x.mp4"),
               field(kling.silences, "\(media)/speech.wav", {min_ms = -1}),
               field(kling.match, {}, {faces = {}}),
               field(kling.edit.dub, {video = "\(media)/one-face.mp4", out = "x.mp4"}),
               field(kling.edit.dub, {video = "\(media)/one-face.mp4", audio = "\(media)/speech.wav", out = "x.mp4", face = "p.png"}),
               field(kling.edit.dub, {video = "\(media)/one-face.mp4", audio = "\(media)/speech.wav", out = "x.mp4", face = 0}),
               field(kling.edit.dialogue, {video = "\(media)/two-faces.mp4", out = "x.mp4", turns = {{face = "p.png"}}}),
               field(kling.edit.timeline, "x.otio", {})
        """)
        #expect(r.status == 0, "\(r.message)")
        #expect(r.values == ["end_ms", "paths", "paths[2]", "min_ms", "reference", "audio", "face", "face", "turns[1].audio", "segments"].map { .string($0) })
    }

    @Test func theSandboxKeepsEditsInsideItsFolders() async throws {
        let r = await run("""
        local ok, err = pcall(kling.edit.cut, "\(media)/one-face.mp4", 0, 2000, "/etc/klip-cut.mp4")
        return ok, err.field
        """, sandbox: true, allow: [media])
        #expect(r.status == 0, "\(r.message)")
        #expect(r.values == [.bool(false), .string("out")])
        #expect(!FileManager.default.fileExists(atPath: "/etc/klip-cut.mp4"))
    }
}
