import Testing
import WarrenWire
@testable import WarrenNAT

@Suite("Port prediction")
struct PortPredictionTests {
    let seen = Endpoint("198.51.100.7:20000")!

    @Test("behind an endpoint-independent or unknown NAT: the window of ports above the one seen, same address")
    func window() {
        for mapping in [MappingBehaviour.endpointIndependent, .unknown, .noAnswer] {
            let guesses = PortPrediction.guesses(after: seen, ownMapping: mapping)
            #expect(guesses.count == PortPrediction.window)
            #expect(guesses.first == Endpoint("198.51.100.7:20001") && guesses.last == Endpoint("198.51.100.7:20032"))
            #expect(guesses.allSatisfy { $0.address == seen.address })
        }
        let v6 = Endpoint("[2001:db8::7]:443")!
        #expect(PortPrediction.guesses(after: v6, ownMapping: .endpointIndependent).first == Endpoint("[2001:db8::7]:444"))
    }

    @Test("no guesses where they cannot help: no NAT of our own, or a symmetric one")
    func pointless() {
        #expect(PortPrediction.guesses(after: seen, ownMapping: .none).isEmpty)
        #expect(PortPrediction.guesses(after: seen, ownMapping: .endpointDependent).isEmpty)
    }

    @Test("the window stops at the last port")
    func topOfRange() {
        let high = PortPrediction.guesses(after: Endpoint("198.51.100.7:65530")!, ownMapping: .endpointIndependent)
        #expect(high.map(\.port) == Array(65531...65535))
        #expect(PortPrediction.guesses(after: Endpoint("198.51.100.7:65535")!, ownMapping: .unknown).isEmpty)
    }
}
