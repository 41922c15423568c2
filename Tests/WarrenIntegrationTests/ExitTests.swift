import Foundation
import Testing

extension IntegrationTests {
    /// Issue 14: "The nftables rules are gone after the exit stops." An exit's daemon installs
    /// its table at start (its pools routed into warren0), a start after a SIGKILL replaces
    /// the table the killed daemon left rather than adding a second, SIGTERM removes it; a
    /// node without the exit role installs nothing. `warren check` shows the policy first
    /// match first and says that forwarding is off.
    @Test("an exit installs its nftables table at start, replaces a killed daemon's, removes it at stop")
    func exitTableLifecycle() async throws {
        try await Lab.run { lab in
            let exit = try await lab.addNode("exit", exit: true)
            let plain = try await lab.addNode("plain")
            let config = "[exit]\nenabled = true\npolicy = [\"reject 198.51.100.0/24\"]"
            try lab.configure(exit, peers: [], extra: config)
            try lab.configure(plain, peers: [], extra: config)
            let table = ["nft", "list", "table", "inet", "warren_exit_warren0"]

            try await Command.check(exit.exec("sysctl", "-qw", "net.ipv4.ip_forward=0"))
            let check = try await Command.check(exit.exec(lab.warren, "check", "-c", exit.configPath))
            let lines = check.stdout.split(separator: "\n").map(String.init)
            let overlay = lines.firstIndex(of: "  reject 10.8.0.0/16"), own = lines.firstIndex(of: "  reject 198.51.100.0/24")
            let smtp = lines.firstIndex { $0.hasPrefix("  reject * port 25,") }
            #expect(overlay != nil && own != nil && smtp != nil && overlay! < own! && own! < smtp!, "\(check.stdout)")
            let forwardingOff = "exit: net.ipv4.ip_forward is 0: nothing will leave through this exit (sysctl -w net.ipv4.ip_forward=1)"
            #expect(lines.contains(forwardingOff), "\(check.stdout)")
            try await Command.check(exit.exec("sysctl", "-qw", "net.ipv4.ip_forward=1"))
            let forwarding = try await Command.check(exit.exec(lab.warren, "check", "-c", exit.configPath))
            #expect(!forwarding.stdout.contains("net.ipv4.ip_forward"), "\(forwarding.stdout)")

            try await lab.start(exit)
            let installed = try await Command.check(exit.namespace.exec(table))
            #expect(installed.stdout.contains("masquerade") && installed.stdout.contains("198.51.100.0/24"), "\(installed.stdout)")
            let route = try await Command.check(exit.exec("ip", "route", "show", "100.96.0.0/16"))
            #expect(route.stdout.contains("dev warren0"), "\(route.stdout)")

            let killed = try #require(exit.daemon)
            #expect(try await killed.stop(signal: SIGKILL))
            #expect(try await Command.run(exit.namespace.exec(table)).status == 0, "a killed daemon cannot remove its table")
            try await lab.start(exit)
            let replaced = try await Command.check(exit.namespace.exec(table))
            #expect(replaced.stdout.components(separatedBy: "chain forward").count == 2, "\(replaced.stdout)")

            try await lab.stop(exit)
            let tables = try await Command.check(exit.exec("nft", "list", "tables"))
            #expect(!tables.stdout.contains("warren_exit"), "\(tables.stdout)")

            try await lab.start(plain)
            #expect(try await Command.run(plain.namespace.exec(table)).status != 0)
            #expect(plain.daemon?.log.contains("not serving as an exit: this node's certificate has no exit role") == true)
        }
    }
}
