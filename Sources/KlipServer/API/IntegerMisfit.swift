import Foundation

/// Foundation's JSONDecoder reports a fraction or an out-of-range number where an `Int` is
/// expected as "not valid JSON", with no field. This finds the field: among the numbers of
/// the body that no `Int` can hold, the one whose replacement by 0 makes that error go away.
enum IntegerMisfit {
    enum Step { case key(String), index(Int) }

    struct Finding {
        var path: String
        var value: String
        var tooLarge: Bool
        var message: String {
            tooLarge ? "must be an integer; \(value) is too large" : "must be an integer (no fraction); got \(value)"
        }
    }

    static func find<T: Decodable>(_ type: T.Type, in data: Data) -> Finding? {
        guard let object = try? JSONSerialization.jsonObject(with: data) else { return nil }
        var candidates: [([Step], NSNumber)] = []
        collect(object, at: [], into: &candidates)
        for (steps, number) in candidates {
            let patched = replacing(object, at: steps[...], with: 0)
            guard let body = try? JSONSerialization.data(withJSONObject: patched) else { continue }
            do { _ = try JSONDecoder().decode(T.self, from: body) } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty {
                continue
            } catch {}
            let tooLarge = abs(number.doubleValue) >= 9.2e18
            return Finding(path: text(steps), value: "\(number)", tooLarge: tooLarge)
        }
        return nil
    }

    private static func collect(_ value: Any, at steps: [Step], into found: inout [([Step], NSNumber)]) {
        if let object = value as? [String: Any] {
            for (key, child) in object.sorted(by: { $0.key < $1.key }) { collect(child, at: steps + [.key(key)], into: &found) }
        } else if let array = value as? [Any] {
            for (i, child) in array.enumerated() { collect(child, at: steps + [.index(i)], into: &found) }
        } else if let number = value as? NSNumber, !(value is Bool) {
            let d = number.doubleValue
            if d != d.rounded() || abs(d) >= 9.2e18 { found.append((steps, number)) }
        }
    }

    private static func replacing(_ value: Any, at steps: ArraySlice<Step>, with replacement: Any) -> Any {
        guard let step = steps.first else { return replacement }
        switch step {
        case let .key(key):
            guard var object = value as? [String: Any], let child = object[key] else { return value }
            object[key] = replacing(child, at: steps.dropFirst(), with: replacement)
            return object
        case let .index(i):
            guard var array = value as? [Any], array.indices.contains(i) else { return value }
            array[i] = replacing(array[i], at: steps.dropFirst(), with: replacement)
            return array
        }
    }

    /// `face_choose[0].sound_start_time`
    private static func text(_ steps: [Step]) -> String {
        var text = ""
        for step in steps {
            switch step {
            case let .key(key): text += text.isEmpty ? key : ".\(key)"
            case let .index(i): text += "[\(i)]"
            }
        }
        return text
    }
}
