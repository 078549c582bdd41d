import Foundation
import MigKit
import Testing

/// Seeded random folders, section markers and config files thrown at the catalog: nothing
/// crashes or hangs, and no file is skipped silently — each one is used, or a finding names
/// it (or a file of the same migration). The seed is fixed, so a failure repeats exactly.
@Suite struct CatalogFuzzTests {
    /// SplitMix64: a small, fast, seeded generator (the same sequence on every platform).
    struct Random: RandomNumberGenerator {
        var state: UInt64

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }

        mutating func pick<T>(_ choices: [T]) -> T { choices.randomElement(using: &self)! }
    }

    /// A migration directory held in memory.
    struct MemorySource: MigrationSource {
        let contents: [String: [UInt8]]

        func files() throws -> [SourceFile] { contents.keys.sorted().map { SourceFile(path: $0) } }
        func contents(of path: String) throws -> [UInt8] { contents[path]! }
        func displayPath(of path: String) -> String { "db/" + path }
    }

    static let versions = [
        "1", "0001", "30", "20240115120000", "202401151200", "2024011512000", "202401151200000", "2019-02-26-002946",
        "00000000000000", "2024.01.15.1", "18446744073709551615", "18446744073709551616", "1.1", "1_1", "", "x1", "-1",
    ]
    static let names = ["users", "add.users", "x.", "0.1.2_add", "a b", "ü", "a\nb", "a\u{0}b", "", "_", "up", ".up."]
    static let shapes: [@Sendable (String, String) -> String] = [
        { "\($0)_\($1).sql" }, { "\($0)_\($1).up.sql" }, { "\($0)_\($1).down.sql" }, { "\($0)_\($1).up..sql" },
        { "\($0)_\($1)/up.sql" }, { "\($0)_\($1)/down.sql" }, { "\($0)_\($1)/metadata.toml" }, { "up/\($0)_\($1).sql" },
        { "down/\($0)_\($1).sql" }, { "V\($0)__\($1).sql" }, { "U\($0)__\($1).sql" }, { "V\($0)__\($1).sql.conf" },
        { _, name in "R__\(name).sql" }, { _, _ in "afterMigrate.sql" }, { _, name in "beforeMigrate__\(name).sql" },
        { "\($0)_\($1).go" }, { _, _ in "README.md" }, { "\($0)/\($1)/deep.sql" }, { "\($0)\($1)" },
    ]
    static let lines = [
        "-- mig:up", "-- mig:down", "-- +goose Up", "-- +goose Down", "-- +goose NO TRANSACTION", "-- migrate:up",
        "-- migrate:down transaction:false", "-- mig:no-transaction", "-- no-transaction",
        "CREATE TABLE t (id INTEGER);",
        "SELECT 1;", "", "-- a comment", "<<<<<<< HEAD", "=======", ">>>>>>> x", "run_in_transaction = false",
        "run_in_transaction = 3", "executeInTransaction=false", "executeInTransaction=maybe", "encoding=UTF-8",
        "[table", "\"unterminated",
    ]

    static func contents(_ random: inout Random) -> [UInt8] {
        var bytes: [UInt8] = random.pick([[], [0xEF, 0xBB, 0xBF]])
        for _ in 0..<Int.random(in: 0...6, using: &random) {
            bytes += Array(random.pick(lines).utf8) + Array(random.pick(["\n", "\r\n", ""]).utf8)
            if Int.random(in: 0..<40, using: &random) == 0 { bytes += random.pick([[0xC3, 0x28], [0xFF], [0x00]]) }
        }
        return bytes
    }

    @Test func everyFileIsUsedOrNamed() throws {
        var random = Random(state: 20_261_202)
        let layouts: [LayoutSetting] = [.auto, .auto, .auto] + Layout.allCases.map { .fixed($0) }
        for _ in 0..<3000 {
            var files: [String: [UInt8]] = [:]
            for _ in 0..<Int.random(in: 1...6, using: &random) {
                let path = random.pick(Self.shapes)(random.pick(Self.versions), random.pick(Self.names))
                files[path] = Self.contents(&random)
            }
            let source = MemorySource(contents: files)
            let catalog = try CatalogLoader(layout: random.pick(layouts), requireDown: Bool.random(using: &random))
                .load(from: source)

            var accounted = Set(catalog.migrations.flatMap(\.files))
            accounted.formUnion(catalog.repeatables.map(\.script.path))
            accounted.formUnion(catalog.callbacks.map(\.path))
            let named = Set(catalog.diagnostics.compactMap(\.location?.path).map { String($0.dropFirst(3)) })
            for diagnostic in catalog.diagnostics {
                let path = try #require(diagnostic.location?.path, "every finding names a file: \(diagnostic)")
                #expect(files[String(path.dropFirst(3))] != nil, "\(path) is one of the folder's files")
            }
            func migrationKey(_ path: String) -> String? {
                FileName(path: path).flatMap { name in name.version.map { "\($0.text)_\(name.name)" } }
            }
            let namedMigrations = Set(named.compactMap(migrationKey))
            for path in files.keys where !accounted.contains(path) && !named.contains(path) {
                let key = migrationKey(path)
                #expect(
                    key.map(namedMigrations.contains) == true, "\(path) is skipped silently in \(files.keys.sorted())")
            }
        }
    }

    @Test func configFilesNeverCrashAndNameTheirFile() {
        var random = Random(state: 7)
        let keys = ["dir", "layout", "versioning", "dialect", "require_down", "guard", "ignore", "url", "base", "nope"]
        let values = [
            "\"db\"", "\"/abs\"", "\"../up\"", "true", "3", "[\"*.go\"]", "[1, 2]", "[]", "\"auto\"", "\"x\"",
            "{ a = 1 }", "\"",
        ]
        let sections = ["[migrations]", "[git]", "[database]", "[shadow]", "[nope]", "", "[migrations"]
        for _ in 0..<2000 {
            var text = ""
            for _ in 0..<Int.random(in: 0...5, using: &random) {
                text += random.pick(sections) + "\n" + "\(random.pick(keys)) = \(random.pick(values))\n"
            }
            do {
                _ = try ConfigurationFile.parse(text, path: "cfg.toml")
            } catch {
                #expect(error.path == "cfg.toml")
                #expect(!error.message.isEmpty)
            }
        }
    }

    @Test func theAllocatorNeverGoesBelowTheNewestVersion() {
        var random = Random(state: 99)
        let noon = Date(timeIntervalSince1970: 1_705_320_000)
        for _ in 0..<2000 {
            let existing = (0..<Int.random(in: 0...4, using: &random)).compactMap { _ in
                Version(random.pick(Self.versions))
            }
            let scheme = random.pick(VersioningScheme.allCases)
            if let next = try? VersionAllocator(scheme: scheme).next(after: existing, now: noon) {
                #expect(existing.allSatisfy { $0 < next }, "\(scheme) after \(existing) gave \(next)")
            }
        }
    }

    @Test func globsNeverHang() {
        var random = Random(state: 5)
        let pieces = ["*", "?", "[", "]", "!", "a", "/", "\\", "-", "z", ".go"]
        for _ in 0..<2000 {
            let pattern = (0..<Int.random(in: 0...8, using: &random)).map { _ in random.pick(pieces) }.joined()
            let path = (0..<Int.random(in: 0...12, using: &random)).map { _ in
                random.pick(["a", "/", "z", ".", "go", "-"])
            }.joined()
            _ = IgnorePatterns([pattern]).matches(path)
        }
    }
}
