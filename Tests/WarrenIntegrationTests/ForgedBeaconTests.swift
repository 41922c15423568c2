import Foundation
import Testing

extension IntegrationTests {
    /// Security issue #11, finding 6: mallory, on the victim's LAN, sends it unicast LAN
    /// beacons (to its Warren port and to the beacon port) carrying copies of members'
    /// certificates, and her own certificate properly signed; each both in the unsigned
    /// layout beacons had before and signed with her key. The victim believes beacons only
    /// as multicast from its link, signed by the certificate's key, and a beacon only adds a
    /// candidate: its static peer keeps its configured endpoint, and nobody is introduced.
    @Test("unicast LAN beacons with copies of members' certificates change no endpoint and introduce nobody")
    func forgedLANBeacons() async throws {
        try await Lab.run { lab in
            let victim = try await lab.addNode("victim")
            // A static peer of the victim's that is not running: no session protects its endpoint.
            let member = try await lab.addNode("member")
            // A member the victim has not met.
            let stranger = try await lab.addNode("stranger")
            let mallory = try await lab.addNode("mallory")
            try lab.configure(victim, peers: [member], lanBeacons: true)
            try lab.configure(mallory, peers: [])
            try await lab.start(victim)
            #expect(try await lab.status(victim).peer(member)?.endpoint == member.endpoint)

            let forge = (lab.warren as NSString).deletingLastPathComponent + "/warren-forge"
            let beaconPort = 0x5761  // LANBeacon.port
            for node in [member, stranger, mallory] {
                let certificate = (node.keyPath as NSString).deletingPathExtension + ".crt"
                let sent = try await Command.check(mallory.exec(forge, "beacon", mallory.configPath, certificate, "9",
                                                                victim.endpoint, "\(victim.underlay):\(beaconPort)"))
                print(sent.stdout, terminator: "")
            }
            try await Task.sleep(for: .seconds(2))
            let status = try await lab.status(victim)
            #expect(status.peer(member)?.endpoint == member.endpoint, "\(String(describing: status.peer(member)))")
            #expect(status.peer(member)?.foundBy == "config")
            #expect(status.peer(stranger) == nil, "\(String(describing: status.peer(stranger)))")
            #expect(status.peer(mallory) == nil, "\(String(describing: status.peer(mallory)))")
            // Those to the Warren port are counted where the packet thread drops them.
            #expect((status.drops["unsolicited"] ?? 0) >= 6, "\(status.drops)")
            print("forged LAN beacons: victim's drops \(status.drops)")
        }
    }
}
