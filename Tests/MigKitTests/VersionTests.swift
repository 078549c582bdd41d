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
        let sorted = ["10", "9", "0002", "1"].compactMap { Version($0) }.sorted().map(\.text)
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

    /// goose: a version that reads as a real `YYYYMMDDHHMMSS` time is a timestamp; 12-digit
    /// `YYYYMMDDHHMM` stamps are common too.
    @Test(arguments: [
        ("20240115120000", VersioningScheme.timestamp), ("202401151200", .timestamp), ("2024-01-15-120000", .timestamp),
        ("20241315120000", .sequential), ("12345678901234", .sequential), ("000000000001", .sequential),
    ])
    func timestampsAreRealTimes(text: String, scheme: VersioningScheme) throws {
        #expect(try #require(Version(text)).scheme == scheme)
    }

    /// diesel: the version is the folder prefix with its dashes removed.
    @Test func dieselDashedTimestampsAreOneNumber() throws {
        let dashed = try #require(Version("2019-02-26-002946"))
        #expect(dashed.text == "2019-02-26-002946")
        #expect(dashed == Version("20190226002946"))
        #expect(dashed > Version("00000000000000")!)
        #expect(Version("2019-2-26-002946") == nil)
    }

    @Test(arguments: ["2024011512000", "202401151200000"])
    func flagsTimestampsWithADigitTooManyOrTooFew(text: String) throws {
        #expect(try #require(Version(text)).looksLikeMistypedTimestamp)
        #expect(Version("20240115120000")?.looksLikeMistypedTimestamp == false)
        #expect(Version("0000000000042")?.looksLikeMistypedTimestamp == false)
    }
}

@Suite struct VersionAllocatorTests {
    let noon = Date(timeIntervalSince1970: 1_705_320_000)

    @Test func timestampGoesPastANewerExistingVersion() throws {
        let next = try VersionAllocator(scheme: .timestamp).next(after: [Version("20300101000000")!], now: noon)
        #expect(next.text == "20300101000001")
    }

    @Test func timestampFollowsTwelveDigitStamps() throws {
        let next = try VersionAllocator(scheme: .timestamp).next(after: [Version("202401151200")!], now: noon)
        #expect(next.text == "202401151201")
    }

    @Test func sequentialIgnoresFlywayDottedVersions() throws {
        let next = try VersionAllocator(scheme: .sequential).next(after: [Version("0009")!, Version("1.2")!], now: noon)
        #expect(next.text == "0010")
    }

    @Test func sequentialGrowsPastItsPadding() throws {
        #expect(try VersionAllocator(scheme: .sequential).next(after: [Version("99")!], now: noon).text == "100")
    }

    @Test func hybridContinuesALaterDay() throws {
        let next = try VersionAllocator(scheme: .hybrid).next(after: [Version("2030.01.01.3")!], now: noon)
        #expect(next.text == "2030.01.01.4")
    }

    /// A version near UInt64.max must give a clear error, never a crash or a lower version.
    @Test(arguments: VersioningScheme.allCases)
    func refusesToGoBelowTheNewestVersion(scheme: VersioningScheme) {
        let newest = Version("18446744073709551615")!
        #expect(throws: VersionAllocator.Failure.self) {
            try VersionAllocator(scheme: scheme).next(after: [Version("0001")!, newest], now: noon)
        }
    }

    @Test func sequentialRefusesAVersionBelowAHybridOne() {
        #expect(throws: VersionAllocator.Failure.self) {
            try VersionAllocator(scheme: .sequential).next(after: [Version("0009")!, Version("2024.01.01.1")!], now: noon)
        }
    }

    @Test(arguments: ["202401151200000", "2024011512000"])
    func refusesToContinueAMistypedTimestamp(text: String) throws {
        let error = try #require(throws: VersionAllocator.Failure.self) {
            try VersionAllocator(scheme: .timestamp).next(after: [Version(text)!], now: noon)
        }
        #expect(error.description.contains("a timestamp has 14"))
    }
}
