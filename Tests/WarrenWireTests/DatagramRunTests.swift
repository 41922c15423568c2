import Testing
import WarrenWire

@Suite("Datagram runs")
struct DatagramRunTests {
    @Test("an empty entry is one empty datagram, whatever segment size the kernel reported")
    func emptyEntry() {
        for size in [-1, 0, 1, 1500] {
            let run = DatagramRun(entryBytes: 0, segmentBytes: size)
            #expect(Array(run) == [0..<0], "segment size \(size)")
            #expect(run.count == 1 && run.isSingle)
        }
    }

    @Test("a segment size of zero, negative or the entry's length or more means one datagram")
    func single() {
        for size in [Int.min, -1, 0, 7, 8, 65_536] {
            let run = DatagramRun(entryBytes: 7, segmentBytes: size)
            #expect(Array(run) == [0..<7], "segment size \(size)")
            #expect(run.isSingle && run.count == 1)
        }
    }

    @Test("a GRO run is cut into segments, the last one shorter")
    func segments() {
        let run = DatagramRun(entryBytes: 10, segmentBytes: 4)
        #expect(Array(run) == [0..<4, 4..<8, 8..<10])
        #expect(!run.isSingle && run.count == 3)
        #expect(Array(DatagramRun(entryBytes: 3, segmentBytes: 1)) == [0..<1, 1..<2, 2..<3])
    }

    @Test("every length and segment size covers the entry exactly once, in order, with no empty segment")
    func exhaustive() {
        var wrong: [String] = []
        for length in 0...300 {
            for size in -1...301 {
                let run = DatagramRun(entryBytes: length, segmentBytes: size)
                let ranges = Array(run)
                let covers = ranges.first?.lowerBound == 0 && ranges.last?.upperBound == length
                    && zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound }
                let noEmpty = length == 0 || ranges.allSatisfy { !$0.isEmpty }
                if ranges.count != run.count || !covers || !noEmpty { wrong.append("\(length)/\(size): \(ranges)") }
            }
        }
        #expect(wrong.isEmpty, "\(wrong.prefix(5))")
    }
}
