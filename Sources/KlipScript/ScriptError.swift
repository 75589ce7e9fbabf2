/// The error table a binding raises: `kind`, `field`, `code`, `message`, `request_id`,
/// `task_id`, with the `klip.error` metatable (its `__tostring` is one readable line).
public struct ScriptError: Error, Sendable, Equatable {
    public var kind: String
    public var message: String
    public var field: String?
    public var code: Int?
    public var requestID: String?
    public var taskID: String?

    public init(kind: String, message: String, field: String? = nil, code: Int? = nil,
                requestID: String? = nil, taskID: String? = nil) {
        self.kind = kind
        self.message = message
        self.field = field
        self.code = code
        self.requestID = requestID
        self.taskID = taskID
    }

    /// A wrong argument to a binding: a validation error naming the argument.
    static func argument(_ field: String, _ message: String) -> ScriptError {
        ScriptError(kind: "validation", message: message, field: field)
    }

    static func cancelled(_ message: String) -> ScriptError {
        ScriptError(kind: "cancelled", message: message)
    }

    var table: LuaValue {
        .record([
            ("kind", .string(kind)),
            ("message", .string(message)),
            ("field", field.map { .string($0) } ?? .nil),
            ("code", code.map { .int(Int64($0)) } ?? .nil),
            ("request_id", requestID.map { .string($0) } ?? .nil),
            ("task_id", taskID.map { .string($0) } ?? .nil),
        ])
    }

    func encode(into out: inout [UInt8]) {
        LuaCodec.encode(table: table, metatable: "klip.error", into: &out)
    }
}
