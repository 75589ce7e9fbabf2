import Foundation
import KlipMedia
import Testing
@testable import KlipScript

/// klip's pattern matcher (CLuaGlue/pattern.c) against the reference, lua5.4: the same
/// generated calls of string.find/match/gmatch/gsub must give the same results and the same
/// error messages (without the position prefix).
@Suite("Patterns match lua5.4") struct PatternDifferentialTests {
    /// Runs the cases as `C(...)` calls; each gives one ASCII line: its results, or E: and the error.
    static let driver = #"""
    local function ser1(v)
      if type(v) ~= "string" then return math.type(v) and (math.type(v) .. tostring(v)) or tostring(v) end
      local out = {}
      for i = 1, #v do
        local b = v:byte(i)
        local plain = (b >= 48 and b <= 57) or (b >= 65 and b <= 90) or (b >= 97 and b <= 122)
        out[i] = plain and string.char(b) or ("\\" .. b)
      end
      return '"' .. table.concat(out) .. '"'
    end
    local function ser(ok, ...)
      local t = table.pack(...)
      if not ok then return "E:" .. tostring(t[1]) end
      for i = 1, t.n do t[i] = ser1(t[i]) end
      return table.concat(t, ",", 1, t.n)
    end
    T = {a = "[A]", b = false, ab = 7, ["1"] = "one", [1] = "pos1", [2] = 2.5, c = {}}
    F = function(...)
      local a = ...
      if a == "b" then return false elseif a == "c" then return {} end
      local t = table.pack(...)
      return t.n .. "<" .. table.concat(t, "|", 1, t.n) .. ">"
    end
    local ops = {
      find = string.find, match = string.match, gsub = string.gsub,
      mfind = function(s, p, init) return s:find(p, init) end,
      gmatch = function(s, p, init)
        local it, r = string.gmatch(s, p, init), {}
        for _ = 1, 40 do
          local t = table.pack(it())
          if t[1] == nil then break end
          r[#r + 1] = ser(true, table.unpack(t, 1, t.n))
        end
        return table.concat(r, ";")
      end,
    }
    local lines = {}
    function C(op, ...) lines[#lines + 1] = ser(pcall(ops[op], ...)) end
    """#

    static func chunk(_ calls: [String], lua: Bool) -> String {
        driver + "\n" + calls.joined(separator: "\n") + "\n"
            + (lua ? "io.write(table.concat(lines, \"\\n\"))\n" : "return table.concat(lines, \"\\n\")\n")
    }

    /// An error's text without the "chunk:line: " its position adds (the chunk names differ).
    static func normalized(_ line: Substring) -> String {
        guard line.hasPrefix("E:"), let r = line.firstMatch(of: try! Regex(#"^E:.*?:\d+: "#)) else { return String(line) }
        return "E:" + line[r.range.upperBound...]
    }

    /// The differing calls, and lua5.4's lines (to check what the cases cover).
    static func compare(_ calls: [String]) async throws -> (mismatches: [String], reference: [Substring]) {
        let reference = try await ProcessRunner.run("/usr/bin/lua5.4", ["-"], stdin: Data(chunk(calls, lua: true).utf8))
        #expect(reference.status == 0, "\(reference.stderr)")
        let r = await run(chunk(calls, lua: false))
        #expect(r.status == 0, "\(r.message)")
        let expected = String(decoding: reference.stdout, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let actual = (r.values.first?.stringValue ?? "").split(separator: "\n", omittingEmptySubsequences: false)
        #expect(expected.count == calls.count && actual.count == calls.count, "\(expected.count) \(actual.count) of \(calls.count)")
        var mismatches: [String] = []
        for (i, call) in calls.enumerated() where i < min(expected.count, actual.count) {
            let e = normalized(expected[i]), a = normalized(actual[i])
            if e != a { mismatches.append("\(call)\n  lua5.4: \(e)\n  klip:   \(a)") }
        }
        return (mismatches, expected)
    }

    @Test func generatedCallsGiveLuasResults() async throws {
        var cases = PatternCases(rng: SeededRandom(seed: 0x6B6C_6970))
        let calls = (0..<20000).map { _ in cases.call() }
        let (mismatches, reference) = try await Self.compare(calls)
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(calls.count) differ:\n\(mismatches.prefix(12).joined(separator: "\n"))")
        // The generator must keep reaching all outcomes: matches, failures, and errors.
        let errors = reference.filter { $0.hasPrefix("E:") }
        let failures = reference.filter { $0 == "nil" || $0 == "" }
        #expect(errors.count > calls.count / 50 && failures.count > calls.count / 10, "\(errors.count) errors, \(failures.count) failures")
        #expect(calls.count - errors.count - failures.count > calls.count / 3)
        for message in ["ends with '%'", "missing ']'", "invalid capture index", "invalid pattern capture", "unfinished capture",
                        "missing arguments to '%b'", "missing '[' after '%f'", "invalid use of '%' in replacement", "invalid replacement value"] {
            #expect(errors.contains { $0.contains(message) }, "no case raised \(message)")
        }
    }

    @Test func limitsAndCornersGiveLuasResults() async throws {
        let calls = [
            #"C("find", ("a"):rep(300), ("a?"):rep(199))"#,
            #"C("find", ("a"):rep(300), ("a?"):rep(200))"#,
            #"C("find", ("a"):rep(300), ("()"):rep(32))"#,
            #"C("find", ("a"):rep(300), ("()"):rep(33))"#,
            #"C("find", ("a"):rep(300), ("(a"):rep(32))"#,
            #"C("gsub", "hello world", "%w+", "%0 %0", 1)"#,
            #"C("gsub", "abc", "", "-")"#,
            #"C("gsub", "abc", "b*", "-")"#,
            #"C("gmatch", "abc", "b*")"#,
            #"C("gmatch", "hello world from Lua", "%a+", 7)"#,
            #"C("gmatch", "^a^a", "^a")"#,
            #"C("gsub", "abc", "%w", "%1")"#,
            #"C("gsub", "abc", "(%w)", 5)"#,
            #"C("gsub", "abc", "%w", nil)"#,
            #"C("gsub", "abc", "%w", true)"#,
            #"C("find", "a.b", ".", 1, true)"#,
            #"C("find", "a+b", "+", 1)"#,
            #"C("find", "abc", "", 10)"#,
            #"C("find", "abc", "", 4)"#,
            #"C("match", "  key = val  ", "^%s*(%S+)%s*=%s*(%S+)%s*$")"#,
            #"C("match", "f(a(b)c)d", "%b()")"#,
            #"C("gsub", "THE (quick) fox", "%f[%a]%a+", string.upper)"#,
            #"C("find", 12345, 34)"#,
            #"C("find", "abc", {})"#,
            #"C("gmatch", "abc", "()", 2)"#,
        ]
        let (mismatches, _) = try await Self.compare(calls)
        #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
    }
}
