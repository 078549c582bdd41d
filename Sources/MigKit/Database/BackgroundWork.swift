import Dispatch

/// Runs `first` on a thread of its own while `second` runs on this one, and returns both results
/// once both have ended: for two waits on different programs (a shadow server's start, a schema
/// dump of the target) that need not queue behind each other, on any number of cores. The caller
/// vouches that neither touches what the other uses.
func concurrently<First, Second>(_ first: () -> First, _ second: () -> Second) -> (First, Second) {
    withoutActuallyEscaping(first) { first in
        let work = Work(first)
        let done = DispatchGroup()
        done.enter()
        DispatchQueue.global().async {
            work.run()
            done.leave()
        }
        let secondResult = second()
        done.wait()
        return (work.result!, secondResult)
    }
}

/// `first`'s side of `concurrently`: the other thread holds this, not the closure, which it lets go
/// of as soon as it has run, before `concurrently` returns (a closure that is not escaping must not
/// outlive the call, and a dispatched block lives on a little after it ends).
private final class Work<Result>: @unchecked Sendable {
    private var body: (() -> Result)?
    private(set) var result: Result?

    init(_ body: @escaping () -> Result) { self.body = body }

    func run() {
        result = body?()
        body = nil
    }
}

/// Ends objects' lives on another thread, for teardowns nothing after them waits for (a shadow
/// server dropping its databases and stopping while the real run goes on), and waits for every one
/// of them when it goes itself, so that the process never ends before them.
final class BackgroundRelease {
    private let pending = DispatchGroup()
    /// Every teardown of the process still under way, whichever instance began it.
    private static let everywhere = DispatchGroup()

    /// Takes `object` and lets go of it on another thread, where its `deinit` runs when `object`
    /// was its last reference.
    func release<Object: AnyObject>(_ object: inout Object?) {
        // No named reference stays here, which could be the last to go, on this thread.
        guard object != nil else { return }
        let held = Held(object.take()!)
        pending.enter()
        Self.everywhere.enter()
        DispatchQueue.global().async { [pending] in
            held.object = nil
            pending.leave()
            Self.everywhere.leave()
        }
    }

    /// Waits until every teardown this process began has ended: before taking something one of
    /// them still holds (the kept shadow cluster's lock). Never call it from a teardown.
    static func waitForAll() { everywhere.wait() }

    /// The one reference to an object on its way to another thread, which only that thread uses.
    private final class Held: @unchecked Sendable {
        var object: AnyObject?
        init(_ object: AnyObject) { self.object = object }
    }

    deinit { pending.wait() }
}
