import Foundation

/// One decoded frame on its way from the decode pipe to the encode pipe.
public struct VideoFrame {
    public let index: Int
    public let timeMs: Int
    public let width: Int
    public let height: Int
    /// Packed RGB24, `width * height * 3` bytes; a stage edits it in place.
    public var pixels: UnsafeMutableRawBufferPointer
}

/// A per-frame step of the render pipeline (the mouth animation plugs in here).
/// Runs on the pipeline's own thread, one frame at a time, in order.
public protocol FrameStage {
    mutating func process(_ frame: inout VideoFrame) throws
}

/// Leaves every frame as it is.
public struct IdentityStage: FrameStage, Sendable {
    public init() {}
    public mutating func process(_ frame: inout VideoFrame) throws {}
}
