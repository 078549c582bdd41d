import Foundation
import Mustache

/// The built-in migration templates, compiled into the binary from the package's `templates/`
/// folder by the EmbedTemplates build plugin (`names` and `sources` are generated).
public enum BuiltinTemplates {}

/// Finds a template by name for a dialect: the project's own `.migrate/templates/` first, then
/// the built-in ones; a dialect's folder (`postgres/add-index`) before the generic one.
public struct TemplateStore: Sendable {
    /// The project's template folder, usually `<root>/.migrate/templates`.
    public let overrides: URL?

    public init(overrides: URL?) {
        self.overrides = overrides
    }

    /// A template's text and where it came from (for errors).
    public struct Source: Sendable, Equatable {
        public let text: String
        public let origin: String

        public init(text: String, origin: String) {
            self.text = text
            self.origin = origin
        }

        /// The variables the template declares with `{{! mig:requires a b c }}`: values mig cannot
        /// guess (the old and the new column of a rename), which `mig new` must be given.
        public var requiredVariables: [String] {
            text.matches(of: /\{\{!\s*mig:requires\s+([^}]*)\}\}/).flatMap {
                $0.output.1.split(whereSeparator: \.isWhitespace).map(String.init)
            }
        }
    }

    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case unknown(name: String, available: [String])
        case otherDialect(name: String, dialects: [String], dialect: Dialect)
        case missingVariables(origin: String, missing: [String])
        case unreadable(path: String)
        case invalid(origin: String, line: Int?, message: String)
        case unknownVariable(origin: String, line: Int, variable: String, known: [String])

        public var description: String {
            switch self {
            case .unknown(let name, let available):
                "no template named `\(name)`: choose one of \(available.joined(separator: ", "))"
            case .otherDialect(let name, let dialects, let dialect):
                "the template `\(name)` is built in for \(dialects.joined(separator: ", ")) only, and this project's "
                    + "dialect is \(dialect.rawValue): write your own in .migrate/templates/\(name).mustache"
            case .missingVariables(let origin, let missing):
                "\(origin) needs \(missing.map { "`\($0)`" }.joined(separator: ", ")), which mig cannot guess: give "
                    + missing.map { "--set \($0)=VALUE" }.joined(separator: " ")
            case .unreadable(let path):
                "\(path): cannot be read as UTF-8 text"
            case .invalid(let origin, let line, let message):
                "\(origin)\(line.map { ":\($0)" } ?? ""): not a valid migration template: \(message)"
            case .unknownVariable(let origin, let line, let variable, let known):
                "\(origin):\(line): unknown template variable `\(variable)`: known variables are \(known.joined(separator: ", ")); "
                    + "give it a value with --set \(variable)=VALUE"
            }
        }
    }

    /// Every template name available to the project.
    public func availableNames() -> [String] {
        var names = Set(BuiltinTemplates.names)
        if let overrides, let files = try? FileManager.default.subpathsOfDirectory(atPath: overrides.path) {
            for file in files where file.hasSuffix(".mustache") {
                names.insert(URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent)
            }
        }
        return names.sorted()
    }

    /// The template called `name` for `dialect`.
    public func template(named name: String, dialect: Dialect) throws(Failure) -> Source {
        let keys = ["\(dialect.rawValue)/\(name)", name]
        if let overrides {
            for key in keys {
                let file = overrides.appending(path: key + ".mustache")
                guard FileManager.default.fileExists(atPath: file.path) else { continue }
                guard let data = FileManager.default.contents(atPath: file.path),
                    let text = try? SourceText.normalize(data)
                else { throw .unreadable(path: file.path) }
                return Source(text: text, origin: file.path)
            }
        }
        for key in keys {
            if let text = BuiltinTemplates.sources[key] {
                return Source(text: text, origin: "built-in template \(key)")
            }
        }
        let dialects = Dialect.allCases.filter { BuiltinTemplates.sources["\($0.rawValue)/\(name)"] != nil }
        if !dialects.isEmpty { throw .otherDialect(name: name, dialects: dialects.map(\.rawValue), dialect: dialect) }
        throw .unknown(name: name, available: availableNames())
    }
}

/// Renders a template with SQL-safe settings: no HTML escaping, and every variable checked.
public struct TemplateRenderer: Sendable {
    /// The values a template can use.
    public let variables: [String: String]

    public init(variables: [String: String]) {
        self.variables = variables
    }

    /// Renders the template; every value goes in with its line breaks and other control
    /// characters turned into spaces, so a value can never end the comment line it stands on
    /// and become SQL (`mig new "$(printf 'x\nDELETE FROM users; --')"` stays one comment).
    public func render(_ source: TemplateStore.Source) throws(TemplateStore.Failure) -> String {
        try checkTags(of: source)
        let template: MustacheTemplate
        do {
            // Mustache escapes HTML by default, which would turn `'` into `&#39;` in SQL.
            template = try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + source.text)
        } catch let error as MustacheTemplate.ParserError {
            throw .invalid(origin: source.origin, line: error.context.lineNumber, message: Self.explain(error.error))
        } catch {
            throw .invalid(origin: source.origin, line: nil, message: "\(error)")
        }
        return template.render(variables.mapValues(Self.oneLine))
    }

    /// `text` with every control character (line breaks, tabs, escapes) replaced by a space.
    static func oneLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }))
    }

    private static func explain(_ error: any Error) -> String {
        switch error as? MustacheTemplate.Error {
        case .sectionCloseNameIncorrect: "a section is closed with a different name than it was opened with"
        case .unfinishedName: "a tag is not closed with }}"
        case .expectedSectionEnd: "a section ({{#name}} or {{^name}}) is never closed with {{/name}}"
        case .invalidSetDelimiter: "a set-delimiter tag ({{=<% %>=}}) is malformed"
        case .invalidConfigVariableSyntax, .unrecognisedConfigVariable: "a {{% …}} setting is not understood"
        default: "\(error)"
        }
    }

    /// Mustache renders an unknown variable (and a partial, which mig has no library for) as
    /// nothing; a typo in a template must fail loudly instead.
    private func checkTags(of source: TemplateStore.Source) throws(TemplateStore.Failure) {
        let tag = /\{\{\{?\s*([&#^\/]?)\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}?\}\}/
        let partial = /\{\{\s*[<>$]/
        // Open sections, so one never closed is reported where it opens (Mustache names the end of the file).
        var open: [(name: String, line: Int)] = []
        for (offset, line) in source.text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.contains(partial) {
                throw .invalid(
                    origin: source.origin, line: offset + 1,
                    message: "partials and blocks ({{> name}}, {{< name}}, {{$ name}}) are not supported: write the text into the template")
            }
            for match in line.matches(of: tag) {
                let name = String(match.output.2)
                if variables[name] == nil {
                    throw .unknownVariable(
                        origin: source.origin, line: offset + 1, variable: name, known: variables.keys.sorted())
                }
                switch match.output.1 {
                case "#", "^": open.append((name, offset + 1))
                case "/":
                    guard let last = open.popLast(), last.name == name else {
                        throw .invalid(
                            origin: source.origin, line: offset + 1, message: "{{/\(name)}} closes a section that is not open")
                    }
                default: continue
                }
            }
        }
        if let unclosed = open.last {
            throw .invalid(
                origin: source.origin, line: unclosed.line,
                message: "the section {{#\(unclosed.name)}} is never closed with {{/\(unclosed.name)}}")
        }
    }
}
