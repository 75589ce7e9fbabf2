/// What the client learned from its own identify calls, so that a create on the same
/// session can be checked against the faces (and the video length) before sending.
actor SessionFacts {
    struct Entry {
        var faces: [FaceData]
        var videoDurationMs: Int?
    }
    private var entries: [String: Entry] = [:]

    func record(_ result: IdentifyFaceResult, videoDurationMs: Int?) {
        entries[result.sessionID] = Entry(faces: result.faceData, videoDurationMs: videoDurationMs)
    }

    func entry(_ sessionID: String) -> Entry? { entries[sessionID] }
}
