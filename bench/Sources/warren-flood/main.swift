import WarrenLinux
import WarrenMemberSession
import WarrenWire

/// A handshake flood for bench/flood (security issue #11), outside the daemon binary.
///
///   warren-flood initiations VICTIM_KEY VICTIM_ENDPOINT CERTIFICATE_FILE SOURCES RATE SECONDS
///       a non-member: Noise initiations with valid mac1 (each from its own throwaway static
///       key, carrying a copy of CERTIFICATE_FILE, a member's public certificate), RATE per
///       second (0: as fast as one core sends), from SOURCES sockets (each a flow of its own,
///       which the namespace may give a source address of its own)
///   warren-flood dht CONFIG VICTIM_KEY VICTIM_ENDPOINT RATE SECONDS
///       a member (CONFIG names its key and certificate): one real handshake, then DHT
///       findNode and findValue queries for random keys inside the session, RATE per second
///
/// Says "flooding" on stderr once set up (building the initiations takes a moment), and at
/// the end prints one JSON line: datagrams sent, dropped by the local socket, seconds, rate.
let arguments = CommandLine.arguments
let report: FloodReport
switch arguments.dropFirst().first {
case "initiations" where arguments.count == 8:
    let pool = try InitiationPool(victimKey: arguments[2], certificateFile: arguments[4])
    StandardError.writeLine("flooding")
    report = try pool.flood(to: Endpoint(arguments[3])!, sources: Int(arguments[5])!, perSecond: Double(arguments[6])!,
                            seconds: Int64(arguments[7])!)
case "dht" where arguments.count == 7:
    let member = try MemberSession(config: arguments[2], victimKey: arguments[3], victim: Endpoint(arguments[4])!)
    StandardError.writeLine("flooding")
    report = member.floodQueries(perSecond: Double(arguments[5])!, seconds: Int64(arguments[6])!)
default:
    fatalError("usage: see bench/Sources/warren-flood/main.swift")
}
print(report.json)
