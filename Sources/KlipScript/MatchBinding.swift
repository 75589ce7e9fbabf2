import Foundation

/// `kling.match(reference, session [, {threshold =}]) -> face, distance`: the face of
/// `session` that is the same person as `reference` (a face table from any session, or an
/// image path or URL), by dlib face descriptors of the `face_image` crops.
extension LuaRuntime {
    func registerMatch() {
        register("match", waits: true) { rt, args in
            let reference = args.first ?? .nil
            let image: String
            switch reference {
            case let .string(s):
                do throws(ScriptError) { image = try rt.context.paths.check(s, field: "reference") } catch { return .error(error) }
            case .table:
                guard let s = reference["face_image"].stringValue else {
                    return .error(.argument("reference", "kling.match needs a face table with face_image (from identify) or an image path"))
                }
                image = s
            default:
                return .error(.argument("reference", "kling.match needs a face (from identify) or an image path; got a \(reference.typeName)"))
            }
            guard let faces = ContactSheet.faces(of: args[safe: 1] ?? .nil) else {
                return .error(.argument("session", "kling.match needs a session with faces (what identify returned)"))
            }
            let list = (args[safe: 1] ?? .nil)["faces"].isTable ? args[1]["faces"] : args[1]["face_data"]
            let tables = list.arrayItems.filter { !$0["face_image"].isNil }
            var threshold = FaceEmbedding.threshold
            if let t = args[safe: 2]?["threshold"], !t.isNil {
                guard let v = t.number, v > 0 else { return .error(.argument("threshold", "must be a distance > 0")) }
                threshold = v
            }
            let limit = threshold
            return .wait {
                await Self.media(field: "reference") {
                    let embedding = FaceEmbedding.shared
                    let wanted = try await embedding.descriptor(of: image)
                    var best: (Int, Double)?
                    for (i, face) in faces.enumerated() {
                        let d = FaceEmbedding.distance(wanted, try await embedding.descriptor(of: face.image))
                        if best == nil || d < best!.1 { best = (i, d) }
                    }
                    guard let (i, d) = best else { return [.nil] }
                    return d <= limit ? [tables[i], .double(d)] : [.nil, .double(d)]
                }
            }
        }
    }
}
