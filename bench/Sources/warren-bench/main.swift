// warren-bench: runs one stage of Warren's packet path N times on preallocated buffers, with
// no I/O, for `bench/callgrind` to count instructions and allocations under valgrind.
//
//   warren-bench STAGE N
//
//   outbound      N batches of 64 1400-byte IPv4 packets: route + encrypt (DataPath.outbound)
//   inbound       N batches of 64 such datagrams: decrypt + replay + source check (DataPath.inbound)
//   segmentation  N TSO super-packets of 47 × 1368-byte TCP segments (TCPSegmenter)
//   coalescing    N receive batches of 64 TCP segments of one flow (TCPCoalescer)
//   all           each of the above with N (the data path: what allocates nothing)
//   circuit-hop   N batches of 64 messages of 1400-byte packets through a circuit's first hop
//                 (decode, remove its layer, encode: CircuitRelay on the control thread)
//
// The work of each stage runs inside `Stages.measure<Stage>`; callgrind counts only that
// (`--toggle-collect='*measureOutbound*'`), and the difference between two values of N
// divides out everything done once. A plain run prints what was processed, no timings: wall
// time on a shared machine is noise (see bench/run for throughput, as ratios).

import Glibc

let arguments = CommandLine.arguments
let stages = ["outbound", "inbound", "segmentation", "coalescing"]
guard arguments.count == 3, stages.contains(arguments[1]) || ["all", "circuit-hop"].contains(arguments[1]), let n = Int(arguments[2]), n > 0 else {
    print("usage: warren-bench {\(stages.joined(separator: "|"))|all|circuit-hop} N")
    exit(2)
}

let pair = Pair()
for stage in arguments[1] == "all" ? stages : [arguments[1]] {
    switch stage {
    case "circuit-hop":
        let bytes = Stages.circuitHop(pair, batches: n)
        print("circuit-hop: \(n * Stages.batch) messages forwarded, \(bytes) bytes passed on")
    case "outbound":
        let bytes = Stages.outbound(pair, batches: n)
        print("outbound: \(n * Stages.batch) packets sealed, \(bytes) bytes of datagrams")
    case "inbound":
        let bytes = Stages.inbound(pair, batches: n)
        print("inbound: \(n * Stages.batch) datagrams opened and checked, \(bytes) bytes delivered")
    case "segmentation":
        let segments = Stages.segmentation(count: n)
        print("segmentation: \(n) super-packets cut into \(segments) segments")
    default:
        let written = Stages.coalescing(batches: n)
        print("coalescing: \(n * Stages.batch) segments joined into \(written) packets")
    }
}
