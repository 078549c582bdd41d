/// Compares the schema a deployed database ends up with against the schema a fresh database
/// gets, when a branch adds migrations with versions older than ones already on its base.
///
/// A deployed database has run base's migrations and will run head's new ones after them,
/// whatever their versions (shadow A); a fresh database runs everything in version order
/// (shadow B). When the two schemas differ, the reordering is not just cosmetic: production and
/// every new environment would disagree. Engine-neutral, like `ShadowReplay`.
public struct DeployOrderDrift {
    public let replay: ShadowReplay

    public init(replay: ShadowReplay) {
        self.replay = replay
    }

    /// The outcome: findings, and the two orders that were compared.
    public struct Report: Sendable, Codable {
        public let diagnostics: [Diagnostic]
        /// Migration identifiers in the order a deployed database runs them.
        public let deployOrder: [String]
        /// Migration identifiers in version order.
        public let versionOrder: [String]
        /// What the replays took from the snapshot cache.
        public internal(set) var cacheUse = ShadowCacheUse()
    }

    /// Replays both orders and reports (`head` may or may not already contain base's migrations) `shadow-failed` or `order-drift`; nothing when they agree.
    public func check(base: Catalog, head: Catalog) throws -> Report {
        let baseVersions = Set(base.migrations.map(\.version))
        let added = head.migrations.filter { !baseVersions.contains($0.version) }
        let deployOrder = base.migrations + added
        // After the merge, a fresh database runs base's and head's migrations together in version order.
        let ordered = deployOrder.isInVersionOrder
        let versionOrder = deployOrder.sortedByVersion()
        var cacheUse = ShadowCacheUse()
        let report = { (diagnostics: [Diagnostic]) in
            Report(
                diagnostics: diagnostics, deployOrder: deployOrder.map(\.identifier),
                versionOrder: versionOrder.map(\.identifier), cacheUse: cacheUse)
        }
        // The base's end is where the next pull request's replay starts: keep a snapshot there.
        // The schema is read only when there is another order to compare it with.
        let deployed = try replay.run(
            deployOrder, roundtrip: false, capturingSchema: !ordered,
            checkpoint: base.migrations.count)
        cacheUse.add(deployed, of: deployOrder.count, by: replay)
        if !deployed.diagnostics.isEmpty {
            return report(deployed.diagnostics.map { Self.labelled($0, "deploy order") })
        }
        guard !ordered else { return report([]) }
        let fresh = try replay.run(versionOrder, roundtrip: false, capturingSchema: true)
        cacheUse.add(fresh, of: versionOrder.count, by: replay)
        if !fresh.diagnostics.isEmpty { return report(fresh.diagnostics.map { Self.labelled($0, "version order") }) }
        guard let deployedSchema = deployed.schema, let freshSchema = fresh.schema, deployedSchema != freshSchema else {
            return report([])
        }
        let newestBase = base.newestVersion
        let reordered = added.filter { migration in newestBase.map { migration.version < $0 } ?? false }
        let culprit = reordered.first ?? added.first
        let diagnostic = Diagnostic(
            code: .orderDrift,
            location: culprit.map {
                SourceLocation(path: RunContext.displayPath(of: $0.up.path, under: replay.directoryPrefix))
            },
            message: "a deployed database (base's migrations, then "
                + (reordered.isEmpty ? "this branch's" : reordered.map(\.identifier).joined(separator: ", "))
                + ") ends with a different schema than a fresh one (all in version order) "
                + "(- deploy order, + version order):\n"
                + deployedSchema.difference(to: freshSchema).joined(separator: "\n"),
            hint: "give the new migrations versions after base's newest (`mig fix`), so both orders are the same")
        return report([diagnostic])
    }

    private static func labelled(_ diagnostic: Diagnostic, _ order: String) -> Diagnostic {
        Diagnostic(
            code: diagnostic.code, severity: diagnostic.severity, location: diagnostic.location,
            related: diagnostic.related, message: "\(diagnostic.message) (replaying in \(order))", hint: diagnostic.hint
        )
    }
}
