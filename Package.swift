// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "klip",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "klip", targets: ["klip"]),
        .library(name: "KlingAPI", targets: ["KlingAPI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.30.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.20.0", traits: ["FullFoundation"]),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.0.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", .upToNextMinor(from: "1.0.2")),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
    ],
    targets: [
        // Leaf: ffprobe/ffmpeg subprocesses.
        .target(
            name: "KlipMedia",
            dependencies: [
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),

        // The Kling client: wire types, validation, auth, retry, wait, webhooks.
        .target(
            name: "KlingAPI",
            dependencies: [
                "KlipMedia",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Local media to S3-compatible storage: SigV4, HEAD/PUT, presigned GET URLs.
        .target(
            name: "KlipUpload",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
            ]
        ),

        // What a script paid for: identify results and lip-sync tasks by fingerprint.
        .target(
            name: "KlipJournal",
            dependencies: [
                "KlingAPI", "KlipUpload",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),

        // A local receiver for task callbacks that wakes waits early.
        .target(
            name: "KlipCallbacks",
            dependencies: [
                "KlingAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // dlib behind a C header. Always -O2: dlib is ~150x slower at -O0.
        .target(
            name: "CFaceLandmarks",
            cxxSettings: [.unsafeFlags(["-O2"])],
            linkerSettings: [.linkedLibrary("dlib"), .linkedLibrary("blas"), .linkedLibrary("lapack")]
        ),

        // The emulator's work: face tracking, rendering, audio mix. Plain parameters, no wire types.
        .target(name: "KlipEngine", dependencies: ["CFaceLandmarks", "KlipMedia"]),

        // The local Kling: Hummingbird routes over the engine, SQLite store, callbacks.
        .target(
            name: "KlipServer",
            dependencies: [
                "KlingAPI", "KlipEngine", "KlipMedia",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Lua 5.4 from Debian.
        .systemLibrary(name: "CLua", pkgConfig: "lua5.4", providers: [.apt(["liblua5.4-dev"])]),
        // The only code that raises or yields in Lua.
        .target(name: "CLuaGlue", dependencies: ["CLua"], cSettings: [.unsafeFlags(["-O2"])]),
        // The Lua runtime: state, scheduler, bindings, sandbox.
        // Bundled Lua modules (`require "kling.edit"`), shipped as resources of the binary.
        .target(name: "KlipLua", path: "lua", exclude: ["klip.d.lua"], resources: [.copy("kling")]),
        .target(name: "KlipScript", dependencies: ["CLua", "CLuaGlue", "KlingAPI", "KlipMedia", "KlipJournal", "KlipUpload", "KlipLua", "CFaceLandmarks"]),

        .executableTarget(
            name: "klip",
            dependencies: [
                "KlingAPI", "KlipServer", "KlipScript", "KlipMedia", "KlipEngine", "KlipJournal", "KlipCallbacks", "KlipUpload",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .testTarget(
            name: "KlingAPITests",
            dependencies: ["KlingAPI", "KlipMedia", .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]
        ),
        .testTarget(name: "KlipEngineTests", dependencies: ["KlipEngine", "KlipMedia"]),
        .testTarget(name: "KlipMediaTests", dependencies: ["KlipMedia", "KlipTestSupport"]),
        // What several test targets share (a child process whose output a test waits on, a
        // benchmark's CPU time).
        .target(name: "KlipTestSupport", path: "Tests/KlipTestSupport"),
        .testTarget(
            name: "KlipServerTests",
            dependencies: [
                "KlipServer", "KlingAPI", "KlipMedia", "KlipEngine", "KlipTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "KlipScriptTests", dependencies: ["KlipScript", "KlingAPI", "KlipServer", "KlipMedia"]),
        // Scripts/ holds the Lua the tests run from the source tree, by path: not a resource.
        .testTarget(name: "KlipCLITests", dependencies: ["KlipMedia"], exclude: ["Scripts"]),
        .testTarget(
            name: "KlipCallbacksTests",
            dependencies: ["KlipCallbacks", "KlingAPI", "KlipServer", "KlipMedia", "KlipTestSupport", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "KlipUploadTests", dependencies: ["KlipUpload", "KlipServer", "KlingAPI", "KlipTestSupport", .product(name: "Logging", package: "swift-log"), .product(name: "Crypto", package: "swift-crypto"), .product(name: "AsyncHTTPClient", package: "async-http-client")]),
        .testTarget(
            name: "KlipJournalTests",
            dependencies: ["KlipJournal", "KlingAPI", "KlipServer", "KlipMedia", "KlipTestSupport", .product(name: "Logging", package: "swift-log"),
                           .product(name: "GRDB", package: "GRDB.swift")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
