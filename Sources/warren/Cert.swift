import ArgumentParser
import FoundationEssentials
import WarrenCrypto
import WarrenLinux
import WarrenPKI

struct Cert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cert", abstract: "Inspect certificates.", subcommands: [CertShow.self])
}

struct CertShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Print what a certificate states (it is not verified here; `warren check` does that).")

    @Argument(help: "A certificate file (.crt).") var file: String
    @Flag(help: "Print JSON.") var json = false

    struct Shown: Codable {
        var kind: String
        var name: String
        var publicKey: String
        var issuerKey: String
        var fingerprint: String
        var ipv4: String
        var ipv6: String
        var roles: [String]
        var subnets: [String]
        var family: String?
        var capacity: Int
        var notBefore: UInt64
        var notAfter: UInt64
        var expired: Bool
    }

    func run() throws {
        try reporting {
            let text = try readText(file, what: "certificate")
            guard let bytes = PEM.decode(text) else { throw Failure.config("\(file) holds no WARREN CERTIFICATE block") }
            let cert: UncheckedCertificate
            do {
                cert = try UncheckedCertificate(parsing: bytes)
            } catch {
                throw Failure.config("\(file): \(error)")
            }
            let b = cert.body
            let shown = Shown(kind: b.kind == .authority ? "ca" : "node", name: b.name, publicKey: KeyText.publicKey(b.publicKey),
                              issuerKey: KeyText.publicKey(b.issuer), fingerprint: cert.fingerprint,
                              ipv4: b.ipv4.description, ipv6: b.ipv6.description, roles: b.roles.names,
                              subnets: b.subnets.map(\.description), family: b.family, capacity: Int(b.capacity),
                              notBefore: b.notBefore, notAfter: b.notAfter,
                              expired: WallClock.nowUnixSeconds() >= b.notAfter)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(shown), as: UTF8.self))
                return
            }
            let rows: [(String, String)] = [
                ("kind", shown.kind), ("name", shown.name), ("public key", shown.publicKey), ("issuer key", shown.issuerKey),
                ("fingerprint", shown.fingerprint), (b.kind == .authority ? "IPv4 network" : "IPv4", shown.ipv4),
                (b.kind == .authority ? "IPv6 network" : "IPv6", shown.ipv6),
                ("roles", shown.roles.isEmpty ? "none" : shown.roles.joined(separator: ", ")),
                ("subnets", shown.subnets.isEmpty ? "none" : shown.subnets.joined(separator: ", ")),
                ("family", shown.family ?? "none"),
                ("capacity", "\(shown.capacity)"),
                ("valid from", formatUnix(b.notBefore)),
                ("valid until", formatUnix(b.notAfter) + (shown.expired ? " (EXPIRED)" : "")),
            ]
            for (label, value) in rows { print(label.padding(toLength: 13, withPad: " ", startingAt: 0) + value) }
        }
    }
}

/// UTC, ISO 8601, to the second.
func formatUnix(_ seconds: UInt64) -> String {
    Date(timeIntervalSince1970: Double(seconds)).formatted(.iso8601)
}
