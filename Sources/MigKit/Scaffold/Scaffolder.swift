import Foundation

/// Plans and writes new migrations (`mig new`): version, file names, rendered template.
public struct Scaffolder {
    public let project: Project

    public init(project: Project) {
        self.project = project
    }

    /// What `mig new` was asked for.
    public struct Request: Sendable {
        public var description: String
        public var template: String
        public var now: Date
        /// Up and down text written by mig itself (`mig diff --write`), used instead of a template.
        public var body: MigrationText?
        /// Values for the template's variables given on the command line (`--set from=name`):
        /// they win over the guessed `table` and `column`, and give what a template requires.
        public var settings: [String: String]

        public init(
            description: String, template: String = "empty", now: Date = Date(), settings: [String: String] = [:],
            body: MigrationText? = nil
        ) {
            self.description = description
            self.template = template
            self.now = now
            self.settings = settings
            self.body = body
        }
    }

    /// A file to create, with its path relative to the project root.
    public struct PlannedFile: Sendable, Equatable, Codable {
        public let path: String
        public let contents: String
    }

    /// The new migration before anything is written.
    public struct Plan: Sendable, Equatable {
        public let version: Version
        public let name: String
        public let layout: Layout
        public let files: [PlannedFile]
        /// An expand/contract template's later contract step, to print (nil when it has none).
        public let contract: String?
    }

    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case exists(String)
        case cannotWrite(path: String, reason: String)
        case fixedVariable(String)
        /// A `--set` value that cannot stand where the templates put it.
        case invalidVariable(name: String, value: String, reason: String)

        public var description: String {
            switch self {
            case .fixedVariable(let name):
                "--set \(name)=…: mig works out `\(name)` itself; set the template's other variables"
            case .invalidVariable(let name, let value, let reason): "--set \(name)=\(value): \(reason)"
            case .exists(let path): "\(path) already exists: mig never overwrites a file"
            case .cannotWrite(let path, let reason): "\(path): cannot be written: \(reason)"
            }
        }
    }

    /// Works out the version, names and contents of a new migration; writes nothing.
    public func plan(_ request: Request) throws -> Plan {
        let slug = try Slug.make(request.description)
        let catalog = try project.loadCatalog(allowingMissingDirectory: true)
        let settings = project.configuration.migrations
        let layout = layoutForNewMigration(catalog)
        let version = catalog.styled(
            try VersionAllocator(scheme: settings.versioning).next(after: try versionsInUse(), now: request.now))
        if let fixed = request.settings.keys.sorted().first(where: TemplateContext.fixed.contains) {
            throw Failure.fixedVariable(fixed)
        }
        try TemplateContext.check(request.settings)
        let context = TemplateContext.make(
            version: version, description: request.description, slug: slug, dialect: settings.dialect,
            now: request.now, repositoryDirectory: project.root
        ).merging(request.settings) { _, given in given }
        let text = try request.body ?? render(request.template, context: context, settings: request.settings)
        let names = MigrationFiles(layout: layout, version: version, name: slug)
        let prefix = settings.directory
        let files: [PlannedFile]
        if layout == .sections {
            let style = markerStyle(of: catalog) ?? .mig
            files = [PlannedFile(path: prefix + "/" + names.upPath, contents: text.sectionsFile(style: style))]
        } else if layout == .prisma {
            // Prisma migrations go up only.
            files = [PlannedFile(path: prefix + "/" + names.upPath, contents: text.up)]
        } else {
            files = [
                PlannedFile(path: prefix + "/" + names.upPath, contents: text.up),
                PlannedFile(path: prefix + "/" + names.downPath, contents: text.down),
            ]
        }
        for file in files where FileManager.default.fileExists(atPath: project.root.appending(path: file.path).path) {
            throw Failure.exists(file.path)
        }
        return Plan(
            version: version, name: slug, layout: layout, files: files,
            contract: text.contract.isEmpty ? nil : text.contract)
    }

    /// The template's text with `context`; every variable the template requires must be in `settings`.
    private func render(_ template: String, context: [String: String], settings: [String: String]) throws
        -> MigrationText
    {
        let store = TemplateStore(overrides: project.root.appending(path: ".migrate/templates"))
        let source = try store.template(named: template, dialect: project.configuration.migrations.dialect)
        let missing = source.requiredVariables.filter { settings[$0] == nil }
        if !missing.isEmpty { throw TemplateStore.Failure.missingVariables(origin: source.origin, missing: missing) }
        do {
            return try MigrationText(rendered: try TemplateRenderer(variables: context).render(source))
        } catch let error as MigrationText.Failure {
            throw TemplateStore.Failure.invalid(origin: source.origin, line: error.line, message: error.message)
        }
    }

    /// Creates the planned files, never replacing one that appeared in the meantime, and brings
    /// the merge-conflict guard up to date when the project keeps one.
    public func write(_ plan: Plan) throws(Failure) {
        var written: [URL] = []
        for file in plan.files {
            let url = project.root.appending(path: file.path)
            do {
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(file.contents.utf8).write(to: url, options: .withoutOverwriting)
                written.append(url)
            } catch {
                // Leave nothing half-made behind: remove what this plan already created.
                for url in written { try? FileManager.default.removeItem(at: url) }
                if FileManager.default.fileExists(atPath: url.path) { throw .exists(file.path) }
                throw .cannotWrite(path: file.path, reason: error.localizedDescription)
            }
        }
        let mergeGuard = MergeGuard(project: project)
        guard mergeGuard.isInUse else { return }
        do {
            try mergeGuard.write()
        } catch {
            throw .cannotWrite(path: MergeGuard.relativePath, reason: String(describing: error))
        }
    }

    /// The version of every file whose name parses, whatever it holds: a migration still
    /// empty, or one with a mistake inside, has its version all the same.
    private func versionsInUse() throws -> [Version] {
        guard FileManager.default.fileExists(atPath: project.migrationDirectory.path) else { return [] }
        let ignore = IgnorePatterns(project.configuration.migrations.ignore)
        return try project.migrationSource.filePaths().filter { !ignore.matches($0) }
            .compactMap { FileName(path: $0)?.version }
    }

    private func layoutForNewMigration(_ catalog: Catalog) -> Layout {
        if case .fixed(let layout) = project.configuration.migrations.layout { return layout }
        return catalog.layout ?? .sections
    }

    /// The markers the newest sections-layout migration uses, so goose and dbmate projects stay consistent.
    private func markerStyle(of catalog: Catalog) -> SectionParser.MarkerStyle? {
        guard let newest = catalog.migrations.last(where: { $0.layout == .sections }),
            let bytes = try? project.migrationSource.contents(of: newest.up.path),
            let text = try? SourceText.normalize(bytes)
        else { return nil }
        return SectionParser.style(of: text)
    }
}

/// The variables a migration template can use.
enum TemplateContext {
    /// What mig works out for the new file itself, which `--set` cannot change.
    static let fixed: Set<String> = ["version", "name", "slug", "created", "dialect"]

    /// The variables templates put where SQL expects a name, and build other names from
    /// (`{{table}}_sync_{{to}}`): each must be a plain identifier that needs no quoting.
    static let identifiers: Set<String> = ["table", "column", "from", "to"]

    /// Refuses an empty value, and an identifier variable that is not a plain lower-case SQL
    /// name of at most 63 bytes: pasted into the SQL, it would break it or name something else.
    static func check(_ settings: [String: String]) throws(Scaffolder.Failure) {
        for (name, value) in settings.sorted(by: { $0.key < $1.key }) {
            guard !value.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw .invalidVariable(name: name, value: value, reason: "the value is empty")
            }
            guard identifiers.contains(name) else { continue }
            let plain = value.first.map { $0 == "_" || ("a"..."z").contains($0) } == true
                && value.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("0"..."9").contains($0) }
            guard plain, value.utf8.count <= 63 else {
                throw .invalidVariable(
                    name: name, value: value,
                    reason: "`\(name)` must be a plain lower-case SQL name (letters, digits, _; at most 63 bytes), "
                        + "which the templates use unquoted and build trigger and constraint names from; for a table "
                        + "in another schema, set search_path in the migration")
            }
        }
    }

    static func make(
        version: Version, description: String, slug: String, dialect: Dialect, now: Date, repositoryDirectory: URL
    ) -> [String: String] {
        let repository = try? GitRepository(discoveringFrom: repositoryDirectory)
        let environment = ProcessInfo.processInfo.environment
        let author = repository?.configValue("user.name") ?? environment["USER"] ?? "unknown"
        let hints = NameHints(slug: slug)
        return [
            "version": version.text,
            "name": description,
            "slug": slug,
            "created": ISO8601DateFormatter().string(from: now),
            "author": author,
            "email": repository?.configValue("user.email") ?? "",
            "branch": repository?.currentBranch() ?? "",
            "dialect": dialect.rawValue,
            "table": hints.table,
            "column": hints.column,
        ]
    }
}

/// Guesses a table and column from a migration name, for the create-table, add-column and
/// add-index templates: `create_users` → users; `add_email_to_users` → email on users.
struct NameHints: Equatable {
    let table: String
    let column: String

    init(slug: String) {
        if let match = slug.wholeMatch(of: /(?:add|index)_(\w+?)_(?:to|on)_(\w+)/) {
            table = String(match.output.2)
            column = String(match.output.1)
        } else if let match = slug.wholeMatch(of: /(?:create|add)_(?:table_)?(\w+)/) {
            table = String(match.output.1)
            column = "column_name"
        } else {
            table = slug
            column = "column_name"
        }
    }
}
