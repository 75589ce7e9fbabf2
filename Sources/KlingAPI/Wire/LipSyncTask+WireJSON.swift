/// The answers `klip` reads by the thousand, read the way their `Decodable` inits read them
/// (see `WireJSONReader`): unknown fields skipped, `null` as absent, ids as strings even when
/// sent as integers, times in ms as integers, numbers or numeric strings.
extension Envelope: WireJSONDecodable where Payload: WireJSONDecodable {
    public init(wire json: inout WireJSONReader) throws(WireJSONReader.Unsupported) {
        var code: Int?, message = "", requestID = "", data: Payload?
        try json.object { (json, key) throws(WireJSONReader.Unsupported) in
            if key == "code" { code = Int(try json.number().int64()) }
            else if key == "message" { message = try json.null() ? "" : try json.string() }
            else if key == "request_id" { requestID = try json.id() ?? "" }
            else if key == "data" { data = try json.null() ? nil : try Payload(wire: &json) }
            else { try json.skip() }
        }
        guard let code else { throw WireJSONReader.Unsupported() }
        self.init(code: code, message: message, requestID: requestID, data: data)
    }
}

extension Array: WireJSONDecodable where Element: WireJSONDecodable {
    public init(wire json: inout WireJSONReader) throws(WireJSONReader.Unsupported) {
        var items: [Element] = []
        try json.array { (json) throws(WireJSONReader.Unsupported) in items.append(try Element(wire: &json)) }
        self = items
    }
}

extension LipSyncTask: WireJSONDecodable {
    public init(wire json: inout WireJSONReader) throws(WireJSONReader.Unsupported) {
        var id: String?, status: String?
        var task = LipSyncTask(taskID: "", taskStatus: .submitted)
        try json.object { (json, key) throws(WireJSONReader.Unsupported) in
            if key == "task_id" { id = try json.id() }
            else if key == "task_status" { status = try json.string() }
            else if key == "task_status_msg" { task.taskStatusMsg = try json.null() ? nil : try json.string() }
            else if key == "task_info" { task.taskInfo = try json.null() ? nil : try TaskInfo(wire: &json) }
            else if key == "task_result" { task.taskResult = try json.null() ? nil : try TaskResult(wire: &json) }
            else if key == "created_at" { task.createdAt = try json.millis() }
            else if key == "updated_at" { task.updatedAt = try json.millis() }
            else if key == "watermark_url" { task.watermarkURL = try json.null() ? nil : try json.string() }
            else if key == "final_unit_deduction" { task.finalUnitDeduction = try json.null() ? nil : try JSONValue(wire: &json) }
            else if key == "final_balance_deduction" { task.finalBalanceDeduction = try json.null() ? nil : try JSONValue(wire: &json) }
            else { try json.skip() }
        }
        guard let id, let status else { throw WireJSONReader.Unsupported() }
        task.taskID = id
        task.taskStatus = TaskStatus(rawValue: status)
        self = task
    }
}

extension TaskInfo: WireJSONDecodable {
    public init(wire json: inout WireJSONReader) throws(WireJSONReader.Unsupported) {
        var external: String?
        try json.object { (json, key) throws(WireJSONReader.Unsupported) in
            if key == "external_task_id" { external = try json.id() } else { try json.skip() }
        }
        self.init(externalTaskID: external)
    }
}

extension TaskResult: WireJSONDecodable {
    public init(wire json: inout WireJSONReader) throws(WireJSONReader.Unsupported) {
        var videos: [TaskVideo]?
        try json.object { (json, key) throws(WireJSONReader.Unsupported) in
            if key == "videos" { videos = try [TaskVideo](wire: &json) } else { try json.skip() }
        }
        guard let videos else { throw WireJSONReader.Unsupported() }
        self.init(videos: videos)
    }
}

extension TaskVideo: WireJSONDecodable {
    public init(wire json: inout WireJSONReader) throws(WireJSONReader.Unsupported) {
        var id: String?, url: String?, duration = ""
        try json.object { (json, key) throws(WireJSONReader.Unsupported) in
            if key == "id" { id = try json.id() }
            else if key == "url" { url = try json.string() }
            else if key == "duration" { duration = try json.duration() }
            else { try json.skip() }
        }
        guard let id, let url else { throw WireJSONReader.Unsupported() }
        self.init(id: id, url: url, duration: duration)
    }
}
