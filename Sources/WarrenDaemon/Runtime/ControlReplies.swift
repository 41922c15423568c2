import FoundationEssentials
import WarrenNode

/// Replies to control requests as the CLI reads them: JSON with sorted keys.
extension NodeReply {
    var json: [UInt8] {
        let encoder = JSONEncoder.sorted
        let data: Data? = switch self {
        case .status(let report): try? encoder.encode(report)
        case .lookup(let report): try? encoder.encode(report)
        case .ping(let report): try? encoder.encode(report)
        case .netcheck(let report): try? encoder.encode(report)
        case .circuits(let report): try? encoder.encode(report)
        }
        return data.map(Array.init) ?? Array("{}".utf8)
    }
}

extension RequestError {
    var json: [UInt8] {
        (try? JSONEncoder.sorted.encode(["error": message])).map(Array.init) ?? Array("{}".utf8)
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return e
    }
}
