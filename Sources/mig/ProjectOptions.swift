import ArgumentParser
import Foundation
import MigKit

/// Options every command that reads the project shares.
struct OutputOptions: ParsableArguments {
    @Option(help: "Output format: text for people, json for machines.")
    var format: OutputFormat = .text
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// Runs a command body, turning engine errors into a printed message and exit code 2.
func runReportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch let error as CleanExit {
        throw error
    } catch {
        Console.error(String(describing: error))
        throw ExitCode(2)
    }
}

/// The project the current directory belongs to.
func currentProject() throws -> Project {
    try Project.discover(from: URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true))
}
