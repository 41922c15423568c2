/// Kernel settings, read from /proc/sys.
public enum Sysctl {
    /// The value of `name` ("net.ipv4.ip_forward") without the line's end; nil if it cannot
    /// be read (no such setting, or no IPv6 in this kernel).
    public static func value(_ name: String) -> String? {
        let path = "/proc/sys/" + name.split(separator: ".").joined(separator: "/")
        guard let bytes = try? FileAccess.readAll(path: path, maxBytes: 4096) else { return nil }
        return String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
    }
}
