package dev.herald;

import dev.herald.db.Rows;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RowsTest {
    @Test
    void timestampsKeepThreeFractionalDigitsSoTheySortAsStrings() {
        String whole = Rows.iso(Instant.parse("2026-11-23T17:58:01Z"));
        String later = Rows.iso(Instant.parse("2026-11-23T17:58:01.012Z"));
        assertEquals("2026-11-23T17:58:01.000Z", whole);
        assertEquals("2026-11-23T17:58:01.012Z", later);
        assertTrue(whole.compareTo(later) < 0);
        assertEquals("2026-11-23T17:58:01.999Z", Rows.iso(Instant.parse("2026-11-23T17:58:01.999999Z")));
    }
}
