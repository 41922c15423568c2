public import WarrenCrypto
public import WarrenPKI
public import WarrenSession
public import WarrenWire

/// A small, deterministic network for the stateful targets and their seeds: a CA, and the
/// nodes `alice` (10.8.0.1) and `bob` (10.8.0.2) with CA-signed certificates, and `carol`
/// (10.8.0.3), a gateway whose certificate is as large as the format allows (a 63-byte name,
/// 32 subnets), re-keyed once: `carolRekeyed` has a new key for the same address, and both
/// certificates are valid (what a store keeps several records per key for). Every key comes
/// from a fixed seed, so seeds written today still mean the same thing tomorrow.
///
/// Only these certificates (and the CA's own) carry valid signatures, and a fuzzer cannot
/// forge Ed25519, so "accepted ⇒ it is one of these" is an invariant the targets can assert.
/// `mallory` is the counterexample: a certificate for alice's address from another CA.
public final class FuzzNetwork: @unchecked Sendable {
    /// Built once per process; libFuzzer runs one input at a time on one thread.
    public static let shared = FuzzNetwork()

    public let authority: AuthorityCertificate
    public let alice: Certificate
    public let bob: Certificate
    public let carol: Certificate
    public let carolRekeyed: Certificate
    /// Claims alice's address (10.8.0.1) with a key of its own, signed by a CA of its own.
    public let mallory: Certificate
    public let aliceEndpoint = Endpoint("192.0.2.1:51820")!
    public let bobEndpoint = Endpoint("192.0.2.2:51820")!
    /// Inside every certificate's validity; the monotonic clock is 1 s after its origin.
    public let now = Moment(instant: Instant(nanoseconds: 1_000_000_000), unixNanoseconds: 2_000 * 1_000_000_000)
    /// `SessionManager.prologue`, which is internal to WarrenSession. `init` proves it still
    /// matches by completing a real handshake, so a change there fails loudly here.
    public static let prologue = Array("warren v1".utf8)

    private let aliceSeed: [UInt8]
    private let bobSeed: [UInt8]
    private let carolSeed: [UInt8]
    private let carolRekeyedSeed: [UInt8]
    private let mallorySeed: [UInt8]

    private init() {
        var rng = SeededRandom(seed: 0x5741_5252_454e)
        let caKey = Self.signingKey(&rng)
        aliceSeed = Self.seedBytes(&rng)
        bobSeed = Self.seedBytes(&rng)
        // Drawn after alice's and bob's, so their keys (and every older seed) stay the same.
        carolSeed = Self.seedBytes(&rng)
        carolRekeyedSeed = Self.seedBytes(&rng)
        let foreignKey = Self.signingKey(&rng)
        mallorySeed = Self.seedBytes(&rng)
        let aliceKey = SigningKey(seed: SecretBytes(copying: aliceSeed))
        let bobKey = SigningKey(seed: SecretBytes(copying: bobSeed))
        let carolName = "carol-gateway." + String(repeating: "x", count: 63 - 14)
        let carolSubnets = (0..<32).map { IPPrefix("2001:db8:\(String($0, radix: 16))::/48")! }
        do {
            let ca = try CertificateAuthority.create(name: "fuzz-net", key: caKey, ipv4Network: IPPrefix("10.8.0.0/16")!,
                                                     notBefore: 0, notAfter: 4_000_000_000)
            authority = ca.certificate
            alice = try ca.sign(name: "alice", publicKey: aliceKey.publicKey, ipv4: IPPrefix("10.8.0.1/16")!,
                                roles: [.relay], subnets: [IPPrefix("192.168.10.0/24")!],
                                notBefore: 0, notAfter: 4_000_000_000)
            bob = try ca.sign(name: "bob", publicKey: bobKey.publicKey, ipv4: IPPrefix("10.8.0.2/16")!,
                              roles: [], subnets: [], notBefore: 0, notAfter: 4_000_000_000)
            carol = try ca.sign(name: carolName, publicKey: SigningKey(seed: SecretBytes(copying: carolSeed)).publicKey,
                                ipv4: IPPrefix("10.8.0.3/16")!, roles: [.relay, .exit], subnets: carolSubnets,
                                notBefore: 0, notAfter: 4_000_000_000)
            carolRekeyed = try ca.sign(name: carolName,
                                       publicKey: SigningKey(seed: SecretBytes(copying: carolRekeyedSeed)).publicKey,
                                       ipv4: IPPrefix("10.8.0.3/16")!, roles: [.relay, .exit], subnets: carolSubnets,
                                       notBefore: 1, notAfter: 4_000_000_000)
            let foreign = try CertificateAuthority.create(name: "other-net", key: foreignKey, ipv4Network: IPPrefix("10.8.0.0/16")!,
                                                          notBefore: 0, notAfter: 4_000_000_000)
            mallory = try foreign.sign(name: "mallory", publicKey: SigningKey(seed: SecretBytes(copying: mallorySeed)).publicKey,
                                       ipv4: IPPrefix("10.8.0.1/16")!, roles: [], subnets: [],
                                       notBefore: 0, notAfter: 4_000_000_000)
        } catch {
            fatalError("fuzz fixture: \(error)")
        }
    }

    /// 32 bytes from `rng`. Keys are made from these through `SigningKey(seed:)`, so the
    /// fixture's keys (and the committed seeds signed with them) stay the same whatever
    /// `SigningKey(random:)` does (until 91ded97 it read part of its seed from a dead stack
    /// frame, and keys changed from run to run).
    public static func seedBytes(_ rng: inout SeededRandom) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeMutableBytes { rng.fill($0) }
        return bytes
    }

    public static func signingKey(_ rng: inout SeededRandom) -> SigningKey {
        SigningKey(seed: SecretBytes(copying: seedBytes(&rng)))
    }

    /// A deterministic X25519 key (an ephemeral key for a handshake the fixture plays).
    public static func x25519Key(seed: UInt64) -> X25519PrivateKey {
        var rng = SeededRandom(seed: seed)
        return X25519PrivateKey(secret: SecretBytes(copying: seedBytes(&rng)))
    }

    public func aliceKey() -> SigningKey { SigningKey(seed: SecretBytes(copying: aliceSeed)) }
    public func bobKey() -> SigningKey { SigningKey(seed: SecretBytes(copying: bobSeed)) }
    public func carolKey() -> SigningKey { SigningKey(seed: SecretBytes(copying: carolSeed)) }
    public func carolRekeyedKey() -> SigningKey { SigningKey(seed: SecretBytes(copying: carolRekeyedSeed)) }
    public func malloryKey() -> SigningKey { SigningKey(seed: SecretBytes(copying: mallorySeed)) }

    /// The certificates this CA issued: the only ones that can verify.
    public var issued: [[UInt8]] {
        [authority.unchecked.encoded, alice.encoded, bob.encoded, carol.encoded, carolRekeyed.encoded]
    }

    /// A fresh session manager for bob, with alice as a static peer when `knowsAlice`.
    public func bobManager(knowsAlice: Bool, seed: UInt64 = 2) -> SessionManager {
        let peers = knowsAlice ? [PeerConfig(publicKey: alice.publicKey, endpoint: aliceEndpoint)] : []
        return SessionManager(identity: bobKey(), certificate: bob, authority: authority, peers: peers, blocklist: [],
                              random: SeededRandom(seed: seed))
    }

    /// A fresh session manager for alice, with bob as a static peer.
    public func aliceManager(seed: UInt64 = 1) -> SessionManager {
        SessionManager(identity: aliceKey(), certificate: alice, authority: authority,
                       peers: [PeerConfig(publicKey: bob.publicKey, endpoint: bobEndpoint)], blocklist: [],
                       random: SeededRandom(seed: seed))
    }

    /// The X25519 keys the Noise handshake uses, derived from the nodes' Ed25519 keys.
    public var aliceHandshakeKey: Key32 { Ed25519.x25519PublicKey(from: alice.publicKey)! }
    public var bobHandshakeKey: Key32 { Ed25519.x25519PublicKey(from: bob.publicKey)! }
}

extension [SessionAction] {
    /// The datagrams these actions send, with their destinations.
    public var sends: [(bytes: [UInt8], to: Endpoint)] {
        compactMap { if case .send(let b, let e) = $0 { (b, e) } else { nil } }
    }

    public var establishedCount: Int {
        count { if case .established = $0 { true } else { false } }
    }
}

extension Certificate {
    /// Whether the certificate claims `address`: one of its overlay addresses or subnets.
    /// The data path's receive rules are checked against this plain reading.
    public func owns(_ address: IPAddress) -> Bool {
        body.ipv4.address == address || body.ipv6.address == address || body.subnets.contains { $0.contains(address) }
    }
}
