/// The error table a binding raises: `kind`, `field`, `code`, `message`, `request_id`,
/// `task_id`, with the `klip.error` metatable (its `__tostring` is one readable line).
public struct ScriptError: Error, Sendable, Equatable {
    /// What went wrong, as scripts branch on it (`err.kind == "validation"`): the API's
    /// kinds (`KlingError.Kind`) and `error`, a misuse of the host itself.
    public enum Kind: String, Sendable {
        /// A wrong argument or a rule broken before anything was sent; `field` names it.
        case validation
        case api
        case network
        case timeout
        case failed
        case cancelled
        /// The host cannot do this here (a waiting binding outside a coroutine, say).
        case error
    }

    public var kind: Kind
    public var message: String
    public var field: String?
    public var code: Int?
    public var requestID: String?
    public var taskID: String?

    public init(kind: Kind, message: String, field: String? = nil, code: Int? = nil,
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
        ScriptError(kind: .validation, message: message, field: field)
    }

    static func cancelled(_ message: String) -> ScriptError {
        ScriptError(kind: .cancelled, message: message)
    }

    var table: LuaValue {
        .record([
            ("kind", .string(kind.rawValue)),
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
