/// A value of libpg_query's JSON parse tree, read by a small parser of its own.
///
/// `JSONDecoder` with `Decodable` node types took a quarter of `mig lint`'s time; the rules read a
/// handful of fields, so the tree is read once into this plain value and navigated by key. Every
/// node of the tree is an object with one key, its type (`{"IndexStmt": {…}}`): see `node`.
enum PgJSON: Sendable {
    case object([Member])
    case array([PgJSON])
    case string(String)
    case bool(Bool)
    /// A number or `null`: no reader of the tree needs their values.
    case other

    struct Member: Sendable {
        let key: String
        let value: PgJSON
    }

    /// The value of `key` when this is an object that has it.
    subscript(key: String) -> PgJSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    var string: String? { if case .string(let value) = self { value } else { nil } }
    var bool: Bool? { if case .bool(let value) = self { value } else { nil } }
    var array: [PgJSON]? { if case .array(let values) = self { values } else { nil } }
    var members: [Member] { if case .object(let members) = self { members } else { [] } }

    /// A parse-tree node (`{"NodeName": {fields}}`): its type and its fields.
    var node: (name: String, fields: PgJSON)? {
        guard case .object(let members) = self, let first = members.first else { return nil }
        return (first.key, first.value)
    }

    /// The text of a `String` node (`{"String": {"sval": "…"}}`).
    var stringNode: String? { self["String"]?["sval"]?.string }

    /// The `stmt` node of each statement of a parse tree (`{"stmts":[{"stmt":{NodeName:{…}}}]}`).
    var statements: [PgJSON] { (self["stmts"]?.array ?? []).map { $0["stmt"] ?? .other } }

    /// Text that is not the JSON libpg_query writes, at a byte offset.
    struct Malformed: Error, CustomStringConvertible {
        let offset: Int
        var description: String { "libpg_query's parse tree is not valid JSON (byte \(offset))" }
    }

    /// Reads the JSON text `bytes`.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(Malformed) -> PgJSON {
        var parser = Parser(bytes: bytes)
        let value = try parser.value()
        parser.skipSpace()
        guard parser.index == bytes.count else { throw Malformed(offset: parser.index) }
        return value
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        mutating func skipSpace() {
            while index < bytes.count {
                let byte = bytes[index]
                guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return }
                index += 1
            }
        }

        private mutating func expect(_ byte: UInt8) throws(Malformed) {
            skipSpace()
            guard index < bytes.count, bytes[index] == byte else { throw Malformed(offset: index) }
            index += 1
        }

        /// Whether the next byte (after white space) is `byte`, consumed if so.
        private mutating func consume(_ byte: UInt8) -> Bool {
            skipSpace()
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        mutating func value() throws(Malformed) -> PgJSON {
            skipSpace()
            guard index < bytes.count else { throw Malformed(offset: index) }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                index += 1
                var members: [Member] = []
                if consume(UInt8(ascii: "}")) { return .object(members) }
                repeat {
                    // A node's wrapper has one member, its fields several: room for them at once.
                    if members.count == 1 { members.reserveCapacity(8) }
                    skipSpace()
                    let key = try string()
                    try expect(UInt8(ascii: ":"))
                    members.append(Member(key: key, value: try value()))
                } while consume(UInt8(ascii: ","))
                try expect(UInt8(ascii: "}"))
                return .object(members)
            case UInt8(ascii: "["):
                index += 1
                var values: [PgJSON] = []
                if consume(UInt8(ascii: "]")) { return .array(values) }
                repeat { values.append(try value()) } while consume(UInt8(ascii: ","))
                try expect(UInt8(ascii: "]"))
                return .array(values)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): return try literal("true", .bool(true))
            case UInt8(ascii: "f"): return try literal("false", .bool(false))
            case UInt8(ascii: "n"): return try literal("null", .other)
            default:
                let start = index
                while index < bytes.count, Self.isNumberByte(bytes[index]) { index += 1 }
                guard index > start else { throw Malformed(offset: index) }
                return .other
            }
        }

        private static func isNumberByte(_ byte: UInt8) -> Bool {
            (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".") || byte | 0x20 == UInt8(ascii: "e")
        }

        private mutating func literal(_ word: StaticString, _ value: PgJSON) throws(Malformed) -> PgJSON {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count,
                UnsafeBufferPointer(start: word.utf8Start, count: count).elementsEqual(bytes[index..<index + count])
            else { throw Malformed(offset: index) }
            index += count
            return value
        }

        /// A string at `index` (its opening quote), escapes decoded.
        private mutating func string() throws(Malformed) -> String {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw Malformed(offset: index) }
            index += 1
            let start = index
            while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\") {
                index += 1
            }
            guard index < bytes.count else { throw Malformed(offset: index) }
            if bytes[index] == UInt8(ascii: "\"") {
                index += 1
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index - 1]), as: UTF8.self)
            }
            var decoded = Array(bytes[start..<index])
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                if byte == UInt8(ascii: "\"") { return String(decoding: decoded, as: UTF8.self) }
                guard byte == UInt8(ascii: "\\") else {
                    decoded.append(byte)
                    continue
                }
                guard index < bytes.count else { break }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "b"): decoded.append(0x08)
                case UInt8(ascii: "f"): decoded.append(0x0C)
                case UInt8(ascii: "n"): decoded.append(0x0A)
                case UInt8(ascii: "r"): decoded.append(0x0D)
                case UInt8(ascii: "t"): decoded.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar), index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                        bytes[index + 1] == UInt8(ascii: "u")
                    {
                        index += 2
                        let low = try hex4()
                        scalar =
                            (0xDC00..<0xE000).contains(low)
                            ? 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00) : 0xFFFD
                    }
                    decoded.append(contentsOf: String(Unicode.Scalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8)
                default: decoded.append(escape)
                }
            }
            throw Malformed(offset: index)
        }

        private mutating func hex4() throws(Malformed) -> UInt32 {
            guard index + 4 <= bytes.count else { throw Malformed(offset: index) }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt32
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
                default: throw Malformed(offset: index)
                }
                value = value << 4 | digit
                index += 1
            }
            return value
        }
    }
}
