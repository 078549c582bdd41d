#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Finds ASCII markers (`${`, `__`, `.up.`, `=======`) by comparing bytes. This runs over every
/// line of every file in every catalog a command loads; Foundation's `range(of:)` converts each
/// string to UTF-16 first, and that conversion was most of a catalog load's time.
extension StringProtocol {
    /// The first (or, `backwards`, the last) occurrence of `marker`, compared byte for byte.
    func byteRange(of marker: String, backwards: Bool = false) -> Range<Index>? {
        // The marker's own bytes, not a copy: names are searched thousands of times per catalog.
        var marker = marker
        return marker.withUTF8 { needle in
            let offset =
                utf8.withContiguousStorageIfAvailable { ByteSearch.offset(of: needle, in: $0, backwards: backwards) }
                ?? Array(utf8).withUnsafeBufferPointer { ByteSearch.offset(of: needle, in: $0, backwards: backwards) }
            guard let offset else { return nil }
            let lower = utf8.index(utf8.startIndex, offsetBy: offset)
            return lower..<utf8.index(lower, offsetBy: needle.count)
        }
    }

    /// Whether `marker` occurs in the text, compared byte for byte.
    func containsBytes(_ marker: String) -> Bool { byteRange(of: marker) != nil }

    /// Whether the text holds `byte`: `memchr` over its bytes (`utf8.contains` steps through
    /// them one index at a time).
    func containsByte(_ byte: UInt8) -> Bool {
        utf8.withContiguousStorageIfAvailable { bytes in
            !bytes.isEmpty && memchr(bytes.baseAddress!, Int32(byte), bytes.count) != nil
        } ?? utf8.contains(byte)
    }
}

private enum ByteSearch {
    static func offset(
        of needle: UnsafeBufferPointer<UInt8>, in haystack: UnsafeBufferPointer<UInt8>, backwards: Bool
    ) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, let base = haystack.baseAddress else { return nil }
        func matches(at start: Int) -> Bool { memcmp(base + start, needle.baseAddress!, needle.count) == 0 }
        let last = haystack.count - needle.count
        if backwards {
            var start = last
            while start >= 0 {
                if haystack[start] == needle[0], matches(at: start) { return start }
                start -= 1
            }
            return nil
        }
        // memchr finds each candidate first byte at memory speed; most texts hold few of them.
        var start = 0
        while start <= last, let hit = memchr(base + start, Int32(needle[0]), last - start + 1) {
            let offset = UnsafePointer(hit.assumingMemoryBound(to: UInt8.self)) - base
            if matches(at: offset) { return offset }
            start = offset + 1
        }
        return nil
    }
}

extension Array {
    /// The elements in the order `sorted { path($0) < path($1) }` gives (stable). An ASCII
    /// path's first eight bytes, read as one big-endian number, order it as `String` does
    /// against another's; only paths that share them (or are not ASCII) are compared as
    /// strings. Sorting thousands of file names by string was a catalog's longest step on one core.
    func sorted(byPath path: (Element) -> String) -> [Element] {
        let paths = map(path)
        let prefixes = paths.map(Self.asciiPrefix)
        let order = paths.indices.sorted { first, second in
            if let a = prefixes[first], let b = prefixes[second], a != b { return a < b }
            return paths[first] < paths[second]
        }
        return order.map { self[$0] }
    }

    /// The first eight bytes of an ASCII path as a big-endian number (zeros after a shorter
    /// one: a path holds no NUL), or nil when the path is not all ASCII.
    private static func asciiPrefix(_ path: String) -> UInt64? {
        var prefix: UInt64 = 0
        var count = 0
        for byte in path.utf8 {
            guard byte < 0x80 else { return nil }
            if count < 8 { prefix |= UInt64(byte) << (56 - 8 * count) }
            count += 1
        }
        return prefix
    }
}
