package dev.herald.db;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.temporal.ChronoUnit;

/** Small helpers for reading columns into wire values. */
public final class Rows {
    private Rows() {
    }

    /** An ISO-8601 UTC timestamp with millisecond precision, or null. */
    public static String time(ResultSet rs, String column) throws SQLException {
        Timestamp ts = rs.getTimestamp(column);
        return ts == null ? null : ts.toInstant().truncatedTo(ChronoUnit.MILLIS).toString();
    }
}
