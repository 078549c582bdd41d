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
            Status.self, Up.self, Down.self, Redo.self, Resolve.self, Shadow.self,
        ]
    )
}

/// Entry point: handles git-style `-C DIR` before handing the rest to ArgumentParser.
@main
enum Main {
    static func main() {
        var arguments = Array(CommandLine.arguments.dropFirst())
        while arguments.first == "-C" {
            guard arguments.count >= 2 else {
                Console.error("-C needs a directory: mig -C DIR <command>")
                Foundation.exit(ExitCode.validationFailure.rawValue)
            }
            let directory = arguments[1]
            guard FileManager.default.changeCurrentDirectoryPath(directory) else {
                Console.error("cannot change to directory \(directory): it does not exist or is not a folder")
                Foundation.exit(ExitCode.validationFailure.rawValue)
            }
            arguments.removeFirst(2)
        }
        Mig.main(arguments)
    }
}
