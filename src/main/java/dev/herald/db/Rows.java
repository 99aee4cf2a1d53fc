package dev.herald.db;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** Small helpers for reading columns into wire values. */
public final class Rows {
    /** Always three fractional digits, so timestamps also sort correctly as strings (Instant.toString drops ".000"). */
    private static final DateTimeFormatter ISO_MILLIS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private Rows() {
    }

    /** An ISO-8601 UTC timestamp with millisecond precision, or null. */
    public static String time(ResultSet rs, String column) throws SQLException {
        Timestamp ts = rs.getTimestamp(column);
        return ts == null ? null : iso(ts.toInstant());
    }

    public static String iso(Instant instant) {
        return ISO_MILLIS.format(instant);
    }
}
