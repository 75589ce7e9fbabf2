import Foundation
import Testing
@testable import KlipScript

@Suite struct SchedulerTests {
    @Test func spawnedFunctionsRunConcurrently() async {
        let r = await run("""
        local order = {}
        local a = kling.spawn(function(x) kling.sleep(0.05); order[#order + 1] = "a"; return x * 2 end, 21)
        local b = kling.spawn(function() order[#order + 1] = "b"; return "b", "c" end)
        local x = wait(a)
        local y, z = wait(b)
        return x, y, z, table.concat(order, ",")
        """)
        #expect(r.status == 0, "\(r.message)")
        #expect(r.values == [.int(42), .string("b"), .string("c"), .string("b,a")])
    }

    @Test func waitOnAFinishedHandleTwice() async {
        let r = await run("""
        local h = kling.spawn(function() return 7 end)
        kling.sleep(0)
        return wait(h), wait(h)
        """)
        #expect(r.values == [.int(7), .int(7)], "\(r.message)")
    }

    @Test func waitOnAListOfHandles() async {
        let r = await run("""
        local hs = {}
        for i = 1, 5 do hs[i] = kling.spawn(function() kling.sleep(0.01 * (6 - i)); return i * i end) end
        local rs = wait(hs)
        return table.concat(rs, ",")
        """)
        #expect(r.values == [.string("1,4,9,16,25")], "\(r.message)")
    }

    @Test func spawnedErrorIsRaisedByWait() async throws {
        let (r, _) = try await runFile("""
        local h = kling.spawn(function()
          error("inner failure")
        end)
        local ok, err = pcall(wait, h)
        return ok, err
        """)
        #expect(r.status == 0, "\(r.message)")
        #expect(r.values.first == .bool(false))
        #expect(r.values.count > 1 && r.values[1].stringValue?.contains("script.lua:2: inner failure") == true)
    }

    @Test func spawnedErrorNobodyWaitedForFailsTheRun() async {
        let r = await run("kling.spawn(function() error('lost') end)")
        #expect(r.status == 1)
        #expect(r.message.contains("lost"))
    }

    @Test func thousandWaitsInFlight() async {
        let r = await run("""
        local hs, active, peak = {}, 0, 0
        for i = 1, 1000 do
          hs[i] = kling.spawn(function()
            active = active + 1
            if active > peak then peak = active end
            kling.sleep(0.2)
            active = active - 1
            return i
          end)
        end
        local rs = wait(hs)
        local sum = 0
        for _, v in ipairs(rs) do sum = sum + v end
        return #rs, sum, peak
        """)
        #expect(r.status == 0, "\(r.message)")
        #expect(r.values == [.int(1000), .int(500500), .int(1000)])
    }

    @Test func bindingInsideTheScriptsOwnCoroutineReachesTheHost() async {
        let r = await run("""
        local gen = coroutine.wrap(function()
          for i = 1, 3 do
            kling.sleep(0.01)          -- a host wait inside the script's coroutine
            coroutine.yield(i)         -- the script's own yield still works
          end
          return "end"
        end)
        local got = {}
        for _ = 1, 4 do got[#got + 1] = tostring(gen()) end
        local co = coroutine.create(function(a)
          local inner = coroutine.wrap(function() kling.sleep(0.01); return "deep" end)
          local b = coroutine.yield(a + 1)
          return inner() .. b
        end)
        local ok1, v1 = coroutine.resume(co, 1)
        local ok2, v2 = coroutine.resume(co, "!")
        return table.concat(got, ","), v1, v2, coroutine.status(co)
        """)
        #expect(r.status == 0, "\(r.message)")
        #expect(r.values == [.string("1,2,3,end"), .int(2), .string("deep!"), .string("dead")])
    }

    @Test func waitingWhereYieldIsImpossibleIsAClearError() async {
        let r = await run("""
        local ok, err = pcall(table.sort, {3, 1, 2}, function(a, b) kling.sleep(0) return a < b end)
        local ok2, err2 = pcall(string.gsub, "abc", "%w", function(c) kling.sleep(0) end)
        local mt = setmetatable({}, {__index = function(t, k) kling.sleep(0) return k end})
        local ok3, err3 = pcall(function() return rawequal(mt.x, nil) end)
        return ok, tostring(err), ok2, ok3
        """)
        #expect(r.status == 0, "\(r.message)")
        #expect(r.values.first == .bool(false))
        #expect(r.values.count > 1 && r.values[1].stringValue?.contains("kling.sleep waits, and cannot be called here") == true, "\(r.values)")
        #expect(r.values.count > 2 && r.values[2] == .bool(false))
    }

    @Test func aCoroutineYieldAtTopLevelIsAnError() async {
        let r = await run("coroutine.yield(1)")
        #expect(r.status == 1)
        #expect(r.message.contains("outside a coroutine"))
    }

    @Test func waitingForEachOtherIsADeadlock() async {
        let r = await run("""
        local h
        h = kling.spawn(function() kling.sleep(0); wait(h) end)
        wait(h)
        """)
        #expect(r.status == 1)
        #expect(r.message.contains("wait for itself") || r.message.contains("deadlock"), "\(r.message)")
    }

    @Test func closingAHandleCancelsItsCoroutineAndRunsItsCloseHandlers() async {
        let r = await run("""
        local closed = {}
        do
          local h <close> = kling.spawn(function()
            local guard <close> = setmetatable({}, {__close = function() closed[#closed + 1] = "inner" end})
            kling.sleep(10)
          end)
          kling.sleep(0.01)
        end
        return table.concat(closed, ",")
        """)
        #expect(r.status == 0, "\(r.message)")
        #expect(r.values == [.string("inner")])
    }

    @Test func onStatusCallbacksAndSleepZeroYield() async {
        let r = await run("""
        local n = 0
        local h = kling.spawn(function() for i = 1, 3 do n = n + 1; kling.sleep(0) end end)
        kling.sleep(0)
        local seen = n
        wait(h)
        return seen < 3, n
        """)
        #expect(r.values == [.bool(true), .int(3)], "\(r.message)")
    }
}

@Suite struct HandleTests {
    @Test func closingAFinishedHandleIsHarmless() async {
        let r = await run("""
        local v
        do
          local h <close> = kling.spawn(function() return 9 end)
          v = wait(h)
        end
        return v
        """)
        #expect(r.values == [.int(9)], "\(r.message)")
    }

    @Test func waitOnACancelledHandleRaisesCancelled() async {
        let r = await run("""
        local h = kling.spawn(function() kling.sleep(10) end)
        kling.sleep(0)
        do local closing <close> = h end
        local ok, err = pcall(wait, h)
        return ok, err.kind
        """)
        #expect(r.values == [.bool(false), .string("cancelled")], "\(r.message)")
    }

    @Test func badArgumentsToWaitNameTheArgument() async {
        let r = await run("""
        local ok, err = pcall(wait, 42.5)
        local ok2, err2 = pcall(wait, {true})
        local ok3, err3 = pcall(kling.spawn, 1)
        return err.field, err2.field, tostring(err3)
        """)
        #expect(r.status == 0, "\(r.message)")
        #expect(r.values.count == 3)
        #expect(r.values.first == .string("task"))
        #expect(r.values.count > 1 && r.values[1] == .string("tasks[1]"))
        #expect(r.values.last?.stringValue?.contains("function expected") == true)
    }

    @Test func handlesAreCollectedWhenDropped() async {
        let r = await run("""
        for i = 1, 2000 do kling.spawn(function() return i end) end
        kling.sleep(0)
        collectgarbage(); collectgarbage()
        return collectgarbage("count") < 4096
        """)
        #expect(r.values == [.bool(true)], "\(r.message)")
    }
}
