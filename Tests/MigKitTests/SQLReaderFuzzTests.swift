import MigTestSupport
import Testing

@testable import MigKit

/// Seeded random scripts for both SQL readers: built from the pieces that make splitting hard
/// (quotes, dollar quotes, comments, `BEGIN`, `COPY` data, NUL, CRLF), cut anywhere. A reader may
/// refuse a script, but only with a line inside it; what it accepts must be statements whose
/// lines lie in the script, in order, and whose text is found in the script.
@Suite struct SQLReaderFuzzTests {
    static let pieces = [
        "CREATE TABLE t (id int);", "INSERT INTO t VALUES ('a;b');", "'", "\"", "$$", "$x$", ";", "\n", "\r\n",
        "-- c;\n", "/*", "*/", "BEGIN;", "COMMIT;", "ROLLBACK;", "begin", "END;", "E'\\''", "COPY t FROM stdin;\n",
        "1\t2\n", "\\.\n", "CREATE TRIGGER g AFTER INSERT ON t BEGIN SELECT 1; END;", "CREATE INDEX CONCURRENTLY i ON t (id);",
        "\0", "é", " ", "(", ")", "DO $$ BEGIN PERFORM 1; END $$;", "\\i other.sql\n",
    ]

    static let readers: [any SQLReader] = [PostgresSQLReader(), SQLiteSQLReader()]

    @Test(arguments: readers) func randomScriptsAreSplitOrRefusedWithALine(reader: any SQLReader) {
        var random = SeededRandom(seed: 20_261_202)
        for round in 0..<3_000 {
            let count = Int(random.next(upperBound: 24 as UInt64))
            let script = (0..<count).map { _ in Self.pieces[Int(random.next(upperBound: UInt64(Self.pieces.count)))] }
                .joined()
            let lines = script.utf8.filter { $0 == 0x0A }.count + 1
            do {
                let statements = try reader.read(script).statements
                let starts = statements.map(\.startLine)
                #expect(starts == starts.sorted(), "round \(round): \(script.debugDescription)")
                #expect(starts.allSatisfy { (1...lines).contains($0) }, "round \(round): \(script.debugDescription)")
                for statement in statements where !statement.text.isEmpty {
                    #expect(
                        script.contains(statement.text.prefix(8)), "round \(round): \(script.debugDescription)")
                }
            } catch {
                #expect((1...lines).contains(error.line), "round \(round): \(error) in \(script.debugDescription)")
                #expect(!error.message.isEmpty)
            }
        }
    }
}
