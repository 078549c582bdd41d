import Foundation
import PackagePlugin

/// Compiles the package's top-level `templates/` folder into Swift source, so the built-in
/// migration templates travel inside the `mig` binary and work when it is copied alone.
@main
struct EmbedTemplates: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let templatesFolder = context.package.directoryURL.appending(path: "templates")
        let inputs = try FileManager.default
            .subpathsOfDirectory(atPath: templatesFolder.path)
            .filter { $0.hasSuffix(".mustache") }
            .sorted()
            .map { templatesFolder.appending(path: $0) }
        let output = context.pluginWorkDirectoryURL.appending(path: "BuiltinTemplates.swift")
        return [
            .buildCommand(
                displayName: "Embedding migration templates",
                executable: try context.tool(named: "embed-templates").url,
                arguments: [templatesFolder.path, output.path],
                inputFiles: inputs,
                outputFiles: [output]
            )
        ]
    }
}
