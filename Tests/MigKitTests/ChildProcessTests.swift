import Foundation
import MigTestSupport
import Testing

/// The runner every test starts programs with: it must never hang or end the test run.
@Suite struct ChildProcessTests {
    @Test func aChildThatRunsTooLongIsKilled() throws {
        let clock = ContinuousClock()
        let started = clock.now
        #expect(throws: ChildProcess.Timeout.self) {
            try ChildProcess.run(URL(fileURLWithPath: "/bin/sleep"), ["30"], limit: .milliseconds(300))
        }
        #expect(clock.now - started < .seconds(20))
    }

    @Test func aChildThatIgnoresItsInputDoesNotEndTheRun() throws {
        let input = String(repeating: "x", count: 4_000_000)
        let result = try ChildProcess.run(URL(fileURLWithPath: "/bin/true"), [], input: input)
        #expect(result.status == 0)
    }

    @Test func bothStreamsAreReadWhateverTheirSize() throws {
        let result = try ChildProcess.run(
            URL(fileURLWithPath: "/bin/sh"), ["-c", "head -c 3000000 /dev/zero >&2; echo done"])
        #expect(result.stdout == "done\n")
        #expect(result.stderr.utf8.count == 3_000_000)
    }
}
