import Foundation
import Glibc

/// Root is needed for TUN devices, netlink changes and SO_RCVBUFFORCE.
let isRoot = geteuid() == 0

/// A short random suffix that keeps names (interfaces, socket files) of parallel tests and
/// parallel runs apart.
func uniqueSuffix() -> String {
    String(UInt32.random(in: 0x1000...0xffff), radix: 16)
}

/// Runs `/usr/sbin/ip` with `arguments` and returns its standard output.
func ip(_ arguments: String...) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

/// Runs a blocking `body` on its own thread (not the test's cooperative pool, which a
/// blocking call could starve) and hands back its result on `join()`.
final class Background<Value: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<Value, any Error>?  // Written before `done` is signalled, read after.

    init(_ body: @escaping @Sendable () throws -> Value) {
        let thread = Thread { [self] in
            result = Result { try body() }
            done.signal()
        }
        thread.start()
    }

    func join() throws -> Value {
        done.wait()
        return try result!.get()
    }
}
