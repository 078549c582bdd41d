/// A database schema reduced to what matters for comparison: each object's kind, name and
/// normalised definition lines, independent of the engine that produced it.
///
/// Two databases that went through different migration orders are compared through this.
public struct SchemaSnapshot: Sendable, Hashable, Codable {
    /// One table, index, view, trigger, sequence, function or type.
    public struct Object: Sendable, Hashable, Codable, Comparable {
        public let kind: String
        public let name: String
        /// Normalised facts, one per line (`column email text not null`), sorted: the order of
        /// columns and constraints does not count (a down that re-adds a column at the end reverts).
        public let details: [String]

        public init(kind: String, name: String, details: [String]) {
            self.kind = kind
            self.name = name
            self.details = details.sorted()
        }

        public static func < (lhs: Object, rhs: Object) -> Bool { (lhs.kind, lhs.name) < (rhs.kind, rhs.name) }
    }

    /// Sorted by kind, then name.
    public let objects: [Object]

    public init(objects: [Object]) {
        self.objects = objects.sorted()
    }

    public var isEmpty: Bool { objects.isEmpty }

    /// A readable diff from `self` to `other`: `-` lines only here, `+` lines only there.
    public func difference(to other: SchemaSnapshot) -> [String] {
        var lines: [String] = []
        let mine = Dictionary(objects.map { ("\($0.kind) \($0.name)", $0) }, uniquingKeysWith: { first, _ in first })
        let theirs = Dictionary(
            other.objects.map { ("\($0.kind) \($0.name)", $0) }, uniquingKeysWith: { first, _ in first })
        for key in Set(mine.keys).union(theirs.keys).sorted() {
            switch (mine[key], theirs[key]) {
            case (let left?, nil):
                lines.append("- \(key)")
                lines += left.details.map { "-     \($0)" }
            case (nil, let right?):
                lines.append("+ \(key)")
                lines += right.details.map { "+     \($0)" }
            case (let left?, let right?) where left != right:
                lines.append("  \(key)")
                var removed = left.details.filter { !right.details.contains($0) }
                var added = right.details.filter { !left.details.contains($0) }
                if removed.isEmpty, added.isEmpty {
                    // The same lines, but not as many times each: show both in full.
                    (removed, added) = (left.details, right.details)
                }
                lines += removed.map { "-     \($0)" } + added.map { "+     \($0)" }
            default:
                continue
            }
        }
        return lines
    }
}
