import Testing

@testable import MigKit

@Suite struct ParallelMapTests {
    @Test(arguments: [0, 1, 2, 15, 16, 17, 1000])
    func keepsTheOrderOfMapForEverySize(count: Int) {
        let items = Array(0..<count)
        #expect(items.mapInParallel(true) { $0 * 3 } == items.map { $0 * 3 })
        #expect(items.mapInParallel(false) { $0 * 3 } == items.map { $0 * 3 })
    }
}
