import WarrenWire

/// How long this node's DHT queries take to be answered, across all peers: RFC 6298's
/// smoothed RTT and variation (§2), fed with every answered query. `stallAfter` is the time
/// after which an unanswered query is probably lost or its node gone, so a lookup stops
/// waiting for it and asks someone else: SRTT + 2 × RTTVAR, not RFC 6298's 4 × for its
/// retransmission timeout, because a stall retransmits nothing, it only lets one more query
/// out, so an early one is cheap and a late one costs every lookup that meets a departed
/// node. Across the RTTs of many peers (log-normal, σ 0.65) that is about their 92nd
/// percentile; 4 × would be the 98th (measured with warren-sim).
public struct ResponseTimer: Sendable, Equatable {
    public private(set) var smoothed: Duration?
    public private(set) var variation: Duration = .zero

    public init() {}

    public mutating func add(_ sample: Duration) {
        guard let s = smoothed else {
            smoothed = sample
            variation = sample / 2
            return
        }
        // RFC 6298 §2.3: β = 1/4, α = 1/8.
        let deviation = s > sample ? s - sample : sample - s
        variation = (variation * 3 + deviation) / 4
        smoothed = (s * 7 + sample) / 8
    }

    /// SRTT + 2 × RTTVAR, within [floor, ceiling]; `ceiling` before any sample.
    public func stallAfter(floor: Duration, ceiling: Duration) -> Duration {
        guard let s = smoothed else { return ceiling }
        return min(ceiling, max(floor, s + variation * 2))
    }
}
