import Dispatch

/// Runs `first` and `second` at the same time, each on its own thread, and returns both results
/// once both have ended: for two waits on different programs (a shadow server's start, a schema
/// dump of the target) that need not queue behind each other. The caller vouches that neither
/// touches what the other uses.
func concurrently<First, Second>(_ first: () -> First, _ second: () -> Second) -> (First, Second) {
    withoutActuallyEscaping(first) { first in
        withoutActuallyEscaping(second) { second in
            nonisolated(unsafe) var results: (First?, Second?) = (nil, nil)
            nonisolated(unsafe) let (first, second) = (first, second)
            DispatchQueue.concurrentPerform(iterations: 2) { index in
                if index == 0 { results.0 = first() } else { results.1 = second() }
            }
            return (results.0!, results.1!)
        }
    }
}

/// Ends objects' lives on another thread, for teardowns nothing after them waits for (a shadow
/// server dropping its databases and stopping while the real run goes on), and waits for every one
/// of them when it goes itself, so that the process never ends before them.
final class BackgroundRelease {
    private let pending = DispatchGroup()

    /// Takes `object` and lets go of it on another thread, where its `deinit` runs when `object`
    /// was its last reference.
    func release<Object: AnyObject>(_ object: inout Object?) {
        // No named reference stays here, which could be the last to go, on this thread.
        guard object != nil else { return }
        let held = Held(object.take()!)
        pending.enter()
        DispatchQueue.global().async { [pending] in
            held.object = nil
            pending.leave()
        }
    }

    /// The one reference to an object on its way to another thread, which only that thread uses.
    private final class Held: @unchecked Sendable {
        var object: AnyObject?
        init(_ object: AnyObject) { self.object = object }
    }

    deinit { pending.wait() }
}
