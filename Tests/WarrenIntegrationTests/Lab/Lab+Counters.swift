extension Lab {
    /// One nftables counter: what a rule with `counter` matched so far.
    struct NFTCounter: Equatable {
        var packets: Int
        var bytes: Int
    }

    /// The counters of `table` (`ip wit_x`) in `node`'s namespace, in rule order, and the
    /// listing they came from (for a failure message).
    func counters(in node: Node, table: String) async throws -> (counters: [NFTCounter], listing: String) {
        let words = table.split(separator: " ").map(String.init)
        let listing = try await Command.check(node.namespace.exec(["nft", "list", "table"] + words)).stdout
        let counters = listing.split(separator: "\n").filter { $0.contains("counter") }.map { line in
            let fields = line.split(separator: " ")
            func value(after word: String) -> Int { Int(fields.drop { $0 != word }.dropFirst().first ?? "") ?? -1 }
            return NFTCounter(packets: value(after: "packets"), bytes: value(after: "bytes"))
        }
        return (counters, listing)
    }
}
