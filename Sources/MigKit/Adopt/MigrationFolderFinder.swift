import Foundation

/// A folder that holds migrations, as `mig init` found it: where it is and how many of its
/// files fit one layout.
public struct MigrationFolderCandidate: Sendable, Codable, Equatable {
    /// Relative to the project root (`.` for the root itself).
    public let path: String
    /// The layout most of its migration files are named for.
    public let layout: Layout
    /// How many files fit that layout: the rank of the folder.
    public let files: Int
}

/// Finds the folders of migrations anywhere below a project root, at any depth, ranked by how
/// many files fit a layout — so `mig init` adopts `cmd/api/migrate/migrations` as readily as
/// `db/migrations`.
///
/// In a Git repository it searches the files Git tracks (build output, dependencies and
/// vendored copies stay out); when none of them is a migration (nothing committed or staged
/// yet), or outside a repository, it searches the file system, skipping hidden folders,
/// `node_modules` and what `.gitignore` excludes.
public struct MigrationFolderFinder: Sendable {
    public let root: URL

    public init(root: URL) {
        self.root = root
    }

    /// Every folder holding at least one migration file, best first: most files, then the
    /// shallowest, then by path.
    public func candidates() -> [MigrationFolderCandidate] {
        guard let repository = try? GitRepository(discoveringFrom: root), !repository.isBare,
            let prefix = repository.relativePath(of: root)
        else { return Self.rank(fileSystemFiles()) }
        let tracked = Self.rank(trackedFiles(in: repository, under: prefix))
        guard tracked.isEmpty else { return tracked }
        return Self.rank(fileSystemFiles().filter { path in
            !((try? repository.isIgnored(prefix.isEmpty ? path : prefix + "/" + path)) ?? false)
        })
    }

    /// Ranks the folders that `paths` (files relative to the root) make migration folders of.
    static func rank(_ paths: [String]) -> [MigrationFolderCandidate] {
        var counts: [String: [Layout: Int]] = [:]
        for path in paths where path.lowercased().hasSuffix(".sql") {
            let components = path.split(separator: "/").map(String.init)
            // A file is a migration of the folder it sits in (flat layouts) or of the folder
            // above (one folder per migration, or up/ and down/ folders).
            for depth in 1...2 where components.count >= depth {
                let relative = components.suffix(depth).joined(separator: "/")
                guard let name = FileName(path: relative), (depth == 2) == Self.nested(name.layout) else { continue }
                let folder = components.dropLast(depth).joined(separator: "/")
                counts[folder.isEmpty ? "." : folder, default: [:]][name.layout, default: 0] += 1
            }
        }
        return counts.compactMap { folder, layouts in
            // The most files wins; ties go to the order of `Layout.allCases`, as in the catalog.
            Layout.allCases.filter { layouts[$0] != nil }.max { layouts[$0]! < layouts[$1]! }
                .map { MigrationFolderCandidate(path: folder, layout: $0, files: layouts[$0]!) }
        }.sorted { ($1.files, depth($0.path), $0.path) < ($0.files, depth($1.path), $1.path) }
    }

    private static func nested(_ layout: Layout) -> Bool { [.directory, .split, .prisma].contains(layout) }

    private static func depth(_ path: String) -> Int { path == "." ? 0 : path.split(separator: "/").count }

    /// The `.sql` files Git tracks below the root that are still in the working tree (a folder
    /// deleted but not yet staged is not one to adopt); `prefix` is the root's path in the repository.
    private func trackedFiles(in repository: GitRepository, under prefix: String) -> [String] {
        guard let paths = try? repository.trackedPaths() else { return [] }
        return paths.compactMap { path in
            guard path.lowercased().hasSuffix(".sql") else { return nil }
            let relative = prefix.isEmpty ? path : path.hasPrefix(prefix + "/") ? String(path.dropFirst(prefix.count + 1)) : nil
            return relative.flatMap { FileManager.default.fileExists(atPath: root.appending(path: $0).path) ? $0 : nil }
        }
    }

    /// The files below the root, hidden folders and `node_modules` left out; symbolic links to
    /// folders are not followed, so a link that loops back cannot make the search endless.
    private func fileSystemFiles() -> [String] {
        var paths: [String] = []
        var pending = [""]
        while let relative = pending.popLast() {
            let folder = relative.isEmpty ? root : root.appending(path: relative)
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { continue }
            for name in names.sorted() where !name.hasPrefix(".") && name != "node_modules" {
                let path = relative.isEmpty ? name : relative + "/" + name
                let values = try? root.appending(path: path).resourceValues(forKeys: [.isDirectoryKey, .isSymbolicLinkKey])
                if values?.isDirectory == true, values?.isSymbolicLink != true {
                    pending.append(path)
                } else {
                    paths.append(path)
                }
            }
        }
        return paths
    }
}
