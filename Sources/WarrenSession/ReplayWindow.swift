/// A sliding window over received counters (RFC 6479's bitmap ring, as WireGuard uses it):
/// a counter is accepted once, and only if it is not more than `windowSize` behind the
/// highest seen. 8192 bits keep reordered bursts on fast links from being dropped.
///
/// Owned by one keypair's receive side. The ring is allocated once, when the first counter
/// past the first word arrives, never per packet: most keypairs carry only DHT and path
/// messages, a few dozen in their lifetime, and a node has hundreds of them.
public struct ReplayWindow: ~Copyable {
    static let totalBits = 8192
    static let wordBits = 64
    static let words = totalBits / wordBits
    /// How far behind the highest counter a packet may arrive and still be accepted.
    public static let windowSize = UInt64(totalBits - wordBits)

    private var highest: UInt64 = 0
    /// The ring's first word, while there is no ring.
    private var firstWord: UInt64 = 0
    private var ring: UnsafeMutablePointer<UInt64>?

    public init() {}

    deinit { ring?.deallocate() }

    /// A cheap pre-check before decryption: false if `counter` is certainly too old.
    @inline(__always)
    public func mayAccept(_ counter: UInt64) -> Bool {
        counter > highest || highest - counter <= Self.windowSize
    }

    /// Marks `counter` as seen; false if it was seen before or is too old. Call only after the
    /// packet authenticated, so forged counters cannot move the window.
    @inline(__always)
    public mutating func accept(_ counter: UInt64) -> Bool {
        if let ring { return accept(counter, in: ring) }
        return acceptWithoutRing(counter)
    }

    /// The first packets' path, kept out of line: a busy keypair passes it only 64 times.
    @inline(never)
    private mutating func acceptWithoutRing(_ counter: UInt64) -> Bool {
        guard counter < UInt64(Self.wordBits) else { return accept(counter, in: grow()) }
        let bit = UInt64(1) << counter
        if firstWord & bit != 0 { return false }
        firstWord |= bit
        highest = max(highest, counter)
        return true
    }

    @inline(__always)
    private mutating func accept(_ counter: UInt64, in ring: UnsafeMutablePointer<UInt64>) -> Bool {
        let mask = UInt64(Self.words - 1)
        let block = counter >> 6
        if counter > highest {
            let current = highest >> 6
            let advance = min(block - current, UInt64(Self.words))
            var i: UInt64 = 1
            while i <= advance {
                ring[Int((current + i) & mask)] = 0
                i += 1
            }
            highest = counter
        } else if highest - counter > Self.windowSize {
            return false
        }
        let slot = Int(block & mask)
        let bit = UInt64(1) << (counter & 63)
        if ring[slot] & bit != 0 { return false }
        ring[slot] |= bit
        return true
    }

    /// The ring, holding what the first word saw.
    private mutating func grow() -> UnsafeMutablePointer<UInt64> {
        let grown = UnsafeMutablePointer<UInt64>.allocate(capacity: Self.words)
        grown.initialize(repeating: 0, count: Self.words)
        grown[0] = firstWord
        ring = grown
        return grown
    }
}
