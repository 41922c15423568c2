import Testing
import WarrenDaemon

/// Findings of the fuzz targets in Fuzz/ (run with `scripts/fuzz`), each kept as a test with
/// the input that found it.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    // ConfigTOML: "[=" (also "[[=", "[\u{1}", "[[[1]]]"). toml++ 3.4.0, inside TOMLKit 0.6.0,
    // fails `assert(is_bare_key_character(*cp) || is_string_delimiter(*cp))` in parse_key
    // and aborts the process, in debug and release builds alike (SwiftPM does not define
    // NDEBUG; with NDEBUG the assert becomes __builtin_assume, which is worse). Fixed
    // upstream in marzer/tomlplusplus#301; TOMLKit has no release with it. The parse runs in
    // a child process so that, should it abort again, the test runner survives. Warren now
    // refuses such headers before the library sees them (TOMLPrecheck).
    //
    // Then, past the first TOMLPrecheck: it split the text into Characters, and a Character is
    // a grapheme cluster: "\r\n" is one (so a CRLF file was a single "line"), and so is "["
    // followed by a combining mark ("[\u{301}x]" is 5b cc 81 78 5d); toml++ also skips a
    // leading byte-order mark. Fixed: the precheck reads bytes and skips the mark.
    @Test("a table header that cannot start a key is a config error, not an abort, whatever the line endings",
          arguments: ["[=", "[[=", "[\u{1}", "[[[1]]]", "[node]\nkey = 1\n [ =x",
                      "[node]\r\n[=\r\n", "\u{FEFF}[=", "[\u{301}x]", "[\u{350}"])
    func tableHeaderWithoutKey(text: String) async {
        await #expect(processExitsWith: .success) { [text] in
            do {
                _ = try Config(toml: text, file: "/etc/warren/warren.toml")
                preconditionFailure("accepted \(text)")
            } catch {
                precondition((error as? ConfigError)?.problem.contains("invalid TOML at line") == true)
            }
        }
    }
}
