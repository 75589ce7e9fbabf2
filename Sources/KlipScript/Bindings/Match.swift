/// `kling.match(reference, session [, {threshold =}]) -> face, distance`: the face of
/// `session` that is the same person as `reference` (a face table from any session, or an
/// image path or URL), by dlib face descriptors of the `face_image` crops; nil (and the
/// nearest distance) when nobody is within the threshold.
struct Match: MediaBinding {
    static let name = "match"
    static let field = "reference"

    let image: String
    /// The session's faces as given (returned as they came) and their crops.
    let faces: [(table: LuaValue, image: String)]
    let threshold: Double

    init(arguments a: [LuaValue], runtime rt: LuaRuntime) throws(ScriptError) {
        let reference = a[safe: 0] ?? .nil
        switch reference {
        case let .string(s):
            image = try rt.context.paths.check(s, field: "reference")
        case .table:
            guard let s = reference["face_image"].stringValue else {
                throw .argument("reference", "kling.match needs a face table with face_image (from identify) or an image path")
            }
            image = s
        default:
            throw .argument("reference", "kling.match needs a face (from identify) or an image path; got a \(reference.typeName)")
        }
        let session = a[safe: 1] ?? .nil
        let list = session["faces"].isTable ? session["faces"] : session["face_data"]
        faces = list.arrayItems.compactMap { f in f["face_image"].stringValue.map { (f, $0) } }
        guard !faces.isEmpty || list.isTable else {
            throw .argument("session", "kling.match needs a session with faces (what identify returned)")
        }
        let t = (a[safe: 2] ?? .nil)["threshold"]
        if t.isNil {
            threshold = FaceEmbedding.threshold
        } else {
            guard let v = t.number, v > 0 else { throw .argument("threshold", "must be a distance > 0") }
            threshold = v
        }
    }

    func perform() async throws -> [LuaValue] {
        let embedding = FaceEmbedding.shared
        let wanted = try await embedding.descriptor(of: image)
        var best: (face: LuaValue, distance: Double)?
        for face in faces {
            let d = FaceEmbedding.distance(wanted, try await embedding.descriptor(of: face.image))
            if best == nil || d < best!.distance { best = (face.table, d) }
        }
        guard let best else { return [.nil] }
        return best.distance <= threshold ? [best.face, .double(best.distance)] : [.nil, .double(best.distance)]
    }
}
