import ArgumentParser
import Foundation

/// The `mig` command: parses arguments and prints; all work is done by MigKit.
struct Mig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mig",
        abstract: "Git-integrated SQL migrations: scaffold, check branches, replay in a shadow, apply safely.",
        discussion: """
            Run `mig -C DIR <command>` to run as if mig had been started in DIR (like git -C).
            Settings come from .migrate/config.toml (see `mig init`); options beat the
            environment, which beats the file.
            """,
        version: "0.1.0",
        subcommands: [
            Init.self, New.self, List.self,
            Check.self, Lint.self, Fix.self, History.self,
            Status.self, Log.self, Diff.self, Up.self, Down.self, Redo.self, Resolve.self, Shadow.self, SchemaCommand.self,
            Adopt.self, Baseline.self, Repair.self,
        ]
    )
}

/// Entry point: handles git-style `-C DIR` before handing the rest to ArgumentParser, and
/// exits 2 on a usage error as the README documents (ArgumentParser's own code would be 64).
@main
enum Main {
    static func main() {
        // A reader that stops reading (`mig up | head -1`) must not stop a migration half-way: writes
        // to a closed pipe fail quietly and the work goes on to its end.
        signal(SIGPIPE, SIG_IGN)
        var arguments = Array(CommandLine.arguments.dropFirst())
        while arguments.first == "-C" {
            guard arguments.count >= 2 else { usageError("-C needs a directory: mig -C DIR <command>") }
            let directory = arguments[1]
            guard FileManager.default.changeCurrentDirectoryPath(directory) else {
                usageError("cannot change to directory \(directory): it does not exist or is not a folder")
            }
            arguments.removeFirst(2)
        }
        do {
            var command = try Mig.parseAsRoot(arguments)
            try command.run()
        } catch let code as ExitCode {
            // A command that has printed what it had to say and chose its status: exit with it
            // (ArgumentParser would first build the usage text twice, to print nothing).
            Foundation.exit(code.rawValue)
        } catch {
            if Mig.exitCode(for: error) == .validationFailure {
                Console.emit(Mig.fullMessage(for: error) + "\n", to: .standardError)
                Foundation.exit(usageErrorStatus)
            }
            Mig.exit(withError: error)
        }
    }

    /// The status of a command line mig cannot run: an unknown option, a missing argument, a bad value.
    static let usageErrorStatus: Int32 = 2

    private static func usageError(_ message: String) -> Never {
        Console.error(message)
        Foundation.exit(usageErrorStatus)
    }
}
