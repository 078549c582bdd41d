import Dispatch

extension Array {
    /// `map`, run on every core when `parallel` (in a few chunks, so small work items do not
    /// drown in scheduling), results in order. The caller vouches that `transform` is safe to call
    /// from several threads at once (`MigrationSource.readsConcurrently`), which the compiler
    /// cannot see through a generic source.
    func mapInParallel<Result>(_ parallel: Bool, _ transform: (Element) -> Result) -> [Result] {
        let chunkCount = Swift.min(count, 16)
        guard parallel, chunkCount > 1 else { return map(transform) }
        return withoutActuallyEscaping(transform) { transform in
            // Each chunk writes its results straight into their places: no chunk arrays to copy from.
            [Result](unsafeUninitializedCapacity: count) { results, initialized in
                nonisolated(unsafe) let (elements, transform, results) = (self, transform, results)
                DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
                    let range = (elements.count * chunk / chunkCount)..<(elements.count * (chunk + 1) / chunkCount)
                    for index in range { (results.baseAddress! + index).initialize(to: transform(elements[index])) }
                }
                initialized = elements.count
            }
        }
    }
}
