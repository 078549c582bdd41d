/// One way a database's schema differs from the schema its migrations give, named by a path a
/// person can find (`table users / column email`) with what each side has.
///
/// `mig status --drift` and `mig diff` list these, and `SchemaRepair` turns them into a migration.
/// The comparison works on `SchemaSnapshot`s, so it sees exactly what the roundtrip and `mig schema`
/// see: a difference in layout or spelling that normalises away is not drift.
public struct SchemaDifference: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Which side has the object or part.
    public enum Change: String, Sendable, Codable {
        /// The database has it; the migrations do not make it (made by hand).
        case onlyInDatabase
        /// The migrations make it; the database does not have it (dropped by hand).
        case onlyInMigrations
        /// Both have it, and `aspect` differs.
        case changed
    }

    /// What differs about a part both sides have.
    public enum Aspect: String, Sendable, Codable {
        /// The column's type (`format_type` on PostgreSQL, the declared type on SQLite).
        case type
        /// `not null`, or nullable.
        case nullability
        /// The column's default expression.
        case `default`
        /// The column's position in the table's primary key (SQLite).
        case primaryKey
        /// An identity or stored generated expression (PostgreSQL), a generated column (SQLite).
        case generated
        /// The whole definition (a view's query, an index's columns, a constraint's text).
        case definition
    }

    /// The object's kind (`table`, `index`, `view`, `trigger`, `function`, `sequence`, `enum`) and name.
    public let kind: String
    /// The object's name as `SchemaSnapshot` writes it (`schema.name` outside PostgreSQL's `public`).
    public let name: String
    /// The part of a table that differs (`column email`, `constraint users_pkey`, `unique (email)`);
    /// `nil` when the difference is about the object as a whole.
    public let part: String?
    /// Which side has the object or part, or that both have it differently.
    public let change: Change
    /// For `changed`: what differs.
    public let aspect: Aspect?
    /// What the migrations give for `aspect`, and what the database has (`nil`: none); for a part
    /// or object only one side has, that side's facts (`column email text not null`).
    public let migrations: String?
    /// See `migrations`: the database's side.
    public let database: String?

    public init(
        kind: String, name: String, part: String? = nil, change: Change, aspect: Aspect? = nil,
        migrations: String? = nil, database: String? = nil
    ) {
        self.kind = kind
        self.name = name
        self.part = part
        self.change = change
        self.aspect = aspect
        self.migrations = migrations
        self.database = database
    }

    /// `table users / column email`.
    public var path: String { "\(kind) \(name)" + (part.map { " / \($0)" } ?? "") }

    /// `table users / column email: default 'x' in the migrations, no default in the database`.
    public var description: String {
        switch change {
        case .onlyInDatabase: return "\(path): only in the database"
        case .onlyInMigrations: return "\(path): only in the migrations (not in the database)"
        case .changed:
            return "\(path): \(phrase(migrations)) in the migrations, \(phrase(database)) in the database"
        }
    }

    private func phrase(_ value: String?) -> String {
        switch aspect {
        case .type: value.map { "type \($0)" } ?? "no type"
        case .nullability: value ?? "nullable"
        case .default: value.map { "default \($0)" } ?? "no default"
        case .primaryKey: value.map { "primary key position \($0)" } ?? "not in the primary key"
        case .generated: value ?? "not generated"
        case .definition, nil: value.map { "`\($0)`" } ?? "nothing"
        }
    }

    private enum CodingKeys: String, CodingKey {
        case path, kind, name, part, change, aspect, migrations, database
    }

    /// Every key is written, `null` included, so the JSON shape never depends on the difference.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(path, forKey: .path)
        try container.encode(kind, forKey: .kind)
        try container.encode(name, forKey: .name)
        try container.encode(part, forKey: .part)
        try container.encode(change, forKey: .change)
        try container.encode(aspect, forKey: .aspect)
        try container.encode(migrations, forKey: .migrations)
        try container.encode(database, forKey: .database)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            kind: try container.decode(String.self, forKey: .kind),
            name: try container.decode(String.self, forKey: .name),
            part: try container.decodeIfPresent(String.self, forKey: .part),
            change: try container.decode(Change.self, forKey: .change),
            aspect: try container.decodeIfPresent(Aspect.self, forKey: .aspect),
            migrations: try container.decodeIfPresent(String.self, forKey: .migrations),
            database: try container.decodeIfPresent(String.self, forKey: .database))
    }

    // MARK: - Comparing snapshots

    /// Every difference from `migrations` (what the migrations give) to `database` (what the
    /// database has), in path order. A table is compared part by part: columns by name, aspect by
    /// aspect; PostgreSQL constraints by name; other facts (SQLite's `unique (email)`) by presence.
    /// Any other object is compared as a whole definition.
    public static func between(migrations: SchemaSnapshot, database: SchemaSnapshot) -> [SchemaDifference] {
        let expected = Dictionary(migrations.objects.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let actual = Dictionary(database.objects.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        var differences: [SchemaDifference] = []
        for key in Set(expected.keys).union(actual.keys).sorted(by: { ($0.kind, $0.name) < ($1.kind, $1.name) }) {
            switch (expected[key], actual[key]) {
            case (nil, let right?):
                differences.append(
                    .init(
                        kind: key.kind, name: key.name, change: .onlyInDatabase,
                        database: right.details.joined(separator: "; ")))
            case (let left?, nil):
                differences.append(
                    .init(
                        kind: key.kind, name: key.name, change: .onlyInMigrations,
                        migrations: left.details.joined(separator: "; ")))
            case (let left?, let right?) where left.details != right.details:
                differences +=
                    key.kind == "table"
                    ? tableDifferences(key, migrations: left.details, database: right.details)
                    : [
                        .init(
                            kind: key.kind, name: key.name, change: .changed, aspect: .definition,
                            migrations: left.details.joined(separator: "; "),
                            database: right.details.joined(separator: "; "))
                    ]
            default: continue
            }
        }
        return differences
    }

    private static func tableDifferences(_ key: SchemaSnapshot.Object.Key, migrations: [String], database: [String])
        -> [SchemaDifference]
    {
        let expected = Dictionary(grouping: migrations, by: TablePart.key(of:))
        let actual = Dictionary(grouping: database, by: TablePart.key(of:))
        var differences: [SchemaDifference] = []
        for part in Set(expected.keys).union(actual.keys).sorted() {
            let left = expected[part] ?? []
            let right = actual[part] ?? []
            guard left != right else { continue }
            let make = { (change: Change, aspect: Aspect?, migrations: String?, database: String?) in
                SchemaDifference(
                    kind: key.kind, name: key.name, part: part, change: change, aspect: aspect,
                    migrations: migrations, database: database)
            }
            switch (left.first, right.first) {
            case (nil, _): differences.append(make(.onlyInDatabase, nil, nil, right.joined(separator: "; ")))
            case (_, nil): differences.append(make(.onlyInMigrations, nil, left.joined(separator: "; "), nil))
            case (let one?, let other?):
                if left.count == 1, right.count == 1, let mine = ColumnFacts(line: one),
                    let theirs = ColumnFacts(line: other)
                {
                    for (aspect, value) in mine.aspects where value != theirs[aspect] {
                        differences.append(make(.changed, aspect, value, theirs[aspect]))
                    }
                } else {
                    differences.append(
                        make(.changed, .definition, left.joined(separator: "; "), right.joined(separator: "; ")))
                }
            }
        }
        return differences
    }
}

extension SchemaSnapshot.Object {
    /// An object's identity within a schema.
    struct Key: Hashable {
        let kind: String
        let name: String
    }

    var key: Key { Key(kind: kind, name: name) }
}

/// How a table's detail line names the part it describes: `column email …` → `column email`,
/// `constraint users_pkey …` → `constraint users_pkey`, `column "first name" …` → `column "first name"`;
/// any other line is a part of its own.
enum TablePart {
    static let prefixes = ["column ", "constraint "]

    static func key(of line: String) -> String {
        for prefix in prefixes where line.hasPrefix(prefix) {
            let name = DetailName.read(line.dropFirst(prefix.count)).name
            return prefix + DetailName.spelled(name)
        }
        return line
    }

    /// The column's or constraint's own name in a part key (`column "first name"` → `first name`).
    static func name(in part: String) -> String {
        let prefix = prefixes.first { part.hasPrefix($0) } ?? ""
        return DetailName.read(part.dropFirst(prefix.count)).name
    }
}

/// How a snapshot line writes a column's or constraint's name so that it can be read back: as it
/// is, or in double quotes (`""` for a quote) when it holds white space or a double quote.
enum DetailName {
    static func spelled(_ name: String) -> String {
        guard name.isEmpty || name.contains(where: { $0.isWhitespace || $0 == "\"" }) else { return name }
        return "\"" + name.replacing("\"", with: "\"\"") + "\""
    }

    /// The name `text` starts with, and what follows the space after it.
    static func read(_ text: Substring) -> (name: String, rest: Substring) {
        guard text.first == "\"" else {
            let end = text.firstIndex(of: " ") ?? text.endIndex
            return (String(text[..<end]), text[end...].dropFirst())
        }
        var name = ""
        var index = text.index(after: text.startIndex)
        while index < text.endIndex {
            let next = text.index(after: index)
            if text[index] == "\"" {
                guard next < text.endIndex, text[next] == "\"" else { return (name, text[next...].dropFirst()) }
                name.append("\"")
                index = text.index(after: next)
            } else {
                name.append(text[index])
                index = next
            }
        }
        return (name, "")
    }
}

/// A column's facts read back from its snapshot line, which both readers write as
/// `column NAME TYPE[ not null][ default V | generated …][ primary key N][ generated]`.
struct ColumnFacts: Equatable {
    let name: String
    let type: String
    let notNull: Bool
    let defaultValue: String?
    let generated: String?
    let primaryKey: String?

    init?(line: String) {
        guard line.hasPrefix("column ") else { return nil }
        let (name, afterName) = DetailName.read(line.dropFirst("column ".count))
        self.name = name
        var rest = " " + afterName
        var generated: String?
        if rest.hasSuffix(" generated") {  // SQLite: a generated (hidden) column
            generated = "generated"
            rest.removeLast(" generated".count)
        }
        if let match = rest.firstMatch(of: /\ primary key (\d+)$/) {
            primaryKey = String(match.output.1)
            rest.removeSubrange(match.range)
        } else {
            primaryKey = nil
        }
        // The type ends at the first clause: no type holds one, and a default or a generated
        // expression (which may hold any text) comes after `not null`.
        let boundary =
            [" not null", " default ", " generated "].compactMap { rest.range(of: $0)?.lowerBound }.min()
            ?? rest.endIndex
        type = rest[..<boundary].trimmingWhitespace()
        var clauses = rest[boundary...]
        notNull = clauses.hasPrefix(" not null")
        if notNull { clauses = clauses.dropFirst(" not null".count) }
        if clauses.hasPrefix(" default ") {
            defaultValue = String(clauses.dropFirst(" default ".count))
        } else {
            defaultValue = nil
            if clauses.hasPrefix(" generated ") { generated = String(clauses.dropFirst()) }  // PostgreSQL
        }
        self.generated = generated
    }

    /// Each aspect with its value (`nil`: none), in the order a person reads a column.
    var aspects: [(SchemaDifference.Aspect, String?)] {
        [
            (.type, type), (.nullability, notNull ? "not null" : nil), (.default, defaultValue),
            (.generated, generated), (.primaryKey, primaryKey),
        ]
    }

    subscript(aspect: SchemaDifference.Aspect) -> String? {
        aspects.first { $0.0 == aspect }?.1
    }
}
