public import WarrenPKI
import WarrenWire
public import WarrenCrypto

/// The records this node stores for others. A record is accepted only if it is signed by the
/// key in its certificate, the certificate is valid under our CA, the storage key is one the
/// certificate owns, it has not expired, and it is newer than what is stored for that node.
/// Storage is bounded per requesting peer and in total, so no member can fill it.
public struct RecordStore: Sendable {
    public struct Stored: Sendable, Equatable {
        public let record: PeerRecord
        /// Of the record's certificate (verified when stored), what ordering and replacing
        /// records need. Not the parsed certificate: the record holds its bytes already, and a
        /// second copy per record is most of a node's store (100k simulated nodes: 0.8 GB).
        public let publicKey: Key32
        public let certificateNotBefore: UInt64
        /// The peer that stored it (for the per-peer bound).
        public let storedBy: NodeID
    }

    public static let maxLifetimeSeconds: UInt64 = 24 * 3600
    /// Records kept per key: more than one node may claim a key for a while (a re-keyed node).
    static let maxPerKey = 4

    public let authority: AuthorityCertificate
    public let maxTotal: Int
    public let maxPerPeer: Int
    private(set) var records: [NodeID: [Stored]] = [:]
    private(set) var countByPeer: [NodeID: Int] = [:]
    public private(set) var count = 0

    public init(authority: AuthorityCertificate, maxTotal: Int = 20_000, maxPerPeer: Int = 64) {
        self.authority = authority
        self.maxTotal = maxTotal
        self.maxPerPeer = maxPerPeer
    }

    /// Checks `record` for storage under `key` at `now` (unix seconds), without storing it.
    public func validate(_ record: PeerRecord, under key: NodeID, now: UInt64) throws(RecordError) -> Certificate {
        let certificate: Certificate
        do {
            certificate = try UncheckedCertificate(parsing: record.certificate).verify(authority: authority, atUnixTime: now)
        } catch {
            throw .certificate(error)
        }
        guard Ed25519.verify(signature: record.signature, message: record.signedBytes, publicKey: certificate.publicKey) else {
            throw .badSignature
        }
        guard case .v4(let v4) = certificate.body.ipv4.address,
              key == RecordKey.address(v4) || key == RecordKey.node(NodeID(publicKey: certificate.publicKey)) else {
            throw .notOwned
        }
        guard record.expiresAt > now else { throw .expired }
        guard record.expiresAt - now <= Self.maxLifetimeSeconds else { throw .lifetimeTooLong }
        return certificate
    }

    /// Validates and stores `record` under `key` on behalf of `requester`.
    public mutating func store(_ record: PeerRecord, under key: NodeID, from requester: NodeID, now: UInt64) throws(RecordError) {
        let certificate = try validate(record, under: key, now: now)
        var list = records[key, default: []]
        for gone in list where gone.record.expiresAt <= now { forget(gone) }
        list.removeAll { $0.record.expiresAt <= now }
        // Forgotten, so gone now even if this record is refused below (else `expire` would
        // forget them a second time and `count` would fall below what is stored).
        records[key] = list.isEmpty ? nil : list
        if let i = list.firstIndex(where: { $0.publicKey == certificate.publicKey }) {
            guard record.sequence > list[i].record.sequence else { throw .staleSequence(stored: list[i].record.sequence) }
            let old = list.remove(at: i)
            forget(old)
        } else {
            guard count < maxTotal else { throw .storageFull }
            guard countByPeer[requester, default: 0] < maxPerPeer else { throw .storageFull }
            if list.count >= Self.maxPerKey {
                // Keep the records whose certificates are newest.
                list.sort { $0.certificateNotBefore < $1.certificateNotBefore }
                forget(list.removeFirst())
            }
        }
        list.append(Stored(record: record, publicKey: certificate.publicKey, certificateNotBefore: certificate.body.notBefore,
                           storedBy: requester))
        count += 1
        countByPeer[requester, default: 0] += 1
        records[key] = list
    }

    /// The unexpired records under `key`, newest certificate first.
    public func lookup(_ key: NodeID, now: UInt64) -> [PeerRecord] {
        (records[key] ?? []).filter { $0.record.expiresAt > now }
            .sorted { $0.certificateNotBefore > $1.certificateNotBefore }.map(\.record)
    }

    /// Drops expired records.
    public mutating func expire(now: UInt64) {
        // Rewrite only the lists that change: this runs on every timer, and writing while
        // iterating `records` itself would copy the whole dictionary each time.
        let stale = records.filter { $0.value.contains { $0.record.expiresAt <= now } }
        for (key, list) in stale {
            let kept = list.filter { $0.record.expiresAt > now }
            for gone in list where gone.record.expiresAt <= now { forget(gone) }
            records[key] = kept.isEmpty ? nil : kept
        }
    }

    private mutating func forget(_ stored: Stored) {
        count -= 1
        countByPeer[stored.storedBy, default: 1] -= 1
        if countByPeer[stored.storedBy] == 0 { countByPeer[stored.storedBy] = nil }
    }
}
