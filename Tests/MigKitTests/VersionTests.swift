import Foundation
import MigKit
import Testing

@Suite struct VersionTests {
    @Test(arguments: ["1", "0003", "20240115120000", "2024.01.15.1", "1_2", "1.2.3"])
    func parsesDigitGroups(text: String) throws {
        let version = try #require(Version(text))
        #expect(version.text == text)
    }

    @Test(arguments: ["", "a1", "1..2", "1.", ".1", "1-2", "１"])
    func rejectsAnythingElse(text: String) {
        #expect(Version(text) == nil)
    }

    @Test func comparesNumerically() throws {
        let sorted = ["10", "9", "0002", "1"].compactMap(Version.init).sorted().map(\.text)
        #expect(sorted == ["1", "0002", "9", "10"])
        #expect(Version("2024.01.15.10")! > Version("2024.01.15.9")!)
        #expect(Version("1.2")! < Version("1.2.1")!)
    }

    @Test func equalityIgnoresPadding() {
        #expect(Version("0003") == Version("3"))
        #expect(Set([Version("0003")!, Version("3")!]).count == 1)
    }

    @Test func recognisesSchemes() {
        #expect(Version("20240115120000")?.scheme == .timestamp)
        #expect(Version("0003")?.scheme == .sequential)
        #expect(Version("2024.01.15.2")?.scheme == .hybrid)
    }
}

@Suite struct VersionAllocatorTests {
    let noon = Date(timeIntervalSince1970: 1_705_320_000)

    @Test func timestampGoesPastANewerExistingVersion() {
        let next = VersionAllocator(scheme: .timestamp).next(after: [Version("20300101000000")!], now: noon)
        #expect(next.text == "20300101000001")
    }

    @Test func sequentialIgnoresOtherSchemes() {
        let next = VersionAllocator(scheme: .sequential).next(after: [Version("0009")!, Version("2024.01.01.1")!], now: noon)
        #expect(next.text == "0010")
    }

    @Test func sequentialGrowsPastItsPadding() {
        #expect(VersionAllocator(scheme: .sequential).next(after: [Version("99")!], now: noon).text == "100")
    }
}
