public import WarrenCircuit
public import WarrenWire

/// `[circuits]` and `[[route]]`: onion circuits, as a relay and as a sender.
extension Config {
    public struct Circuits: Sendable, Equatable {
        /// Relay others' circuits (the certificate must have the relay role too).
        public var relay = false
        public var hops = 3
        /// Take packets circuits' last hops deliver for unknown senders.
        public var acceptAnonymous = false
        /// Destinations reached through circuits only.
        public var routes: [IPPrefix] = []
        public var padding: CircuitPadding = .buckets

        public static let hopsRange = 1...8
        /// Fewer hops than this and one relay may see both ends: the daemon warns.
        public static let recommendedHops = 3
    }

    mutating func readCircuits(_ r: TableReader) throws(ConfigError) {
        if let t = try r.table("circuits") {
            try t.allowOnly(["relay", "hops", "accept_anonymous", "padding"])
            if let relay = try t.bool("relay") { circuits.relay = relay }
            if let accept = try t.bool("accept_anonymous") { circuits.acceptAnonymous = accept }
            if let padding = try t.string("padding") {
                guard let mode = CircuitPadding(rawValue: padding) else {
                    throw t.error("padding", "\"\(padding)\" is not one of buckets, fixed, none")
                }
                circuits.padding = mode
            }
            if let hops = try t.int("hops") {
                guard Circuits.hopsRange.contains(hops) else { throw t.error("hops", "\(hops) is outside 1–8") }
                circuits.hops = hops
            }
        }
        for route in try r.tables("route") {
            try route.allowOnly(["to", "via"])
            let to = try route.string("to", required: true)!
            guard let prefix = IPPrefix(to) else {
                throw route.error("to", "\"\(to)\" is not an address or prefix (e.g. 10.8.0.42 or 10.8.0.0/24)")
            }
            guard prefix.address.isIPv4 else { throw route.error("to", "only IPv4 destinations go through circuits for now") }
            let via = try route.string("via", required: true)!
            guard via == "circuit" else { throw route.error("via", "\"\(via)\" is not a way to route (the one there is: \"circuit\")") }
            guard !circuits.routes.contains(prefix.network) else { throw route.error("to", "\(prefix.network) is routed twice") }
            circuits.routes.append(prefix.network)
        }
    }
}
