/// A script's UTF-8 bytes with the questions the readers ask of them: the line of a byte, the first
/// token of a range, the word at an offset. Line numbers are found by binary search, so reading a
/// large file stays linear.
struct SQLText {
    /// The script's bytes followed by a NUL, so libpg_query can read any suffix in place.
    let terminated: [UInt8]
    /// The script's bytes (a view of `terminated` without its NUL).
    let bytes: ArraySlice<UInt8>
    /// Offsets of every `\n`.
    private let newlines: [Int]

    init(_ sql: String) {
        var terminated = Array(sql.utf8)
        terminated.append(0)
        self.terminated = terminated
        bytes = terminated[..<(terminated.count - 1)]
        newlines = terminated.withUnsafeBufferPointer { buffer in
            var found: [Int] = []
            for index in buffer.indices where buffer[index] == 0x0A { found.append(index) }
            return found
        }
    }

    func byte(at offset: Int) -> UInt8? { offset >= 0 && offset < bytes.count ? bytes[offset] : nil }

    /// The 1-based line holding the byte at `offset`.
    func line(at offset: Int) -> Int {
        var low = 0
        var high = newlines.count
        while low < high {
            let middle = (low + high) / 2
            if newlines[middle] < offset { low = middle + 1 } else { high = middle }
        }
        return low + 1
    }

    /// The byte offset of the 1-based character `position` counted from `start` (PostgreSQL reports
    /// positions in characters); `start` itself for position 0 (none given).
    func byteOffset(ofCharacter position: Int, from start: Int) -> Int {
        var offset = start
        var characters = 1
        while offset < bytes.count, characters < position {
            offset += 1
            // Continuation bytes (10xxxxxx) do not start a character.
            while offset < bytes.count, bytes[offset] & 0xC0 == 0x80 { offset += 1 }
            characters += 1
        }
        return offset
    }

    /// The identifier-like word starting at `offset` (letters, digits, `_`), possibly empty.
    func word(at offset: Int) -> String {
        var end = offset
        while end < bytes.count, Self.isWordByte(bytes[end]) { end += 1 }
        return String(decoding: bytes[min(offset, end)..<end], as: UTF8.self)
    }

    static func isWordByte(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "_") || byte >= 0x80 || (byte >= 0x30 && byte <= 0x39)
            || ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A)
    }

    /// The offset of the first byte in `range` that is neither white space nor inside a comment
    /// (`--` to the end of the line, `/* … */`, nested when `nestedComments`); `range.upperBound` if none.
    func firstToken(in range: Range<Int>, nestedComments: Bool = true) -> Int {
        var index = range.lowerBound
        let end = range.upperBound
        while index < end {
            let byte = bytes[index]
            if byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D || byte == 0x0C || byte == 0x0B {
                index += 1
            } else if byte == UInt8(ascii: "-"), index + 1 < end, bytes[index + 1] == UInt8(ascii: "-") {
                while index < end, bytes[index] != 0x0A { index += 1 }
            } else if byte == UInt8(ascii: "/"), index + 1 < end, bytes[index + 1] == UInt8(ascii: "*") {
                var depth = 0
                while index < end {
                    if bytes[index] == UInt8(ascii: "/"), index + 1 < end, bytes[index + 1] == UInt8(ascii: "*"),
                        depth == 0 || nestedComments
                    {
                        depth += 1
                        index += 2
                    } else if bytes[index] == UInt8(ascii: "*"), index + 1 < end, bytes[index + 1] == UInt8(ascii: "/")
                    {
                        depth -= 1
                        index += 2
                        if depth == 0 { break }
                    } else {
                        index += 1
                    }
                }
            } else {
                return index
            }
        }
        return end
    }

    /// The bytes of `range` without trailing white space.
    func trimmed(_ range: Range<Int>) -> ArraySlice<UInt8> {
        var end = range.upperBound
        while end > range.lowerBound, Self.isSpace(bytes[end - 1]) { end -= 1 }
        return bytes[range.lowerBound..<end]
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D || byte == 0x0C || byte == 0x0B
    }
}
