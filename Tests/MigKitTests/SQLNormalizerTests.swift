import MigKit
import Testing

@Suite struct SQLNormalizerTests {
    @Test func collapsesLayoutCommentsAndKeywordCase() {
        let tidy = SQLNormalizer.normalize("CREATE VIEW v AS SELECT a, b FROM t WHERE a > 1;")
        let messy = SQLNormalizer.normalize(
            "create view v as\n  select a,   -- the key\n         b /* and b */\n  from t\n where a > 1")
        #expect(tidy == messy)
        #expect(tidy == "create view v as select a,b from t where a > 1")
    }

    @Test func keepsQuotedTextExactly() {
        #expect(SQLNormalizer.normalize("SELECT 'It''s  -- not a comment' AS \"Mixed Case\"")
            == "select 'It''s  -- not a comment' as \"Mixed Case\"")
        #expect(SQLNormalizer.normalize("SELECT 'A'") != SQLNormalizer.normalize("SELECT 'a'"))
    }
}
