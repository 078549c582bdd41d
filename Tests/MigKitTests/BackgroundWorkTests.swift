import Dispatch
import Foundation
import Testing

@testable import MigKit

@Suite struct BackgroundWorkTests {
    /// Each side waits for a sign from the other: run one after the other, the first would give up.
    @Test func concurrentlyRunsBothSidesAtTheSameTime() {
        let (first, second) = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
        let (sawSecond, sawFirst) = concurrently(
            {
                first.signal()
                return second.wait(timeout: .now() + 5) == .success
            },
            {
                second.signal()
                return first.wait(timeout: .now() + 5) == .success
            })
        #expect(sawSecond && sawFirst)
    }

    /// A side's closure is not escaping: the other thread must let go of it before `concurrently`
    /// returns, or the Swift runtime stops the process (a race, so it is tried many times).
    @Test func concurrentlyLetsGoOfItsClosuresBeforeItReturns() {
        var total = 0
        for round in 0..<5_000 {
            let (first, second) = concurrently({ round }, { 1 })
            total += first + second
        }
        #expect(total == (0..<5_000).reduce(0, +) + 5_000)
    }

    @Test func concurrentlyReturnsEachSidesOwnResult() {
        let (number, text) = concurrently({ 6 * 7 }, { "forty-two" })
        #expect(number == 42)
        #expect(text == "forty-two")
    }

    /// The object's `deinit` runs on another thread, and the release does not end before it.
    @Test func aReleasedObjectEndsOnAnotherThreadBeforeTheReleaseEnds() {
        let record = DeinitRecord()
        var object: Tracked? = Tracked(record: record, pause: 0.2)
        var release: BackgroundRelease? = BackgroundRelease()
        release?.release(&object)
        #expect(object == nil)
        release = nil
        #expect(record.ended)
        #expect(record.endedOnCallingThread == false)
    }

    private final class DeinitRecord: @unchecked Sendable {
        var ended = false
        var endedOnCallingThread: Bool?
        let callingThread = Thread.current
    }

    private final class Tracked {
        let record: DeinitRecord
        let pause: Double
        init(record: DeinitRecord, pause: Double) { (self.record, self.pause) = (record, pause) }
        deinit {
            Thread.sleep(forTimeInterval: pause)
            record.endedOnCallingThread = Thread.current == record.callingThread
            record.ended = true
        }
    }
}
