import ArgumentParser
import Foundation
import MigKit

struct New: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Create a new migration from a template.",
        discussion: """
            The name is made into a slug (`mig new Add users email` → add_users_email). The version \
            follows [migrations] versioning: timestamp (UTC, YYYYMMDDHHMMSS), sequential (highest + 1) \
            or hybrid (YYYY.MM.DD.N); the files follow the directory's layout. Templates come from \
            .migrate/templates/ first, then the built-in ones: \(BuiltinTemplates.names.joined(separator: ", ")). \
            A template can use {{version}}, {{name}}, {{slug}}, {{created}}, {{author}}, {{email}}, \
            {{branch}}, {{dialect}}, {{table}} and {{column}}, and any variable given with --set. \
            The expand/contract templates (PostgreSQL: rename-column, add-not-null-column) write the \
            expand migration and print the contract step to put in a later migration; they need \
            their variables given: `mig new rename users name -t rename-column --set table=users \
            --set from=name --set to=full_name --set type=text`. Rewrites the schema file \
            (`mig schema`) when the project keeps one.
            """
    )

    @Argument(help: "What the migration does, in a few words.")
    var words: [String]

    @Option(
        name: [.short, .long],
        help:
            "The template to render (empty, create-table, add-column, add-index, rename-column, add-not-null-column, or your own)."
    )
    var template = "empty"

    @Option(
        name: .customLong("set"),
        help: ArgumentHelp("A template variable's value (repeatable).", valueName: "name=value"))
    var settings: [String] = []

    @Flag(help: "Show what would be written without writing it.")
    var dryRun = false

    @OptionGroup var output: OutputOptions

    /// `--set` values by name.
    private var variables: [String: String] {
        Dictionary(
            settings.map { setting in
                let parts = setting.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
            }, uniquingKeysWith: { _, last in last })
    }

    func validate() throws {
        for setting in settings {
            guard let equals = setting.firstIndex(of: "="),
                setting[..<equals].wholeMatch(of: /[A-Za-z_][A-Za-z0-9_]*/) != nil
            else {
                throw ValidationError("--set \(setting): write NAME=VALUE, NAME made of letters, digits and _")
            }
        }
    }

    func run() throws {
        try runReportingErrors(json: output.format == .json) {
            let project = try currentProject()
            let scaffolder = Scaffolder(project: project)
            let plan = try scaffolder.plan(
                .init(description: words.joined(separator: " "), template: template, settings: variables))
            if !dryRun {
                try scaffolder.write(plan)
                refreshSchemaFile(of: project)
            }
            switch output.format {
            case .json:
                try Console.printJSON(
                    NewReport(
                        version: plan.version.text, name: plan.name, layout: plan.layout.rawValue,
                        files: plan.files.map(\.path), contract: plan.contract, dryRun: dryRun))
            case .text where dryRun:
                for file in plan.files {
                    Console.print(Console.paint("would create \(file.path)", .bold))
                    Console.print(file.contents)
                }
            case .text:
                for file in plan.files { Console.print("created \(file.path)") }
            }
            if let contract = plan.contract, output.format == .text {
                Console.print(
                    Console.paint("later: put the contract step in a migration of its own (mig new …):", .bold))
                Console.print(String(contract.dropLast()))
            }
        }
    }
}

private struct NewReport: Encodable {
    let version: String
    let name: String
    let layout: String
    let files: [String]
    /// The contract step to put in a later migration (expand/contract templates).
    let contract: String?
    let dryRun: Bool
}
