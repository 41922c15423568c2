public import WarrenCrypto
public import WarrenDHT
public import WarrenPKI
public import WarrenWire

/// The fixture network's members as the DHT sees them: contacts, and the records they sign.
extension FuzzNetwork {
    /// The members that sign records, in the order input bytes pick them by (index % 4).
    public var members: [Certificate] { [alice, bob, carol, carolRekeyed] }

    public func memberKey(_ index: Int) -> SigningKey {
        switch index % 4 {
        case 0: aliceKey()
        case 1: bobKey()
        case 2: carolKey()
        default: carolRekeyedKey()
        }
    }

    /// Member `index % 4` as a DHT contact: its certified key, at 192.0.2.(index % 4 + 1):51820
    /// (alice's and bob's endpoints).
    public func memberContact(_ index: Int) -> Contact {
        Contact(publicKey: members[index % 4].publicKey,
                endpoint: Endpoint(address: .v4(IPv4Address(192, 0, 2, UInt8(index % 4 + 1))), port: 51820))
    }

    /// A record member `index % 4` signs, as its daemon publishes it.
    public func record(of index: Int, endpoints: [Endpoint], sequence: UInt64, expiresAt: UInt64) -> PeerRecord {
        PeerRecord(signing: memberKey(index), certificate: members[index % 4], endpoints: endpoints, sequence: sequence,
                   expiresAt: expiresAt)
    }

    /// A well-formed, correctly signed record for alice's address from a key the fixture CA
    /// never certified (mallory's certificate comes from another CA).
    public func malloryRecord(endpoints: [Endpoint], sequence: UInt64, expiresAt: UInt64) -> PeerRecord {
        PeerRecord(signing: malloryKey(), certificate: mallory, endpoints: endpoints, sequence: sequence, expiresAt: expiresAt)
    }

    /// Whether a member signed `record`: its certificate is one the fixture CA issued to a
    /// member, and its signature is the one that member's key makes over its contents.
    /// Ed25519 signatures are deterministic, so this re-signs instead of trusting the
    /// verifier under test, and a fuzzer cannot make a record for which it holds.
    public func isGenuine(_ record: PeerRecord) -> Bool {
        guard let i = members.firstIndex(where: { $0.encoded == record.certificate }) else { return false }
        return self.record(of: i, endpoints: record.endpoints, sequence: record.sequence, expiresAt: record.expiresAt) == record
    }

    /// The keys a record of `certificate` may be stored under: its address key and its node key.
    public static func recordKeys(of certificate: Certificate) -> [NodeID] {
        guard case .v4(let v4) = certificate.body.ipv4.address else { return [] }
        return [RecordKey.address(v4), RecordKey.node(NodeID(publicKey: certificate.publicKey))]
    }
}
