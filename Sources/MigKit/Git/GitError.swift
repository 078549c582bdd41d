internal import CGit2

/// A libgit2 call that failed, with libgit2's own message read right after the call.
public struct GitError: Error, Sendable, Equatable, CustomStringConvertible {
    /// libgit2's error code (`GIT_ENOTFOUND` is -3, ...).
    public let code: Int32
    /// libgit2's error class (`GIT_ERROR_REPOSITORY`, ...).
    public let errorClass: Int32
    /// What was being attempted, e.g. "open repository at /tmp/x".
    public let operation: String
    public let message: String

    public var description: String {
        if message.contains("safe.directory") {
            return "\(operation): the repository is owned by another user, so Git does not trust it; "
                + "if you trust it, run `git config --global --add safe.directory <path>`"
        }
        return "\(operation): \(message)"
    }

    /// Whether libgit2 reported that the thing looked up does not exist.
    public var isNotFound: Bool { code == GIT_ENOTFOUND.rawValue }

    /// Whether libgit2 found a revision expression malformed (`main..`, `HEAD~x`).
    public var isInvalidSpec: Bool { code == GIT_EINVALIDSPEC.rawValue }

    /// Turns a libgit2 return code into a thrown `GitError` when it is negative.
    @discardableResult
    static func check(_ result: Int32, _ operation: @autoclosure () -> String) throws(GitError) -> Int32 {
        guard result < 0 else { return result }
        let last = git_error_last()
        let message = last.flatMap { $0.pointee.message.map { String(cString: $0) } } ?? "unknown libgit2 error"
        throw GitError(
            code: result, errorClass: last.map { $0.pointee.klass } ?? 0, operation: operation(), message: message)
    }
}

/// libgit2's process-wide set-up, done once before the first use.
enum GitRuntime {
    private static let initialized: Bool = {
        git_libgit2_init()
        // The options below only tune speed and memory: if libgit2 refuses one, mig is still
        // correct, so their return codes are deliberately not turned into errors.
        // Objects are read from the local object database that Git itself wrote; verifying each
        // object's hash again doubles the cost of a history walk.
        mig_git_disable_strict_hash_verification()
        // A history walk reads each commit and root tree once; caching them only grows memory
        // (a 100,000-commit walk peaked at 280 MB with the cache, 190 MB without) and costs time.
        mig_git_set_cache_object_limit(GIT_OBJECT_COMMIT, 0)
        mig_git_set_cache_object_limit(GIT_OBJECT_TREE, 0)
        return true
    }()

    static func ensureInitialized() {
        _ = initialized
    }
}
