import Foundation
import KlipEngine

/// Everything `klip serve` (or the in-process default) decides about an emulator.
public struct EmulatorConfiguration: Sendable {
    public var host: String = "127.0.0.1"
    /// 0 picks an ephemeral port; `RunningEmulator.baseURL` tells which.
    public var port: Int = 0
    /// Static keys accepted as `Authorization: Bearer <key>`.
    public var apiKeys: [String] = []
    /// Access key -> secret key, for `Bearer <JWT>` (Kling's own API).
    public var accessKeys: [String: String] = [:]
    /// Directories that `file://` and absolute-path `video_url` / `sound_file` may point into.
    /// Empty (the default): no local file is ever read on a request's behalf.
    public var mediaRoots: [String] = []
    /// Holds `klip.sqlite` and every file the emulator writes.
    public var stateDirectory: String
    /// Tasks allowed in `submitted|processing` at once (more answer 1303), and renders run at once.
    public var maxParallel: Int
    /// How long a session from identify-face stays usable (Kling: 24 h).
    public var sessionLifetime: Duration = .seconds(86400)
    /// Standard Webhooks secret (`whsec_...`): when set, callbacks are signed.
    public var webhookSecret: String? = nil
    public var renderMode: RenderMode = .full
    /// Each task stays `processing` at least this long (`klip serve --task-seconds`): Kling's
    /// take minutes, so waits, back-off and resumes can be exercised at that timing (with
    /// `--render none`, without the CPU of rendering).
    public var minimumTaskDuration: Duration = .zero
    /// Largest request body accepted; larger answers 400/1200.
    public var maxBodyBytes: Int = 16 << 20
    /// Largest http(s) download for a `video_url` or `sound_file`.
    public var maxDownloadBytes: Int64 = 100 << 20

    /// Fetch media and deliver callbacks only to loopback hosts (fuzzing, tests): other
    /// http(s) URLs answer 1201 instead of reaching the network.
    public var outboundLoopbackOnly = false
    /// Refuse local paths and `file://` for `video_url` and `sound_file` (1201), as Kling's
    /// cloud does, whatever the media roots say (`klip serve --remote-only`).
    public var remoteOnly = false
    /// Failures injected into API answers (`klip serve --faults`); none by default.
    public var faults: FaultSpec = .none
    /// With the same seed and the same request order, the same requests get the same faults.
    public var faultSeed: UInt64 = 0
    /// How long a stop waits for requests in flight (and renders to wind down) before
    /// cutting them off: `ServiceGroup`'s `maximumGracefulShutdownDuration`.
    public var shutdownTimeout: Duration = .seconds(10)
    /// SIGTERM and SIGINT start the graceful stop (`klip serve`; an embedding program keeps
    /// its own signals).
    public var handlesSignals = false

    /// Test seam: awaited by a worker after a task turns `processing`, before it renders.
    var beforeRender: (@Sendable (String) async -> Void)? = nil
    /// Callback retry delays; the first delivery is immediate.
    var callbackRetryDelays: [Duration] = [.milliseconds(500), .seconds(2), .seconds(5)]
    /// A render that runs longer fails its task (a stuck one would otherwise hold a slot forever).
    var renderTimeout: Duration = .seconds(1800)
    /// Per delivery attempt (connecting included: an unreachable receiver is retried until then).
    var callbackTimeout: Duration = .seconds(10)

    public init(stateDirectory: String, maxParallel: Int = EmulatorConfiguration.defaultMaxParallel) {
        self.stateDirectory = stateDirectory
        self.maxParallel = maxParallel
    }

    /// Half the cores, at least one. A render is an ffmpeg libx264 encode (which already
    /// spreads over every core) fed by per-frame dlib work; two renders per core only
    /// make each one slower and the machine thrash, so half the cores keeps the encoder busy
    /// without oversubscription. Over the limit Kling answers 1303, which clients retry.
    public static var defaultMaxParallel: Int {
        max(1, ProcessInfo.processInfo.activeProcessorCount / 2)
    }

    /// Auth is off when no key of either kind is configured.
    var authEnabled: Bool { !apiKeys.isEmpty || !accessKeys.isEmpty }

    var isLoopback: Bool {
        let h = host.lowercased()
        return h == "localhost" || h == "::1" || h == "[::1]" || h.hasPrefix("127.")
    }
}

/// Why `Emulator.start` refused to start.
public struct EmulatorStartError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
