import Foundation

/// Loads test-vector files: JSON documents copied verbatim from their published source, kept
/// in each test target's `Vectors/` folder. The one place that reads them.
public enum Vectors {
    public static func load(_ name: String, from bundle: Bundle) throws -> [String: Any] {
        guard let url = bundle.url(forResource: name, withExtension: "json", subdirectory: "Vectors")
            ?? bundle.url(forResource: "Vectors/" + name, withExtension: "json") else {
            throw VectorError.missing(name)
        }
        let data = try Data(contentsOf: url)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw VectorError.malformed(name)
        }
        return object
    }

    /// The array under `key`, each element a dictionary of strings (hex or text fields).
    public static func entries(_ document: [String: Any], _ key: String) throws -> [[String: Any]] {
        guard let list = document[key] as? [[String: Any]] else { throw VectorError.malformed(key) }
        return list
    }
}

public enum VectorError: Error, CustomStringConvertible {
    case missing(String)
    case malformed(String)
    case badHex(String)

    public var description: String {
        switch self {
        case .missing(let n): "vector file \(n).json not found in the test bundle"
        case .malformed(let n): "vector file or field \(n) is not in the expected shape"
        case .badHex(let f): "field \(f) is not hex"
        }
    }
}

extension Dictionary where Key == String, Value == Any {
    /// A hex field decoded to bytes; a missing field is empty.
    public func hex(_ field: String) throws -> [UInt8] {
        guard let text = self[field] as? String else { return [] }
        var out = [UInt8]()
        var chars = Array(text.utf8)[...]
        guard chars.count % 2 == 0 else { throw VectorError.badHex(field) }
        while !chars.isEmpty {
            guard let byte = UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16) else {
                throw VectorError.badHex(field)
            }
            out.append(byte)
            chars = chars.dropFirst(2)
        }
        return out
    }
}
