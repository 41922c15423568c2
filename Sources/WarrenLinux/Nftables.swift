import CNftables

/// The kernel's packet filter, through libnftables: the same parser and netlink batching as
/// the `nft` command, without starting one. A script runs as one transaction: all of it
/// takes effect or none does.
///
/// Not thread-safe (a libnftables context keeps caches and buffers): one owner at a time.
public final class Nftables {
    private let context: OpaquePointer

    public init() throws(NftablesError) {
        guard let context = nft_ctx_new(UInt32(NFT_CTX_DEFAULT)) else {
            throw NftablesError(operation: "creating an nftables context", message: "out of memory")
        }
        self.context = context
        // Messages and listings go to buffers, never to the daemon's stdout or stderr.
        nft_ctx_buffer_output(context)
        nft_ctx_buffer_error(context)
    }

    deinit { nft_ctx_free(context) }

    /// Runs `script` (nft's own language) and returns what it printed (a listing, say);
    /// `operation` names what it was for in the error.
    @discardableResult
    public func run(_ script: String, _ operation: String) throws(NftablesError) -> String {
        let status = nft_run_cmd_from_buffer(context, script)
        let output = nft_ctx_get_output_buffer(context).map { String(cString: $0) } ?? ""
        let errors = nft_ctx_get_error_buffer(context).map { String(cString: $0) } ?? ""
        guard status == 0 else {
            let message = errors.split(separator: "\n").first.map(String.init) ?? "failed with status \(status)"
            throw NftablesError(operation: operation, message: message)
        }
        return output
    }
}

/// A script the kernel or libnftables refused, with nftables' first line of explanation.
public struct NftablesError: Error, Equatable, Sendable, CustomStringConvertible {
    public var operation: String
    public var message: String

    public var description: String { "\(operation): \(message)" }
}
