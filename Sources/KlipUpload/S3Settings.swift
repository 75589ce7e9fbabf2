import Foundation

/// Where and how uploads go: `s3://BUCKET/PREFIX`, the AWS variables, the URL lifetime.
public struct S3Settings: Sendable {
    public var bucket: String
    /// The key prefix, without leading or trailing `/` (may be empty).
    public var prefix: String
    public var credentials: AWSCredentials
    public var region: String
    /// A custom endpoint (R2, MinIO, moto): path-style addressing. nil: AWS, virtual-hosted.
    public var endpoint: URL?
    /// Seconds a presigned GET URL stays valid.
    public var expires: Int

    public static let defaultExpires = 86_400
    /// SigV4's own ceiling for presigned URLs.
    public static let maxExpires = 604_800

    public init(bucket: String, prefix: String, credentials: AWSCredentials, region: String = "us-east-1",
                endpoint: URL? = nil, expires: Int = defaultExpires) {
        self.bucket = bucket
        self.prefix = prefix
        self.credentials = credentials
        self.region = region
        self.endpoint = endpoint
        self.expires = expires
    }

    /// `s3://BUCKET/PREFIX` split; `field` names where it came from in errors.
    public static func parseDestination(_ text: String, field: String) throws(UploadError) -> (bucket: String, prefix: String) {
        guard text.hasPrefix("s3://") else {
            throw .configuration(field, "must be s3://BUCKET/PREFIX; got \(text)")
        }
        let rest = text.dropFirst(5)
        let bucket = String(rest.prefix { $0 != "/" })
        let prefix = rest.dropFirst(bucket.count).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        guard (3...63).contains(bucket.count),
              bucket.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" || $0 == "." }), bucket.first != "-" else {
            throw .configuration(field, "'\(bucket)' is not an S3 bucket name (3-63 lowercase letters, digits, '-' and '.')")
        }
        return (bucket, prefix)
    }

    /// The settings from `destination` (`--upload`, else `KLIP_UPLOAD`) and the captured AWS
    /// variables; nil when no destination is set.
    public static func resolve(destination: String?, environment env: AWSEnvironment) throws(UploadError) -> S3Settings? {
        let field = destination == nil ? "KLIP_UPLOAD" : "--upload"
        guard let text = destination ?? env.upload else { return nil }
        let (bucket, prefix) = try parseDestination(text, field: field)
        guard let access = env.accessKeyID, let secret = env.secretAccessKey else {
            throw .configuration("AWS_ACCESS_KEY_ID", "\(field) needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY set")
        }
        var endpoint: URL?
        if let text = env.endpoint {
            guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw .configuration("AWS_ENDPOINT_URL", "must be an http(s) URL; got \(text)")
            }
            endpoint = url
        }
        var expires = defaultExpires
        if let text = env.expires {
            guard let n = Int(text), (1...maxExpires).contains(n) else {
                throw .configuration("KLIP_UPLOAD_EXPIRES", "must be a whole number of seconds from 1 to \(maxExpires); got \(text)")
            }
            expires = n
        }
        return S3Settings(bucket: bucket, prefix: prefix,
                          credentials: AWSCredentials(accessKeyID: access, secretAccessKey: secret, sessionToken: env.sessionToken),
                          region: env.region ?? "us-east-1", endpoint: endpoint, expires: expires)
    }

    /// The object's URL: path-style on a custom endpoint (or a bucket with dots), else virtual-hosted.
    public func objectURL(key: String) -> URL {
        let encodedKey = SigV4.encode(key, keepSlash: true)
        if let endpoint {
            var base = endpoint.absoluteString
            while base.hasSuffix("/") { base.removeLast() }
            return URL(string: "\(base)/\(bucket)/\(encodedKey)")!
        }
        if bucket.contains(".") {
            return URL(string: "https://s3.\(region).amazonaws.com/\(bucket)/\(encodedKey)")!
        }
        return URL(string: "https://\(bucket).s3.\(region).amazonaws.com/\(encodedKey)")!
    }

    /// `PREFIX/<sha256>.<ext>`: the same content is one object, whatever its file is called.
    public func key(sha256: String, pathExtension: String) -> String {
        let ext = pathExtension.lowercased().filter { $0.isLetter || $0.isNumber }
        let name = ext.isEmpty ? sha256 : "\(sha256).\(ext)"
        return prefix.isEmpty ? name : "\(prefix)/\(name)"
    }
}
