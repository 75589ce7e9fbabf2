import KlingAPI

/// The API's answers as the Lua tables scripts see, and task ids read back from them.
enum Tables {
    static func taskID(_ v: LuaValue) -> String? {
        switch v {
        case let .string(s) where !s.isEmpty: return s
        case let .int(i): return String(i)
        case .table:
            if let s = v["task_id"].stringValue, !s.isEmpty { return s }
            if let i = v["task_id"].integer { return String(i) }
            return nil
        default: return nil
        }
    }

    static func session(_ r: IdentifyFaceResult) -> LuaValue {
        let faces = LuaValue.array(r.faceData.map { f in
            .record([
                ("face_id", .string(f.faceID)),
                ("face_image", .string(f.faceImage)),
                ("start_time", .int(Int64(f.startTime))),
                ("end_time", .int(Int64(f.endTime))),
            ])
        })
        return .record([("session_id", .string(r.sessionID)), ("faces", faces)])
    }

    static func task(_ t: LipSyncTask) -> LuaValue {
        .record([
            ("task_id", .string(t.taskID)),
            ("task_status", .string(t.taskStatus.rawValue)),
            ("external_task_id", t.externalTaskID.map { .string($0) } ?? .nil),
            ("created_at", t.createdAt.map { .int($0) } ?? .nil),
        ])
    }

    static func result(_ t: LipSyncTask) -> LuaValue {
        let videos = LuaValue.array((t.taskResult?.videos ?? []).map { v in
            .record([("id", .string(v.id)), ("url", .string(v.url)), ("duration", .string(v.duration))])
        })
        return .record([
            ("task_id", .string(t.taskID)),
            ("task_status", .string(t.taskStatus.rawValue)),
            ("task_status_msg", t.taskStatusMsg.map { .string($0) } ?? .nil),
            ("external_task_id", t.externalTaskID.map { .string($0) } ?? .nil),
            ("videos", videos),
            ("created_at", t.createdAt.map { .int($0) } ?? .nil),
            ("updated_at", t.updatedAt.map { .int($0) } ?? .nil),
        ])
    }
}

extension LuaValue {
    /// The same table with `key` set.
    func setting(_ key: String, _ value: LuaValue) -> LuaValue {
        guard case var .table(pairs) = self else { return self }
        pairs.removeAll { $0.key == .string(key) }
        pairs.append(.init(.string(key), value))
        return .table(pairs)
    }
}
