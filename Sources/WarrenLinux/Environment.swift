import Glibc

/// The process environment, for the few settings that come from it rather than the config.
public enum Environment {
    public static func value(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }
}
