/// Finds whether a script sets SQLite's `foreign_keys` pragma (`PRAGMA foreign_keys = OFF`,
/// `PRAGMA main.foreign_keys(0)`, any case and spacing).
///
/// Why it matters: inside a transaction that pragma does nothing, so a file written as SQLite's
/// table-rebuild recipe (foreign keys off, rebuild, foreign keys on) would run with the
/// connection's setting instead — and `DROP TABLE` of a parent then fires `ON DELETE CASCADE`.
/// `SQLiteDriver` runs such a file as SQLite documents it: foreign keys off around the
/// transaction and `PRAGMA foreign_key_check` before the commit. A match inside a comment or a
/// string only adds that check, which a correct script passes.
enum ForeignKeyPragma {
    static func isSet(in sql: String) -> Bool {
        var sql = sql
        return sql.withUTF8 { bytes in
            var index = 0
            while let start = find("pragma", in: bytes, from: index) {
                index = start + 6
                var cursor = skipSpace(bytes, from: index)
                // An optional schema name: `main.`, `"main".`, `temp.`.
                let afterName = skipIdentifier(bytes, from: cursor)
                let afterDot = skipSpace(bytes, from: afterName)
                if afterName > cursor, afterDot < bytes.count, bytes[afterDot] == UInt8(ascii: ".") {
                    cursor = skipSpace(bytes, from: afterDot + 1)
                }
                let quoted = cursor < bytes.count && bytes[cursor] == UInt8(ascii: "\"")
                let nameStart = quoted ? cursor + 1 : cursor
                guard matches("foreign_keys", in: bytes, at: nameStart) else { continue }
                var after = nameStart + 12
                if quoted {
                    guard after < bytes.count, bytes[after] == UInt8(ascii: "\"") else { continue }
                    after += 1
                } else if after < bytes.count, isIdentifierByte(bytes[after]) {
                    continue
                }
                after = skipSpace(bytes, from: after)
                if after < bytes.count, bytes[after] == UInt8(ascii: "=") || bytes[after] == UInt8(ascii: "(") {
                    return true
                }
            }
            return false
        }
    }

    /// The offset of the next `word` (ASCII, lower case) at or after `offset`, matched without
    /// regard to case and standing alone (no identifier byte right before or after it).
    private static func find(_ word: StaticString, in bytes: UnsafeBufferPointer<UInt8>, from offset: Int) -> Int? {
        let first = word.utf8Start.pointee
        var index = offset
        while index < bytes.count {
            if bytes[index] | 0x20 == first, matches(word, in: bytes, at: index),
                index == 0 || !isIdentifierByte(bytes[index - 1]),
                index + word.utf8CodeUnitCount >= bytes.count
                    || !isIdentifierByte(bytes[index + word.utf8CodeUnitCount])
            {
                return index
            }
            index += 1
        }
        return nil
    }

    private static func matches(_ word: StaticString, in bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> Bool {
        let count = word.utf8CodeUnitCount
        guard offset + count <= bytes.count else { return false }
        for position in 0..<count where bytes[offset + position] | 0x20 != word.utf8Start[position] | 0x20 {
            return false
        }
        return true
    }

    private static func isIdentifierByte(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "_") || byte == UInt8(ascii: "$") || byte >= 0x80
            || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    private static func skipSpace(_ bytes: UnsafeBufferPointer<UInt8>, from offset: Int) -> Int {
        var index = offset
        while index < bytes.count, bytes[index] == 0x20 || (bytes[index] >= 0x09 && bytes[index] <= 0x0D) {
            index += 1
        }
        return index
    }

    private static func skipIdentifier(_ bytes: UnsafeBufferPointer<UInt8>, from offset: Int) -> Int {
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") {
            var index = offset + 1
            while index < bytes.count, bytes[index] != UInt8(ascii: "\"") { index += 1 }
            return min(index + 1, bytes.count)
        }
        var index = offset
        while index < bytes.count, isIdentifierByte(bytes[index]) { index += 1 }
        return index
    }
}
