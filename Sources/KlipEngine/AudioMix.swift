import Foundation

/// The audio edit of a lip-sync render as one ffmpeg filter graph: the clipped new audio
/// inserted at `insertMs`, mixed over the original track, exactly as long as the video.
struct AudioMix: Equatable {
    var soundStartMs: Int
    var soundEndMs: Int
    var insertMs: Int
    var soundVolume: Double
    var originalVolume: Double
    var videoDurationMs: Int

    /// `original` and `sound` are ffmpeg input labels such as "1:a"; `original` is nil for
    /// a silent video. The result ends in the label `[aout]`.
    func filterGraph(original: String?, sound: String) -> String {
        func sec(_ ms: Int) -> String { String(format: "%.3f", Double(ms) / 1000) }
        func num(_ v: Double) -> String { String(format: "%.4f", v) }
        // Both branches meet as 48 kHz stereo float so amix never has to guess a layout.
        let format = "aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo"
        // The mix stops with the original track (duration=first); apad + atrim then make the
        // audio exactly as long as the video whatever the original's length.
        let fit = "apad,atrim=end=\(sec(videoDurationMs))"
        let newAudio = "[\(sound)]atrim=start=\(sec(soundStartMs)):end=\(sec(soundEndMs)),asetpts=PTS-STARTPTS,"
            + "aresample=48000,\(format),adelay=delays=\(insertMs):all=1,volume=\(num(soundVolume))"
        guard let original else {
            return "\(newAudio),\(fit)[aout]"
        }
        return "\(newAudio)[new];[\(original)]aresample=48000,\(format),volume=\(num(originalVolume))[orig];"
            + "[orig][new]amix=inputs=2:duration=first:normalize=0,\(fit)[aout]"
    }
}
