import WarrenCrypto
import WarrenDHT
import WarrenLinux
import WarrenPKI
import WarrenWire

/// The DHT contacts saved across restarts, so a restarted node rejoins through the nodes it
/// knew instead of needing a bootstrap node. One `PUBLIC_KEY@ENDPOINT` line per contact, the
/// same form as `dht.bootstrap`; unreadable lines are skipped (the file is a cache).
struct RoutingTableFile {
    let path: String
    static let maxContacts = 256

    init(directory: String, interface: String) {
        // One file per interface, so several networks on one host keep theirs apart.
        path = directory + "/\(interface).contacts"
    }

    func load() -> [Contact] {
        guard let bytes = try? FileAccess.readAll(path: path, maxBytes: 1 << 20) else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").prefix(Self.maxContacts).compactMap { line in
            guard let node = Config.BootstrapNode(String(line)), let key = KeyText.parsePublicKey(node.publicKey) else { return nil }
            return Contact(publicKey: key, endpoint: node.endpoint)
        }
    }

    func save(_ contacts: [Contact]) throws(SystemError) {
        let text = contacts.prefix(Self.maxContacts).map { "\(KeyText.publicKey($0.publicKey))@\($0.endpoint)\n" }.joined()
        try FileAccess.makeDirectory(path: String(path[..<path.lastIndex(of: "/")!]), mode: 0o700)
        try FileAccess.writeAtomically(Array(text.utf8), to: path, mode: 0o600)
    }
}
