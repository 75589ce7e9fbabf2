import Foundation
import KlipMedia

/// One decoded frame on its way from the decode pipe to the encode pipe.
public struct VideoFrame {
    public let index: Int
    public let timeMs: Int
    public let width: Int
    public let height: Int
    /// The layout of `pixels`: the one the stage asked for.
    public let pixelFormat: RawPixelFormat
    /// `pixelFormat.frameBytes(width:height:)` bytes; a stage edits them in place.
    public var pixels: UnsafeMutableRawBufferPointer
}

/// A per-frame step of the render pipeline (the mouth animation plugs in here).
/// Runs on the pipeline's own thread, one frame at a time, in order.
public protocol FrameStage {
    /// The layout the stage works in; the pipes carry frames in it. Defaults to rgb24.
    var pixelFormat: RawPixelFormat { get }
    mutating func process(_ frame: inout VideoFrame) throws
}

extension FrameStage {
    public var pixelFormat: RawPixelFormat { .rgb24 }
}

/// Leaves every frame as it is. It asks for yuv420p, the codec's own layout, so an
/// unchanged frame costs no colour conversion on either side.
public struct IdentityStage: FrameStage, Sendable {
    public init() {}
    public var pixelFormat: RawPixelFormat { .yuv420p }
    public mutating func process(_ frame: inout VideoFrame) throws {}
}
