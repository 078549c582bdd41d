import Foundation

/// The JSON text of a report, byte for byte what `JSONEncoder` writes with `.prettyPrinted`,
/// `.sortedKeys`, `.withoutEscapingSlashes` and ISO 8601 dates, at a fraction of its cost:
/// `JSONEncoder` was an eighth of `mig lint --format json` on a thousand files. Values are
/// collected into a tree by a small `Encoder`, then written in one pass.
enum ReportJSON {
    static func text(_ value: some Encodable) throws -> String {
        String(decoding: try bytes(value), as: UTF8.self)
    }

    /// The text's UTF-8 bytes, for writing out as they are (a long report is not decoded into a
    /// `String` only to be encoded again).
    static func bytes(_ value: some Encodable) throws -> [UInt8] {
        let root = Slot()
        try root.store(value)
        var output: [UInt8] = []
        output.reserveCapacity(1 << 16)
        root.write(into: &output, indent: 0)
        return output
    }
}

/// One JSON scalar, as `JSONEncoder` would write it.
private enum JSONScalar {
    case null
    /// A number or `true`/`false`: written as is.
    case literal(String)
    case string(String)

    func write(into output: inout [UInt8]) {
        switch self {
        case .null: output += "null".utf8
        case .literal(let text): output += text.utf8
        case .string(let text): Self.writeString(text, into: &output)
        }
    }

    static func pad(_ output: inout [UInt8], _ indent: Int) {
        output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * 2))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func writeString(_ text: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        // Most strings need no escape: copied whole, from the string's own bytes.
        var text = text
        let copied = text.withUTF8 { bytes in
            guard !bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
                return false
            }
            output.append(contentsOf: bytes)
            return true
        }
        guard !copied else {
            output.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output += "\\\"".utf8
            case UInt8(ascii: "\\"): output += "\\\\".utf8
            case 0x0A: output += "\\n".utf8
            case 0x0D: output += "\\r".utf8
            case 0x09: output += "\\t".utf8
            case 0x08: output += "\\b".utf8
            case 0x0C: output += "\\f".utf8
            case 0..<0x20:
                output += "\\u00".utf8
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0F)])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}

/// Where one value goes while it is encoded: containers fill it in place, so nested containers
/// asked for by the same `encode(to:)` add to one object or array.
private final class Slot {
    private enum Kind { case empty, value, object, array }

    private var kind = Kind.empty
    private var value = JSONScalar.null
    private var members: [(key: String, value: Slot)] = []
    private var elements: [Slot] = []

    func set(_ scalar: JSONScalar) {
        kind = .value
        value = scalar
    }

    func write(into output: inout [UInt8], indent: Int) {
        switch kind {
        case .value: value.write(into: &output)
        case .array:
            output += "[\n".utf8
            // A long array (a report's findings) is written on every core, each element into its own
            // bytes, joined in order.
            let written = elements.mapInParallel(elements.count >= Self.parallelCount) { element in
                var bytes: [UInt8] = []
                JSONScalar.pad(&bytes, indent + 1)
                element.write(into: &bytes, indent: indent + 1)
                // A tree is written once: each element's parts are freed by the core that wrote
                // them, not all at the end by one.
                element.dropParts()
                return bytes
            }
            for (index, bytes) in written.enumerated() {
                if index > 0 { output += ",\n".utf8 }
                output += bytes
            }
            output.append(UInt8(ascii: "\n"))
            JSONScalar.pad(&output, indent)
            output.append(UInt8(ascii: "]"))
        case .object, .empty:
            output += "{\n".utf8
            let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            for (index, member) in sorted.enumerated() {
                if index > 0 { output += ",\n".utf8 }
                JSONScalar.pad(&output, indent + 1)
                JSONScalar.writeString(member.key, into: &output)
                output += " : ".utf8
                member.value.write(into: &output, indent: indent + 1)
            }
            output.append(UInt8(ascii: "\n"))
            JSONScalar.pad(&output, indent)
            output.append(UInt8(ascii: "}"))
        }
    }

    /// Scalars as `JSONEncoder` writes them (dates and URLs as strings); every other value
    /// encodes itself into this slot. Containers send every value here, so this is the one place
    /// that knows each scalar type.
    func store<Value: Encodable>(_ value: Value) throws {
        if let scalar = try Self.scalar(value) {
            set(scalar)
        } else if Value.self == [Finding].self {
            try storeInParallel(value as! [Finding])
        } else {
            try value.encode(to: SlotEncoder(slot: self))
        }
    }

    /// Arrays this long are stored and written on every core.
    static let parallelCount = 64

    /// Findings, the one long array of every report, as `Array.encode(to:)` stores them (an
    /// element each, in order), each on its own slot so that every core can fill some.
    private func storeInParallel(_ findings: [Finding]) throws {
        makeArray()
        let slots = findings.map { _ in element() }
        let pairs: [(slot: Slot, finding: Finding)] = Array(zip(slots, findings))
        let failures = pairs.mapInParallel(findings.count >= Self.parallelCount) { pair -> (any Error)? in
            do {
                try pair.slot.store(pair.finding)
                return nil
            } catch {
                return error
            }
        }
        if let failure = failures.lazy.compactMap({ $0 }).first { throw failure }
    }

    /// Lets go of the members and elements, once written.
    func dropParts() {
        members = []
        elements = []
    }

    func makeObject() { if kind != .object { kind = .object } }
    func makeArray() { if kind != .array { kind = .array } }

    /// A new member of this object.
    func member(_ key: String) -> Slot {
        makeObject()
        let slot = Slot()
        members.append((key, slot))
        return slot
    }

    /// A new element of this array.
    func element() -> Slot {
        makeArray()
        let slot = Slot()
        elements.append(slot)
        return slot
    }

    var count: Int { elements.count }

    /// The scalar `value` is, if it is one. Types are compared, not cast: a cast per value was
    /// most of the encoding time.
    private static func scalar<Value>(_ value: Value) throws -> JSONScalar? {
        func integer<Integer: BinaryInteger>(_ type: Integer.Type) -> JSONScalar? {
            Value.self == type ? .literal((value as! Integer).description) : nil
        }
        if Value.self == String.self { return .string(value as! String) }
        if Value.self == Bool.self { return .literal((value as! Bool) ? "true" : "false") }
        if let number = integer(Int.self) ?? integer(Int64.self) ?? integer(UInt64.self) ?? integer(Int32.self)
            ?? integer(Int16.self) ?? integer(Int8.self) ?? integer(UInt.self) ?? integer(UInt32.self)
            ?? integer(UInt16.self) ?? integer(UInt8.self)
        {
            return number
        }
        if Value.self == Double.self { return try number(value as! Double) }
        if Value.self == Float.self { return try number(value as! Float) }
        if Value.self == Date.self { return .string(iso8601(value as! Date)) }
        if Value.self == URL.self { return .string((value as! URL).absoluteString) }
        return nil
    }

    /// `JSONEncoder` writes whole numbers without a fraction (`2`, not `2.0`).
    private static func number(_ value: some BinaryFloatingPoint & LosslessStringConvertible) throws -> JSONScalar {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "not a JSON number"))
        }
        let text = value.description
        return .literal(text.hasSuffix(".0") ? String(text.dropLast(2)) : text)
    }

    /// `JSONEncoder`'s `.iso8601`: whole seconds, UTC.
    private static func iso8601(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }
}

private struct SlotEncoder: Encoder {
    let slot: Slot
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        slot.makeObject()
        return KeyedEncodingContainer(KeyedSlotContainer<Key>(slot: slot, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        slot.makeArray()
        return UnkeyedSlotContainer(slot: slot, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleSlotContainer(slot: slot, codingPath: codingPath)
    }
}

private struct KeyedSlotContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let slot: Slot
    let codingPath: [any CodingKey]

    private func member(_ key: Key) -> Slot { slot.member(key.stringValue) }

    mutating func encodeNil(forKey key: Key) throws { member(key).set(.null) }
    mutating func encode(_ value: some Encodable, forKey key: Key) throws { try member(key).store(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let nested = member(key)
        nested.makeObject()
        return KeyedEncodingContainer(KeyedSlotContainer<NestedKey>(slot: nested, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested = member(key)
        nested.makeArray()
        return UnkeyedSlotContainer(slot: nested, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder { SlotEncoder(slot: slot.member("super")) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { SlotEncoder(slot: member(key)) }
}

private struct UnkeyedSlotContainer: UnkeyedEncodingContainer {
    let slot: Slot
    let codingPath: [any CodingKey]
    var count: Int { slot.count }

    private func next() -> Slot { slot.element() }

    mutating func encodeNil() throws { next().set(.null) }
    mutating func encode(_ value: some Encodable) throws { try next().store(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let nested = next()
        nested.makeObject()
        return KeyedEncodingContainer(KeyedSlotContainer<NestedKey>(slot: nested, codingPath: codingPath))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let nested = next()
        nested.makeArray()
        return UnkeyedSlotContainer(slot: nested, codingPath: codingPath)
    }

    mutating func superEncoder() -> any Encoder { SlotEncoder(slot: next()) }
}

private struct SingleSlotContainer: SingleValueEncodingContainer {
    let slot: Slot
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { slot.set(.null) }
    mutating func encode(_ value: some Encodable) throws { try slot.store(value) }
}
