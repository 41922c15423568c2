import Foundation
import Testing

/// `warren ca init` and `warren ca sign` on bad addresses: the binary itself, on files only
/// (no namespace, no packet).
extension IntegrationTests {
    @Test("warren ca sign refuses a bad --ip or --subnet with status 2, one line naming the option and the problem, and no files",
          arguments: [
              (["--ip", "10.8.0.5"], "--ip: \"10.8.0.5\" is not an IPv4 address with the CA network's prefix length, such as 10.8.0.1/16"),
              (["--ip", "10.8.0.5/24"], "--ip: address 10.8.0.5/24 must carry the prefix length of the CA's network 10.8.0.0/16"),
              (["--ip", "10.8.0.5/0"], "--ip: address 10.8.0.5/0 must carry the prefix length of the CA's network 10.8.0.0/16"),
              (["--ip", "10.8.0.0/16"], "--ip: address 10.8.0.0 is the network or broadcast address of 10.8.0.0/16"),
              (["--ip", "10.8.255.255/16"], "--ip: address 10.8.255.255 is the network or broadcast address of 10.8.0.0/16"),
              (["--ip", "10.9.0.5/16"], "--ip: certificate claims 10.9.0.5, outside the CA's networks"),
              (["--ip", "10.8.0.5/16", "--subnet", "0.0.0.0/0"],
               "--subnet: subnet 0.0.0.0/0 overlaps the overlay network 10.8.0.0/16, whose addresses only members hold"),
              (["--ip", "10.8.0.5/16", "--subnet", "192.168.50.0/24", "--subnet", "10.8.3.0/24"],
               "--subnet: subnet 10.8.3.0/24 overlaps the overlay network 10.8.0.0/16, whose addresses only members hold"),
              (["--ip", "10.8.0.5/16", "--subnet", "::/0"], "--subnet: subnet ::/0 overlaps the overlay network fd"),
              (["--ip", "10.8.0.5/16", "--subnet", "128.0.0.0/1"],
               "--subnet: subnet 128.0.0.0/1 is too wide: routed subnets must be /8 or narrower"),
              (["--ip", "10.8.0.5/16", "--subnet", "2000::/3"],
               "--subnet: subnet 2000::/3 is too wide: routed subnets must be /32 or narrower"),
              (["--ip", "10.8.0.5/16", "--capacity", "0"], "--capacity: must be 1–255"),
              (["--ip", "10.8.0.5/16", "--family", "Acme Inc"], "--family: \"Acme Inc\" is not 1–63 of letters a–z, digits, - _ ."),
          ])
    func caSignRefusesBadAddresses(options: [String], message: String) async throws {
        try await Lab.run { lab in
            let authority = try await lab.makeAuthority("main")
            let out = lab.path("node")
            let result = try await Command.run([lab.warren, "ca", "sign", "--ca", authority.directory, "--name", "node",
                                                "--out", out] + options)
            #expect(result.status == 2, "\(result)")
            #expect(result.stdout.isEmpty, "\(result)")
            let lines = result.stderr.split(whereSeparator: \.isNewline)
            try #require(lines.count == 1, "expected one line on stderr: \(result)")
            #expect(lines[0].hasPrefix("warren: " + message), "\(result)")
            #expect(!FileManager.default.fileExists(atPath: out + ".crt") && !FileManager.default.fileExists(atPath: out + ".key"))
        }
    }

    @Test("warren ca sign signs a subnet outside the overlay and a /32 host route")
    func caSignAcceptsSubnets() async throws {
        try await Lab.run { lab in
            let authority = try await lab.makeAuthority("main")
            let out = lab.path("node")
            try await Command.check([lab.warren, "ca", "sign", "--ca", authority.directory, "--name", "node", "--out", out,
                                     "--ip", "10.8.0.5/16", "--subnet", "192.168.50.0/24", "--subnet", "172.16.0.9"])
            let shown = try await Command.check([lab.warren, "cert", "show", out + ".crt"])
            #expect(shown.stdout.contains("192.168.50.0/24, 172.16.0.9/32"), "\(shown)")
        }
    }

    @Test("warren ca sign writes a relay's family and capacity class, and cert show prints them")
    func caSignRelayClass() async throws {
        try await Lab.run { lab in
            let authority = try await lab.makeAuthority("main")
            let out = lab.path("relay")
            try await Command.check([lab.warren, "ca", "sign", "--ca", authority.directory, "--name", "relay", "--out", out,
                                     "--ip", "10.8.0.6/16", "--relay", "--family", "acme", "--capacity", "3"])
            let shown = try await Command.check([lab.warren, "cert", "show", out + ".crt"])
            #expect(shown.stdout.contains("family       acme") && shown.stdout.contains("capacity     3"), "\(shown)")
            let json = try await Command.check([lab.warren, "cert", "show", "--json", out + ".crt"])
            #expect(json.stdout.contains("\"family\" : \"acme\"") && json.stdout.contains("\"capacity\" : 3"), "\(json)")
        }
    }

    @Test("warren ca init refuses a network that would route everything, and one not given", arguments: [
        ["--network", "0.0.0.0/0"], ["--network", "10.0.0.0/7"], [],
    ])
    func caInitRefusesWideNetworks(options: [String]) async throws {
        try await Lab.run { lab in
            let result = try await Command.run([lab.warren, "ca", "init", "--name", "n", "--out", lab.path("ca")] + options)
            #expect(result.status == 2, "\(result)")
            #expect(result.stderr.contains("--network"), "\(result)")
            #expect(!FileManager.default.fileExists(atPath: lab.path("ca") + "/ca.key"))
        }
    }
}
