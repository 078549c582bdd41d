import Testing

@testable import MigKit

/// The byte scan the lint uses to pass over scripts a rule cannot concern.
@Suite struct CaseInsensitiveSearchTests {
    @Test func aWordIsFoundAfterAPartialMatchThatOverlapsIt() {
        #expect("xAAAB".utf8.containsCaseInsensitive("aab"))
        #expect("NOT VVALID".utf8.containsCaseInsensitive("valid"))
        #expect("abab-abac".utf8.containsCaseInsensitive("ABAC"))
        #expect(!"aaba ab".utf8.containsCaseInsensitive("abb"))
        #expect(!"vali".utf8.containsCaseInsensitive("valid"))
    }
}
