/// Catches the inputs that make the TOML library abort the process instead of reporting an
/// error: toml++ 3.4.0 (inside TOMLKit 0.6.0) asserts, and so aborts, when a table header
/// `[` or `[[` is followed by a character that cannot start a key ("[=", "[[[1]]]"; fixed
/// upstream in marzer/tomlplusplus#301, not yet in a TOMLKit release). A config file is
/// attacker-free but typo-prone, and a typo must give an error line, not a crash.
///
/// It reads bytes, as toml++ does: Swift's Characters would merge "\r\n" into one and "[" with
/// a following combining mark, and hide the case from the check. The check is deliberately
/// narrow: it looks only at lines that begin with `[`, and Warren's config has no arrays of
/// arrays that could begin a line that way.
enum TOMLPrecheck {
    static let byteOrderMark: [UInt8] = [0xef, 0xbb, 0xbf]

    /// The 1-based number of the first line that would make the parser abort, or nil.
    static func firstUnsafeLine(_ text: String) -> Int? {
        var bytes = Array(text.utf8)[...]
        if bytes.starts(with: byteOrderMark) { bytes = bytes.dropFirst(byteOrderMark.count) }
        var lineNumber = 0
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            var rest = line.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            guard rest.first == UInt8(ascii: "[") else { continue }
            rest = rest.dropFirst()
            if rest.first == UInt8(ascii: "[") { rest = rest.dropFirst() }
            rest = rest.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            guard let c = rest.first, startsKey(c) else { return lineNumber }
        }
        return nil
    }

    /// toml++'s bare-key characters and string delimiters.
    static func startsKey(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "\""), UInt8(ascii: "'"):
            true
        default:
            false
        }
    }
}
