public import WarrenCrypto
public import WarrenPKI

/// The relay directory as a node keeps it across restarts: its descriptors and the sources
/// whose lists made it. A node that restarts builds circuits at once from what it had, as a
/// Tor client starts from the consensus it keeps on disk, instead of waiting for three
/// relays to answer again (and a relay answers one node only so often). Each descriptor is
/// checked again when it is restored, and is used only until it expires, as any other.
public struct SavedDirectory: Codable, Equatable, Sendable {
    public var sources: [Key32]
    public var descriptors: [RelayDescriptor]

    public init(sources: [Key32], descriptors: [RelayDescriptor]) {
        self.sources = sources
        self.descriptors = descriptors
    }

    enum CodingKeys: String, CodingKey { case sources, descriptors }

    /// Keys and descriptors in base64, as every other key Warren writes.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sources = try c.decode([String].self, forKey: .sources).map { text in
            guard let raw = Encoding.fromBase64(text), let key = Key32(bytes: raw) else {
                throw DecodingError.dataCorruptedError(forKey: .sources, in: c, debugDescription: "\"\(text)\" is not a base64 public key")
            }
            return key
        }
        descriptors = try c.decode([String].self, forKey: .descriptors).map { text in
            guard let raw = Encoding.fromBase64(text), let descriptor = try? RelayDescriptor(parsing: raw) else {
                throw DecodingError.dataCorruptedError(forKey: .descriptors, in: c, debugDescription: "a descriptor that does not decode")
            }
            return descriptor
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(sources.map(\.description), forKey: .sources)
        try c.encode(descriptors.map { Encoding.base64($0.encoded) }, forKey: .descriptors)
    }
}

extension RelayDirectory {
    /// What to keep for the next start.
    public var saved: SavedDirectory {
        SavedDirectory(sources: sources.sorted(), descriptors: entries.keys.sorted().compactMap { entries[$0]?.descriptor })
    }

    /// Takes back what an earlier run saved: each descriptor that still verifies and has not
    /// expired, and the sources, if any descriptor came back.
    public mutating func restore(_ saved: SavedDirectory, authority: AuthorityCertificate, now: UInt64) {
        var restored = 0
        for descriptor in saved.descriptors {
            if case .added = add(descriptor, authority: authority, now: now) { restored += 1 }
        }
        if restored > 0 { sources.formUnion(saved.sources) }
    }
}
