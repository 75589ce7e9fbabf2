import KlipMedia

/// At most `limit` requests on the wire at once; the rest wait here, in order. The HTTP
/// pool would otherwise queue them itself and fail those that wait longer than the connect
/// timeout — a script with a thousand tasks in flight would see spurious network errors.
typealias RequestLimiter = ConcurrencyLimiter
