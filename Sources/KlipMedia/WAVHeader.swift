import Foundation

/// The facts ffprobe gives of a plain PCM WAV file, read from its header: the sound a
/// script sends is most often one, and ffprobe costs ~50 ms of CPU (mostly loading its
/// libraries) for what 44 bytes say. Anything else (compressed audio in a WAV, a
/// big-endian header, a data chunk longer than the file) is left to ffprobe.
enum WAVHeader {
    /// `MediaInfo` equal to what `MediaProbe.parse` makes of ffprobe's output, or nil.
    static func info(path: String) -> MediaInfo? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd(), (try? handle.seek(toOffset: 0)) != nil,
              let riff = try? handle.read(upToCount: 12), riff.count == 12,
              riff.prefix(4) == Data("RIFF".utf8), riff.suffix(4) == Data("WAVE".utf8) else { return nil }
        var format: Format?
        var offset: UInt64 = 12
        // A few chunks (fmt, LIST, fact...) come before the data; more is not a plain WAV.
        for _ in 0..<16 {
            guard (try? handle.seek(toOffset: offset)) != nil, let head = try? handle.read(upToCount: 8), head.count == 8 else { return nil }
            let id = String(decoding: head.prefix(4), as: UTF8.self), length = UInt64(head.uint32(at: 4))
            let body = offset + 8
            switch id {
            case "fmt ":
                let want = Int(min(length, 26))
                guard length >= 16, let bytes = try? handle.read(upToCount: want), bytes.count == want else { return nil }
                format = Format(bytes)
            case "data":
                guard let format, body + length <= size else { return nil }
                return format.info(dataBytes: length, fileBytes: size)
            default:
                break
            }
            offset = body + length + (length & 1)  // chunks are padded to even sizes
        }
        return nil
    }

    struct Format {
        let tag: UInt16, channels: Int, sampleRate: Int, blockAlign: Int, bits: Int

        init(_ b: Data) {
            // WAVE_FORMAT_EXTENSIBLE (ffmpeg writes it for more than 16 bits or 2 channels)
            // names the real format in the first two bytes of its sub-format GUID.
            let declared = b.uint16(at: 0)
            tag = declared == 0xFFFE && b.count >= 26 ? b.uint16(at: 24) : declared
            channels = Int(b.uint16(at: 2))
            sampleRate = Int(b.uint32(at: 4))
            blockAlign = Int(b.uint16(at: 12))
            bits = Int(b.uint16(at: 14))
        }

        /// ffmpeg's name for the sample format; nil for what this reader leaves to ffprobe.
        var codec: String? {
            switch (tag, bits) {
            case (1, 8): "pcm_u8"
            case (1, 16): "pcm_s16le"
            case (1, 24): "pcm_s24le"
            case (1, 32): "pcm_s32le"
            case (3, 32): "pcm_f32le"
            case (3, 64): "pcm_f64le"
            default: nil
            }
        }

        func info(dataBytes: UInt64, fileBytes: UInt64) -> MediaInfo? {
            guard let codec, channels > 0, sampleRate > 0, blockAlign == channels * bits / 8 else { return nil }
            let seconds = Double(dataBytes / UInt64(blockAlign)) / Double(sampleRate)
            guard let ms = MediaProbe.milliseconds(seconds: seconds) else { return nil }
            return MediaInfo(formatName: "wav", durationMs: ms, sizeBytes: Int64(fileBytes), video: nil,
                             audio: MediaInfo.Audio(codec: codec, sampleRate: sampleRate, channels: channels, durationMs: ms))
        }
    }
}

private extension Data {
    func uint16(at i: Int) -> UInt16 {
        let s = startIndex + i
        return UInt16(self[s]) | UInt16(self[s + 1]) << 8
    }

    func uint32(at i: Int) -> UInt32 {
        UInt32(uint16(at: i)) | UInt32(uint16(at: i + 2)) << 16
    }
}
