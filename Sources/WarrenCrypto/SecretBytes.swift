import CSodium

/// Owns secret key material: a heap region that is never copied implicitly and is zeroed
/// with `sodium_memzero` when dropped. One instance per secret; pass it by borrowing.
public struct SecretBytes: ~Copyable, @unchecked Sendable {
    // @unchecked: the region is owned uniquely (the type is ~Copyable) and never written
    // after initialisation, so a borrowed instance may be read from several threads.
    private let storage: UnsafeMutableRawPointer
    public let count: Int

    /// Lets `body` fill a fresh zeroed region of `count` bytes; wipes it if `body` throws.
    public init<E: Error>(count: Int, filledBy body: (UnsafeMutableRawBufferPointer) throws(E) -> Void) throws(E) {
        let region = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 16)
        region.initializeMemory(as: UInt8.self, repeating: 0)
        do {
            try body(UnsafeMutableRawBufferPointer(rebasing: region[0..<count]))
        } catch {
            secureZero(region)
            region.deallocate()
            throw error
        }
        storage = region.baseAddress!
        self.count = count
    }

    /// Copies the bytes; the caller wipes its own copy.
    public init(copying raw: UnsafeRawBufferPointer) {
        self.init(count: raw.count) { $0.copyMemory(from: raw) }
    }

    /// Copies bytes held in an ordinary collection; the caller wipes its own copy.
    public init(copying bytes: some Collection<UInt8>) {
        // copyBytes takes an array's or a slice's contiguous storage in one copy; unspecialized
        // across modules, a byte-by-byte loop cost every Noise key derivation metadata lookups.
        self.init(count: bytes.count) { $0.copyBytes(from: bytes) }
    }

    /// `count` fresh bytes from libsodium's CSPRNG.
    public init(randomCount count: Int) {
        Sodium.ensureReady()
        self.init(count: count) { region in
            if count > 0 { randombytes_buf(region.baseAddress!, count) }
        }
    }

    public func withUnsafeBytes<R: ~Copyable, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: storage, count: count))
    }

    deinit {
        secureZero(UnsafeMutableRawBufferPointer(start: storage, count: max(count, 1)))
        storage.deallocate()
    }
}
