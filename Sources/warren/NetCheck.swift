import ArgumentParser
import FoundationEssentials
import WarrenDaemon
import WarrenNode

struct NetCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "netcheck",
        abstract: "Ask STUN servers and connected peers what address this node's packets come from, and classify its NAT.",
        discussion: """
            The running daemon sends STUN Binding requests from its own UDP port to the servers in nat.stun and to \
            a few connected peers (every node answers STUN), waits up to 3 seconds, and reports each answer, the \
            public (reflexive) addresses seen, and the NAT's mapping behaviour: none, endpoint-independent (a \
            "cone" NAT: hole punching works) or endpoint-dependent (a "symmetric" NAT). Servers in nat.stun that \
            support RFC 5780 (two addresses) are also asked to answer from their other address and port, which \
            tells the NAT's filtering: endpoint-independent, address-dependent or address-and-port-dependent \
            (unknown without such a server).
            """)

    @OptionGroup var daemon: DaemonConnection

    func run() throws {
        try reporting {
            guard let r = try daemon.reply(to: "netcheck", as: NetCheckReport.self, what: "a network check",
                                           timeoutMilliseconds: 10_000) else { return }
            let answered = r.servers.filter { $0.mapped != nil }.count
            let udp = r.servers.isEmpty ? "unknown (no STUN servers configured and no peers connected)"
                : r.udp ? "works (\(answered) of \(r.servers.count) answered)" : "no answer from \(r.servers.count) server(s)"
            print("UDP        \(udp)")
            print("local      \(r.local.isEmpty ? "-" : r.local.joined(separator: ", ").terminalSafe)")
            print("reflexive  \(r.reflexive.isEmpty ? "-" : r.reflexive.joined(separator: ", ").terminalSafe)")
            print("mapping    \(r.mapping)")
            print("filtering  \(r.filtering)")
            guard !r.servers.isEmpty else { return }
            print("")
            let rows = r.servers.map { s in
                [s.name.map { $0 == s.server ? $0 : "\($0) (\(s.server))" } ?? s.server, s.kind, s.mapped ?? (s.error ?? "no answer"),
                 s.milliseconds.map { "\(($0 * 10).rounded() / 10) ms" } ?? "-"]
            }
            print(StatusTable.table([["SERVER", "WHO", "SAW", "RTT"]] + rows))
        }
    }
}
