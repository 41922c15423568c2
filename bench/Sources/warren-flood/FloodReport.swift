import WarrenWire

/// What a flood did, as the one JSON line bench/flood reads.
struct FloodReport {
    let mode: String
    var sent = 0
    var dropped = 0
    var elapsed: Duration = .zero

    var json: String {
        let seconds = elapsed.secondsValue
        let rate = seconds > 0 ? Double(sent) / seconds : 0
        return #"{"mode": "\#(mode)", "sent": \#(sent), "dropped": \#(dropped), "seconds": \#(seconds), "per_second": \#(rate)}"#
    }
}
