/// Catches the inputs that make the TOML library abort the process instead of reporting an
/// error: toml++ 3.4.0 (inside TOMLKit 0.6.0) asserts, and so aborts, when a table header
/// `[` or `[[` is followed by a character that cannot start a key ("[=", "[[[1]]]"; fixed
/// upstream in marzer/tomlplusplus#301, not yet in a TOMLKit release). A config file is
/// attacker-free but typo-prone, and a typo must give an error line, not a crash.
///
/// The check is deliberately narrow: it looks only at lines that begin with `[`, and Warren's
/// config has no arrays of arrays that could begin a line that way.
enum TOMLPrecheck {
    /// The 1-based number of the first line that would make the parser abort, or nil.
    static func firstUnsafeLine(_ text: String) -> Int? {
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var rest = line.drop { $0 == " " || $0 == "\t" }
            guard rest.first == "[" else { continue }
            rest = rest.dropFirst()
            if rest.first == "[" { rest = rest.dropFirst() }
            rest = rest.drop { $0 == " " || $0 == "\t" }
            guard let c = rest.first else { return lineNumber }
            let startsKey = c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == "-" || c == "\"" || c == "'")
            if !startsKey { return lineNumber }
        }
        return nil
    }
}
