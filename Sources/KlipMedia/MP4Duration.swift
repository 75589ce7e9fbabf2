import Foundation

/// A video's length read from its MP4/MOV boxes, as ffprobe reports the video stream's
/// duration. The client needs only this of a local video it identifies (a later create must
/// end within it), and an ffprobe for it cost ~0.15 s of CPU, mostly loading its libraries
/// (7% of `klip run`'s CPU for 1,000 tasks). Whatever this reader is not sure of (no video
/// track or more than one, an edit list of more than one entry or an empty edit, a
/// fragmented file, boxes that do not add up) is nil: the caller asks ffprobe.
public enum MP4Duration {
    /// The video stream's duration in ms, rounded as `MediaProbe` rounds ffprobe's, or nil.
    public static func videoMs(path: String) -> Int? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let moov = topLevelBody("moov", in: handle) else { return nil }
        return videoMs(moov: moov)
    }

    static func videoMs(moov: Data) -> Int? {
        guard let boxes = children(moov), !boxes.contains(where: { $0.type == "mvex" }) else { return nil }
        let videoTracks = boxes.filter { $0.type == "trak" }.compactMap { children($0.body) }.filter { handler(of: $0) == "vide" }
        guard videoTracks.count == 1, let track = videoTracks.first else { return nil }
        guard let mdia = track.first(where: { $0.type == "mdia" }).flatMap({ children($0.body) }),
              let mdhd = mdia.first(where: { $0.type == "mdhd" }), let media = timescaleAndDuration(mdhd.body) else { return nil }
        // ffprobe's duration is the media header's while an edit list drops no frame: none,
        // or one edit starting at the first frame's composition offset (the B-frame delay an
        // encoder writes). An edit that starts later (a cut between keyframes) drops frames.
        if let edts = track.first(where: { $0.type == "edts" }) {
            guard let elst = children(edts.body)?.first(where: { $0.type == "elst" }),
                  let start = singleEditStart(elst.body), start == firstCompositionOffset(mdia) else { return nil }
        }
        return milliseconds(media.duration, per: media.timescale)
    }

    /// The first sample's composition offset (ctts), 0 without one; nil if unreadable.
    static func firstCompositionOffset(_ mdia: [Box]) -> Int64? {
        guard let minf = mdia.first(where: { $0.type == "minf" }).flatMap({ children($0.body) }),
              let stbl = minf.first(where: { $0.type == "stbl" }).flatMap({ children($0.body) }) else { return nil }
        guard let ctts = stbl.first(where: { $0.type == "ctts" })?.body else { return 0 }
        let s = ctts.startIndex
        guard ctts.count >= 16, ctts.uint32(at: s + 4) > 0 else { return nil }
        let offset = ctts.uint32(at: s + 12)
        return ctts.first == 0 ? Int64(offset) : Int64(Int32(bitPattern: offset))
    }

    /// ffprobe prints seconds with 6 decimals, which MediaProbe rounds to ms: the same here.
    static func milliseconds(_ units: UInt64, per timescale: UInt64) -> Int? {
        guard timescale > 0, units > 0 else { return nil }
        guard let printed = Double(String(format: "%.6f", Double(units) / Double(timescale))) else { return nil }
        return Int((printed * 1000).rounded())
    }

    // MARK: boxes

    struct Box {
        var type: String
        var body: Data
    }

    /// The boxes inside a box's body; nil when their sizes do not add up.
    static func children(_ data: Data) -> [Box]? {
        var boxes: [Box] = []
        var offset = data.startIndex
        while offset < data.endIndex {
            guard data.endIndex - offset >= 8 else { return nil }
            var size = UInt64(data.uint32(at: offset)), header = 8
            if size == 1 {
                guard data.endIndex - offset >= 16 else { return nil }
                size = data.uint64(at: offset + 8)
                header = 16
            } else if size == 0 {
                size = UInt64(data.endIndex - offset)
            }
            guard size >= UInt64(header), size <= UInt64(data.endIndex - offset) else { return nil }
            let type = String(decoding: data[(offset + 4)..<(offset + 8)], as: UTF8.self)
            boxes.append(Box(type: type, body: data[(offset + header)..<(offset + Int(size))]))
            offset += Int(size)
        }
        return boxes
    }

    /// A top-level box's body, found by skipping the others (the media data may come first).
    static func topLevelBody(_ wanted: String, in handle: FileHandle) -> Data? {
        guard let end = try? handle.seekToEnd() else { return nil }
        var offset: UInt64 = 0
        for _ in 0..<64 where offset + 8 <= end {
            guard (try? handle.seek(toOffset: offset)) != nil, let head = try? handle.read(upToCount: 16), head.count >= 8 else { return nil }
            var size = UInt64(head.uint32(at: head.startIndex)), header: UInt64 = 8
            if size == 1 {
                guard head.count == 16 else { return nil }
                size = head.uint64(at: head.startIndex + 8)
                header = 16
            } else if size == 0 {
                size = end - offset
            }
            guard size >= header, offset + size <= end else { return nil }
            let type = String(decoding: head[(head.startIndex + 4)..<(head.startIndex + 8)], as: UTF8.self)
            if type == wanted {
                // A movie header is kilobytes to a few MB; more is not a file to trust.
                guard size - header <= 64 << 20, (try? handle.seek(toOffset: offset + header)) != nil,
                      let body = try? handle.read(upToCount: Int(size - header)), body.count == Int(size - header) else { return nil }
                return body
            }
            offset += size
        }
        return nil
    }

    /// mdhd (as mvhd): version, flags, two dates, timescale, duration.
    static func timescaleAndDuration(_ body: Data) -> (timescale: UInt64, duration: UInt64)? {
        guard let version = body.first else { return nil }
        let s = body.startIndex
        switch version {
        case 0 where body.count >= 20: return (UInt64(body.uint32(at: s + 12)), UInt64(body.uint32(at: s + 16)))
        case 1 where body.count >= 32: return (UInt64(body.uint32(at: s + 20)), body.uint64(at: s + 24))
        default: return nil
        }
    }

    /// The track's handler type ("vide", "soun"...) from mdia/hdlr.
    static func handler(of track: [Box]) -> String? {
        guard let mdia = track.first(where: { $0.type == "mdia" }).flatMap({ children($0.body) }),
              let hdlr = mdia.first(where: { $0.type == "hdlr" })?.body, hdlr.count >= 12 else { return nil }
        return String(decoding: hdlr[(hdlr.startIndex + 8)..<(hdlr.startIndex + 12)], as: UTF8.self)
    }

    /// The media time an edit list's one entry starts playing at; nil for any other list
    /// (an empty edit, -1, is a gap ffmpeg keeps).
    static func singleEditStart(_ body: Data) -> Int64? {
        guard let version = body.first, body.count >= 8 else { return nil }
        let s = body.startIndex
        guard body.uint32(at: s + 4) == 1 else { return nil }
        let start: Int64
        switch version {
        case 0 where body.count >= 20: start = Int64(Int32(bitPattern: body.uint32(at: s + 12)))
        case 1 where body.count >= 28: start = Int64(bitPattern: body.uint64(at: s + 16))
        default: return nil
        }
        return start >= 0 ? start : nil
    }
}

private extension Data {
    /// Big-endian, at an absolute index of this (possibly sliced) Data.
    func uint32(at i: Int) -> UInt32 {
        UInt32(self[i]) << 24 | UInt32(self[i + 1]) << 16 | UInt32(self[i + 2]) << 8 | UInt32(self[i + 3])
    }

    func uint64(at i: Int) -> UInt64 {
        UInt64(uint32(at: i)) << 32 | UInt64(uint32(at: i + 4))
    }
}
