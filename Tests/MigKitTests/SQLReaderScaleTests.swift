import Foundation
import Testing

@testable import MigKit

/// Reading stays linear in the script's size: a large seed file, and a dump with many COPY blocks.
@Suite struct SQLReaderScaleTests {
    static func seed(rows: Int) -> String {
        (0..<rows).map { "INSERT INTO t VALUES (\($0), 'row; \($0)');\n" }.joined()
    }

    static func dump(tables: Int, rows: Int) -> String {
        (0..<tables).map { table in
            "COPY t\(table) (a, b) FROM stdin;\n" + (0..<rows).map { "\($0)\tvalue \($0)\n" }.joined() + "\\.\n"
        }.joined()
    }

    @Test(arguments: [SQLReaderTests.readers[0], SQLReaderTests.readers[1]])
    func aLargeSeedFileIsReadInLinearTime(reader: any SQLReader) throws {
        let clock = ContinuousClock()
        let small = Self.seed(rows: 10_000)
        let large = Self.seed(rows: 80_000)
        var counts: [Int] = []
        let smallTime = try clock.measure { counts.append(try reader.read(small).statements.count) }
        let largeTime = try clock.measure { counts.append(try reader.read(large).statements.count) }
        #expect(counts == [10_000, 80_000])
        // Eight times the input: linear is ~8×, quadratic ~64×.
        #expect(largeTime < smallTime * 24, "\(smallTime) → \(largeTime)")
    }

    @Test func manyCopyBlocksAreReadInLinearTime() throws {
        let reader = PostgresSQLReader()
        let clock = ContinuousClock()
        let (small, large) = (Self.dump(tables: 50, rows: 200), Self.dump(tables: 400, rows: 200))
        var counts: [Int] = []
        let smallTime = try clock.measure { counts.append(try reader.read(small).statements.count) }
        let largeTime = try clock.measure { counts.append(try reader.read(large).statements.count) }
        #expect(counts == [50, 400])
        #expect(largeTime < smallTime * 24, "\(smallTime) → \(largeTime)")
    }
}
