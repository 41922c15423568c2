/// The datagrams in one received entry, as byte ranges. With UDP GRO a socket may return a
/// run of datagrams from one source in one entry, each `segmentBytes` long but the last,
/// which may be shorter; without, an entry is one datagram.
///
/// Every entry yields at least one datagram and every range is within the entry, whatever
/// the kernel reported: an empty entry is one empty datagram (for the caller to count as
/// malformed, not to skip), and a segment size of zero, negative or at least the entry's
/// length means the entry is one datagram. A zero step once trapped the receive loop on a
/// single empty datagram (issue 11).
public struct DatagramRun: Sequence, IteratorProtocol {
    public let entryBytes: Int
    /// The step between datagrams: at least 1, at most `entryBytes` (or 1 when empty).
    public let segmentBytes: Int
    private var position = 0
    private var yieldedEmpty = false

    public init(entryBytes: Int, segmentBytes: Int) {
        precondition(entryBytes >= 0, "an entry has no negative length")
        self.entryBytes = entryBytes
        self.segmentBytes = segmentBytes > 0 && segmentBytes < entryBytes ? segmentBytes : Swift.max(entryBytes, 1)
    }

    /// True when the entry holds one datagram, which may then use the whole receive slot.
    public var isSingle: Bool { segmentBytes >= entryBytes }

    /// How many datagrams the entry holds.
    public var count: Int { entryBytes == 0 ? 1 : (entryBytes + segmentBytes - 1) / segmentBytes }

    public mutating func next() -> Range<Int>? {
        if entryBytes == 0 {
            defer { yieldedEmpty = true }
            return yieldedEmpty ? nil : 0..<0
        }
        guard position < entryBytes else { return nil }
        let start = position
        position = Swift.min(start + segmentBytes, entryBytes)
        return start..<position
    }
}
