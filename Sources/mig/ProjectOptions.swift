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

/// Runs a command body, turning engine errors into a printed message and exit code 2; with
/// `json`, the error also goes to stdout as an `ErrorReport` document for machines.
func runReportingErrors(json: Bool = false, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch let error as CleanExit {
        throw error
    } catch {
        reportFailure(error, json: json)
        throw ExitCode(2)
    }
}

/// Prints why a command failed: the message on stderr, and with `json` the `ErrorReport` on stdout.
func reportFailure(_ error: any Error, json: Bool) {
    Console.error(String(describing: error))
    if json { try? Console.printJSON(ErrorReport(error).document) }
}

/// The project the current directory belongs to.
func currentProject() throws -> Project {
    try Project.discover(from: URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true))
}
