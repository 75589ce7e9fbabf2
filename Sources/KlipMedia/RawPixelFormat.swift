/// Layouts of raw frames through the pipes. `rgb24` is what pixel code wants; `yuv420p` is
/// what H.264 decoders and encoders use, so frames that only pass through skip two colour
/// conversions (measured: a 720p rgb24 round trip costs ~65% more CPU than a bare re-encode,
/// a yuv420p one nothing measurable).
public enum RawPixelFormat: String, Sendable {
    /// Packed R, G, B bytes.
    case rgb24
    /// Planar: Y (width x height), then U and V (each ceil(w/2) x ceil(h/2)).
    case yuv420p

    public func frameBytes(width: Int, height: Int) -> Int {
        switch self {
        case .rgb24: width * height * 3
        case .yuv420p: width * height + 2 * ((width + 1) / 2) * ((height + 1) / 2)
        }
    }
}
