/// Turns what a person typed (`Add users email`) into a migration name (`add_users_email`).
public enum Slug {
    /// Why a name cannot become a migration name.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case empty
        case pathLike(String)

        public var description: String {
            switch self {
            case .empty: "the migration name is empty: give a few words, e.g. `mig new add users email`"
            case .pathLike(let name):
                "`\(name)` looks like a path: a migration name cannot contain `/`, `\\` or `..`"
            }
        }
    }

    /// Lower-cases, turns every run of other characters into one `_`, and trims `_` at both ends.
    public static func make(_ text: String) throws(Failure) -> String {
        if text.contains("/") || text.contains("\\") || text.contains("..") { throw .pathLike(text) }
        var slug = ""
        var pendingSeparator = false
        for character in text.lowercased() {
            if character.isLetter || character.isNumber {
                if pendingSeparator, !slug.isEmpty { slug.append("_") }
                pendingSeparator = false
                slug.append(character)
            } else {
                pendingSeparator = true
            }
        }
        guard !slug.isEmpty else { throw .empty }
        return slug
    }
}
