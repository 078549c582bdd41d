import MigKit

extension Console {
    /// The measured locks in text, shared by `mig lint --measure` and `mig check --shadow`: the
    /// rows generated first, then each statement that locked, rewrote or emptied a table existing
    /// before the branch, or failed in the shadow; or why nothing was measured.
    static func printMeasurements(_ statements: [MeasuredStatement]?, generatedRows: [GeneratedRows]?, skipped: String?)
    {
        if let skipped { print("note: measurement skipped: \(skipped)") }
        guard let statements else { return }
        let filled = (generatedRows ?? []).filter { $0.skipped == nil }
        let empty = (generatedRows ?? []).filter { $0.skipped != nil }
        var rows =
            filled.isEmpty && empty.isEmpty
            ? "measured in a shadow; no table existed before the branch's migrations"
            : filled.isEmpty
                ? "measured in a shadow; no existing table could be filled with generated rows"
                : "measured in a shadow with \(filled[0].rows) generated rows in each of \(filled.count) existing table(s)"
        if !empty.isEmpty {
            rows += "; left empty: " + empty.map { "\($0.table) (\($0.skipped ?? ""))" }.joined(separator: ", ")
        }
        print(rows)
        for statement in statements where statement.affectsExistingTable {
            print("\(statement.location): measured: \(statement.summary)")
        }
    }
}
