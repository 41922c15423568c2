#if canImport(Glibc)
import Glibc
#endif

/// What every fuzz target shares: turning libFuzzer's buffer into bytes or text, stating an
/// invariant so that a violation is a crash libFuzzer records, and writing the target's seed
/// inputs for `scripts/fuzz --seeds`.
public enum Fuzz {
    /// A copy of the input. libFuzzer's buffer is exactly `size` bytes long, so AddressSanitizer
    /// catches any read past it in code that works on the pointer directly.
    public static func bytes(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] {
        Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// The input as text, with invalid UTF-8 replaced (what `String(decoding:)` in the daemon
    /// does with a file's bytes).
    public static func text(_ data: UnsafePointer<UInt8>, _ size: Int) -> String {
        String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    }

    /// Stops with `message` when an invariant does not hold. `fatalError` prints its message
    /// in optimised builds too (a `precondition`'s is dropped there), and libFuzzer records
    /// the trap as a crash and saves the input.
    public static func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                             file: StaticString = #fileID, line: UInt = #line) {
        if !condition() {
            fatalError("fuzz invariant violated: \(message())", file: file, line: line)
        }
    }

    /// Writes `seeds` into the directory named by `WARREN_FUZZ_WRITE_SEEDS` and exits, if that
    /// variable is set; otherwise does nothing. Call it from `LLVMFuzzerInitialize`, so a
    /// target's seeds are made by the same code (and the same encoders) that it fuzzes.
    public static func writeSeedsIfRequested(_ seeds: @autoclosure () -> [(name: String, bytes: [UInt8])]) {
        guard let dir = getenv("WARREN_FUZZ_WRITE_SEEDS").map({ String(cString: $0) }) else { return }
        for seed in seeds() {
            let path = dir + "/" + seed.name
            guard let file = fopen(path, "wb") else { fatalError("cannot write \(path)") }
            let written = seed.bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
            fclose(file)
            guard written == seed.bytes.count else { fatalError("short write to \(path)") }
        }
        exit(0)
    }
}

/// Splits an input into a leading selector byte and the rest, for targets that drive a
/// decoder in more than one way.
public struct FuzzInput {
    public let selector: UInt8
    public let rest: [UInt8]

    public init(_ bytes: [UInt8]) {
        selector = bytes.first ?? 0
        rest = Array(bytes.dropFirst())
    }

    /// The input a seed writer emits for `mode` and `rest`.
    public static func encode(mode: UInt8, _ rest: [UInt8]) -> [UInt8] { [mode] + rest }
}
