import ArgumentParser
import FoundationEssentials
import WarrenDaemon
import WarrenNode
import WarrenLinux

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show this node, its peers and refused peers (from the running daemon).")

    @OptionGroup var daemon: DaemonConnection

    @Flag(help: "Show the DHT in detail: contacts per bucket, stored records, lookup and request counts.")
    var dht = false

    func run() throws {
        try reporting {
            guard let report = try daemon.reply(to: "status", as: StatusReport.self, what: "a status report") else { return }
            print(dht ? StatusTable.renderDHT(report.dht) : StatusTable.render(report, now: WallClock.nowUnixSeconds()))
        }
    }
}

/// Renders a status report as aligned columns, like `wg show` and `tailscale status`.
enum StatusTable {
    static func render(_ r: StatusReport, now: UInt64) -> String {
        var out = "\(r.name)  \(r.interface)  \(r.addresses.joined(separator: " "))  port \(r.listenPort)"
        out += r.ipv6Disabled ? "  (IPv6 disabled on this host: IPv4 only)\n" : "\n"
        out += "public key \(r.publicKey)\n\n"
        var rows = [["PEER", "ADDRESS", "ENDPOINT", "PATH", "STATE", "HANDSHAKE", "RECEIVED", "SENT", "NOTE"]]
        for p in r.peers {
            rows.append([
                p.name ?? String(p.publicKey.prefix(12)) + "…",
                p.addresses.first ?? "-",
                p.endpoint ?? "-",
                p.path.map { "\($0), \(p.foundBy)" } ?? "-",
                p.state.rawValue,
                p.lastHandshakeUnix.map { ago(now >= $0 ? now - $0 : 0) } ?? "never",
                bytes(p.receivedBytes), bytes(p.sentBytes),
                p.lastError ?? "",
            ])
        }
        out += table(rows)
        if r.peers.isEmpty { out += "(no peers yet)\n" }
        if !r.refusals.isEmpty {
            out += "\nrefused:\n"
            for f in r.refusals {
                let who = f.name ?? f.publicKey.map { String($0.prefix(12)) + "…" } ?? "unknown"
                out += "  \(who.terminalSafe) from \(f.endpoint.terminalSafe): \(f.reason.terminalSafe) (\(f.count)×, \(ago(now >= f.lastUnixSeconds ? now - f.lastUnixSeconds : 0)))\n"
            }
        }
        let d = r.dht
        out += "\ndht: \(d.contacts) contacts in \(d.buckets.count) buckets, \(d.records) records stored, "
            + "\(d.lookupsSucceeded) of \(d.lookupsStarted) lookups succeeded, \(d.requestsAnswered) requests answered"
            + (d.requestsRateLimited > 0 ? ", \(d.requestsRateLimited) rate-limited" : "")
            + (d.recordsRefused > 0 ? ", \(d.recordsRefused) records refused" : "") + "\n"
        if !r.drops.isEmpty {
            out += "\ndropped packets: " + r.drops.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "\n"
        }
        return out
    }

    /// Buckets are numbered by how many leading bits their contacts share with this node's ID.
    static func renderDHT(_ d: DHTStatus) -> String {
        var rows = [["BUCKET", "CONTACTS"]]
        for (bucket, count) in d.buckets.sorted(by: { Int($0.key) ?? 0 < Int($1.key) ?? 0 }) { rows.append([bucket, String(count)]) }
        var out = table(rows)
        if d.buckets.isEmpty { out += "(no contacts)\n" }
        out += "\ncontacts            \(d.contacts)\nrecords stored      \(d.records)\n"
        out += "lookups             \(d.lookupsSucceeded) succeeded of \(d.lookupsStarted) "
            + "(\(d.lookupsQueued) waited for a slot, \(d.lookupsRefused) refused)\n"
        out += "requests answered   \(d.requestsAnswered) (\(d.requestsRateLimited) rate-limited)\n"
        out += "records refused     \(d.recordsRefused)\n"
        return out
    }

    /// Aligned columns; every cell is made `terminalSafe`, since many come from peers.
    static func table(_ rows: [[String]]) -> String {
        let rows = rows.map { $0.map(\.terminalSafe) }
        let widths = rows[0].indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { c, cell in c == row.count - 1 ? cell : cell.padding(toLength: widths[c] + 2, withPad: " ", startingAt: 0) }
                .joined().trimmingTrailingSpaces()
        }.joined(separator: "\n") + "\n"
    }

    static func ago(_ seconds: UInt64) -> String {
        switch seconds {
        case ..<60: "\(seconds)s ago"
        case ..<3600: "\(seconds / 60)m ago"
        case ..<86400: "\(seconds / 3600)h ago"
        default: "\(seconds / 86400)d ago"
        }
    }

    static func bytes(_ n: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(n), unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(n) B" : String(Int(value * 10) / 10) + "." + String(Int(value * 10) % 10) + " " + units[unit]
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
