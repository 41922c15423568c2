extension String {
    /// This text with everything a terminal would act on instead of show replaced by a
    /// visible escape (`\x1B`, `\u{202E}`): C0 controls including newline and tab, DEL, C1
    /// controls (U+0080–U+009F; U+009B starts a sequence like ESC [ does), and the
    /// line separators and bidirectional overrides that reorder or break what follows.
    ///
    /// The human tables of `status`, `netcheck`, `lookup` and `ping` show strings that peers
    /// and servers chose (STUN error reasons, endpoints, refusal reasons); printed raw, an
    /// escape sequence among them could rewrite the screen, set the window title or hide a
    /// line. `--json` output stays as the daemon sent it: JSON escapes C0 controls itself.
    var terminalSafe: String {
        guard unicodeScalars.contains(where: Self.isUnsafe) else { return self }
        var out = ""
        for scalar in unicodeScalars {
            guard Self.isUnsafe(scalar) else {
                out.unicodeScalars.append(scalar)
                continue
            }
            let hex = String(scalar.value, radix: 16, uppercase: true)
            out += scalar.value < 0x100 ? "\\x" + (hex.count < 2 ? "0" + hex : hex) : "\\u{" + hex + "}"
        }
        return out
    }

    private static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x200E, 0x200F, 0x2028...0x202E, 0x2066...0x2069: true
        default: false
        }
    }
}
