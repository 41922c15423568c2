import CSodium

/// libsodium must be initialised once before any other call; every wrapper in this module
/// goes through `Sodium.ready` so callers never have to remember.
enum Sodium {
    static let ready: Bool = {
        // sodium_init returns 0 on success, 1 if already initialised, -1 on failure.
        let result = sodium_init()
        precondition(result >= 0, "libsodium failed to initialise")
        return true
    }()

    @inline(__always)
    static func ensureReady() {
        _ = ready
    }
}

/// Constant-time comparison of two equally long byte regions (`sodium_memcmp`): key and MAC
/// comparisons must not leak where the first differing byte is.
public func constantTimeEquals(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    guard a.count == b.count else { return false }
    if a.count == 0 { return true }
    return sodium_memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0
}

/// Overwrites memory that held a secret, in a way the compiler may not optimise away.
public func secureZero(_ bytes: UnsafeMutableRawBufferPointer) {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return }
    sodium_memzero(base, bytes.count)
}
