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
        let videoTracks = boxes.filter { $0.type == "trak" }.compactMap { children($0.body) }.compactMap { track in
            inner("mdia", of: track).flatMap { handler(of: $0) == "vide" ? (track: track, mdia: $0) : nil }
        }
        guard videoTracks.count == 1, let (track, mdia) = videoTracks.first,
              let mdhd = mdia.first(where: { $0.type == "mdhd" }), let media = timescaleAndDuration(mdhd.body) else { return nil }
        // ffprobe's duration is the media header's while an edit list drops no frame: none,
        // or one edit starting at the first frame's composition offset (the B-frame delay an
        // encoder writes). An edit that starts later (a cut between keyframes) drops frames.
        if let edts = inner("edts", of: track) {
            guard let elst = edts.first(where: { $0.type == "elst" }),
                  let start = singleEditStart(elst.body), start == firstCompositionOffset(mdia) else { return nil }
        }
        guard media.timescale > 0, media.duration > 0 else { return nil }
        return MediaProbe.milliseconds(seconds: Double(media.duration) / Double(media.timescale))
    }

    /// The first sample's composition offset (ctts), 0 without one; nil if unreadable.
    static func firstCompositionOffset(_ mdia: [Box]) -> Int64? {
        guard let stbl = inner("minf", of: mdia).flatMap({ inner("stbl", of: $0) }) else { return nil }
        guard let ctts = stbl.first(where: { $0.type == "ctts" })?.body else { return 0 }
        let s = ctts.startIndex
        guard ctts.count >= 16, ctts.uint32(at: s + 4) > 0 else { return nil }
        let offset = ctts.uint32(at: s + 12)
        return ctts.first == 0 ? Int64(offset) : Int64(Int32(bitPattern: offset))
    }

    // MARK: boxes

    struct Box {
        var type: String
        var body: Data
    }

    /// A box's header at the start of `bytes`, of a box that may run `available` bytes: its
    /// type, whole size and header length (8, or 16 with a 64-bit size; size 0 runs to the
    /// end). Nil when the header is cut or the size does not fit.
    static func header(_ bytes: Data, available: UInt64) -> (type: String, size: UInt64, length: UInt64)? {
        let s = bytes.startIndex
        guard bytes.count >= 8 else { return nil }
        var size = UInt64(bytes.uint32(at: s)), length: UInt64 = 8
        if size == 1 {
            guard bytes.count >= 16 else { return nil }
            size = bytes.uint64(at: s + 8)
            length = 16
        } else if size == 0 {
            size = available
        }
        guard size >= length, size <= available else { return nil }
        return (String(decoding: bytes[(s + 4)..<(s + 8)], as: UTF8.self), size, length)
    }

    /// The boxes inside a box's body; nil when their sizes do not add up.
    static func children(_ data: Data) -> [Box]? {
        var boxes: [Box] = []
        var offset = data.startIndex
        while offset < data.endIndex {
            guard let box = header(data[offset...], available: UInt64(data.endIndex - offset)) else { return nil }
            boxes.append(Box(type: box.type, body: data[(offset + Int(box.length))..<(offset + Int(box.size))]))
            offset += Int(box.size)
        }
        return boxes
    }

    /// The children of the first box of `type` among `boxes`.
    static func inner(_ type: String, of boxes: [Box]) -> [Box]? {
        boxes.first(where: { $0.type == type }).flatMap { children($0.body) }
    }

    /// A top-level box's body, found by skipping the others (the media data may come first).
    static func topLevelBody(_ wanted: String, in handle: FileHandle) -> Data? {
        guard let end = try? handle.seekToEnd() else { return nil }
        var offset: UInt64 = 0
        for _ in 0..<64 where offset + 8 <= end {
            guard (try? handle.seek(toOffset: offset)) != nil, let head = try? handle.read(upToCount: 16),
                  let box = header(head, available: end - offset) else { return nil }
            if box.type == wanted {
                // A movie header is kilobytes to a few MB; more is not a file to trust.
                let count = box.size - box.length
                guard count <= 64 << 20, (try? handle.seek(toOffset: offset + box.length)) != nil,
                      let body = try? handle.read(upToCount: Int(count)), body.count == Int(count) else { return nil }
                return body
            }
            offset += box.size
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

    /// The track's handler type ("vide", "soun"...) from its mdia's hdlr.
    static func handler(of mdia: [Box]) -> String? {
        guard let hdlr = mdia.first(where: { $0.type == "hdlr" })?.body, hdlr.count >= 12 else { return nil }
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
