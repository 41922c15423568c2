import ArgumentParser
import WarrenDaemon
import WarrenNode

struct CircuitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "circuits",
        abstract: "Show this node's own onion circuits and the relays they are drawn from.",
        discussion: """
            A node with routes via = "circuit" keeps a circuit in use for new flows and a spare, each through its \
            guard, a middle and a last hop; after ten minutes a circuit takes no new flows and is let go once the \
            flows on it are idle. "relays listed" is the anonymity set: the relays the directory lists now, from \
            which hops are drawn. A relay shows only counts of what it relays for others, never which hop pairs \
            with which. --renew puts new flows on circuits built from now on, as Tor's NEWNYM does, so that later \
            connections look unrelated to earlier ones; flows already under way stay where they are until idle.
            """)

    @OptionGroup var daemon: DaemonConnection
    @Flag(help: "Build fresh circuits now and put new flows on them; flows under way stay until idle.") var renew = false

    func run() throws {
        try reporting {
            guard let r = try daemon.reply(to: renew ? "circuits renew" : "circuits", as: CircuitsReport.self,
                                           what: "a circuits report") else { return }
            print(CircuitsTable.render(r))
        }
    }
}

enum CircuitsTable {
    static func render(_ r: CircuitsReport) -> String {
        var out = ""
        if r.routes.isEmpty {
            out += "no routes through circuits\n"
        } else {
            out += "routes     \(r.routes.joined(separator: ", ")) via \(r.hops)-hop circuits\n"
            out += "relays     \(r.relaysListed) listed" + (r.directoryComplete ? "" : " (directory incomplete: fewer than 3 relays answered)") + "\n"
            out += "guard      \((r.guardName ?? "none yet").terminalSafe)\n"
            if r.building > 0 { out += "building   \(r.building)\n" }
            out += "\n"
            var rows = [["HOPS", "STATE", "AGE", "BUILD", "RTT", "FLOWS", "SENT", "RECEIVED"]]
            for c in r.circuits {
                rows.append([c.hops.map(\.name).joined(separator: " → ").terminalSafe, c.state, StatusTable.ago(UInt64(c.ageSeconds)),
                             milliseconds(c.buildMilliseconds), milliseconds(c.roundTripMilliseconds), "\(c.flows)",
                             StatusTable.bytes(UInt64(c.sentBytes)), StatusTable.bytes(UInt64(c.receivedBytes))])
            }
            out += StatusTable.table(rows)
            if r.circuits.isEmpty { out += "(no circuit built yet)\n" }
        }
        if let relaying = r.relaying {
            out += "\nrelaying   \(relaying.circuits) circuits, \(relaying.deliveries) flows delivered as last hop"
            if !relaying.drops.isEmpty {
                out += "; dropped: " + relaying.drops.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            }
            out += "\n"
        }
        return out
    }

    static func milliseconds(_ value: Double) -> String { "\((value * 10).rounded() / 10) ms" }
}
