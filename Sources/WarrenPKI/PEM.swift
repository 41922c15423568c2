import WarrenCrypto

/// Text armour for certificate files: base64 between BEGIN/END lines, as nebula and X.509
/// tools print them, so they survive copy and paste.
public enum PEM {
    public static let certificateLabel = "WARREN CERTIFICATE"

    public static func encode(_ bytes: [UInt8], label: String = certificateLabel) -> String {
        let b64 = Array(Encoding.base64(bytes))
        var lines = ["-----BEGIN \(label)-----"]
        var i = 0
        while i < b64.count {
            lines.append(String(b64[i..<min(i + 64, b64.count)]))
            i += 64
        }
        lines.append("-----END \(label)-----")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Decodes the first block with `label`; text around it is ignored (comments, other blocks).
    public static func decode(_ text: String, label: String = certificateLabel) -> [UInt8]? {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingWhitespace() }
        guard let begin = lines.firstIndex(of: "-----BEGIN \(label)-----"),
              let end = lines[begin...].firstIndex(of: "-----END \(label)-----") else { return nil }
        return Encoding.fromBase64(lines[(begin + 1)..<end].joined())
    }
}

extension Substring {
    func trimmingWhitespace() -> String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
