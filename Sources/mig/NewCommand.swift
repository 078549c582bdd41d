import ArgumentParser
import Foundation
import MigKit

struct New: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a new migration from a template.",
        discussion: """
            The name is made into a slug (`mig new Add users email` → add_users_email). The version \
            follows [migrations] versioning: timestamp (UTC, YYYYMMDDHHMMSS), sequential (highest + 1) \
            or hybrid (YYYY.MM.DD.N); the files follow the directory's layout. Templates come from \
            .migrate/templates/ first, then the built-in ones: \(BuiltinTemplates.names.joined(separator: ", ")). \
            A template can use {{version}}, {{name}}, {{slug}}, {{created}}, {{author}}, {{email}}, \
            {{branch}}, {{dialect}}, {{table}} and {{column}}. Rewrites the schema file (`mig schema`) \
            when the project keeps one.
            """
    )

    @Argument(help: "What the migration does, in a few words.")
    var words: [String]

    @Option(name: [.short, .long], help: "The template to render (empty, create-table, add-column, add-index, or your own).")
    var template = "empty"

    @Flag(help: "Show what would be written without writing it.")
    var dryRun = false

    @OptionGroup var output: OutputOptions

    func run() throws {
        try runReportingErrors(json: output.format == .json) {
            let project = try currentProject()
            let scaffolder = Scaffolder(project: project)
            let plan = try scaffolder.plan(.init(description: words.joined(separator: " "), template: template))
            if !dryRun {
                try scaffolder.write(plan)
                refreshSchemaFile(of: project)
            }
            switch output.format {
            case .json:
                try Console.printJSON(
                    NewReport(
                        version: plan.version.text, name: plan.name, layout: plan.layout.rawValue,
                        files: plan.files.map(\.path), dryRun: dryRun))
            case .text where dryRun:
                for file in plan.files {
                    Console.print(Console.paint("would create \(file.path)", .bold))
                    Console.print(file.contents)
                }
            case .text:
                for file in plan.files { Console.print("created \(file.path)") }
            }
        }
    }
}

private struct NewReport: Encodable {
    let version: String
    let name: String
    let layout: String
    let files: [String]
    let dryRun: Bool
}
