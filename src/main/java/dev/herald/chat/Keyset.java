package dev.herald.chat;

import dev.herald.web.ApiException;
import dev.herald.web.Cursor;
import dev.herald.web.Page;
import dev.herald.web.PageInfo;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.Query;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;

/**
 * One cursor page of a list ordered by a sort key that is not insertion order (support threads by
 * creation or activity, DMs by activity, DM members by when they joined). Rows are ordered by
 * {@code (key, id)} and a cursor carries both as they were when the page was served, so a walk
 * resumes right after the last row it saw even while other rows' keys change (a thread getting a
 * new message moves, it does not shift the walk). {@code after} continues in the list's order;
 * {@code before} (with {@code last}) goes the other way, as for messages.
 */
final class Keyset {
    /** A listed row with the sort key it was listed under (the query's {@code sort_key} column). */
    record Keyed<T>(T row, long key) {
    }

    private record Position(long key, String id) {
    }

    private final String kind;
    private final boolean ascending;
    private final Position after;
    private final Position before;
    private final boolean backwards;
    private final int limit;

    private Keyset(String kind, boolean ascending, Position after, Position before, boolean backwards, int limit) {
        this.kind = kind;
        this.ascending = ascending;
        this.after = after;
        this.before = before;
        this.backwards = backwards;
        this.limit = limit;
    }

    /**
     * A page request. {@code kind} names the list and its order, so a cursor of another list or
     * order is refused instead of silently landing somewhere else.
     */
    static Keyset of(String kind, boolean ascending, Integer first, Integer last, String after, String before) {
        Position from = decode(kind, after, "after");
        Position to = decode(kind, before, "before");
        boolean backwards = to != null || (last != null && first == null && from == null);
        int limit = backwards ? (last != null ? last : first != null ? first : MessageService.DEFAULT_PAGE)
                : (first != null ? first : MessageService.DEFAULT_PAGE);
        return new Keyset(kind, ascending, from, to, backwards, limit);
    }

    /** The {@code direction} parameter: {@code asc}, or {@code desc} (the default). */
    static boolean ascending(String direction) {
        if (direction == null || direction.equals("desc")) {
            return false;
        }
        if (direction.equals("asc")) {
            return true;
        }
        throw ApiException.invalid("direction", "Parameter direction must be asc or desc.");
    }

    /** A timestamp as whole microseconds since the epoch: the sort key of time-ordered lists. */
    static String micros(String timestampSql) {
        return "(extract(epoch from " + timestampSql + ") * 1000000)::bigint";
    }

    static <T> RowMapper<Keyed<T>> keyed(RowMapper<T> mapper) {
        return (rs, ctx) -> new Keyed<>(mapper.map(rs, ctx), rs.getLong("sort_key"));
    }

    /** The end of the query: the cursor bounds on {@code (key, id)}, the order to fetch in and the limit. */
    String sql(String keySql, String idSql) {
        // In ascending order "after c" is (key, id) > c; in descending order it is (key, id) < c.
        Position lower = ascending ? after : before;
        Position upper = ascending ? before : after;
        String row = "(" + keySql + ", " + idSql + ")";
        String order = ascending != backwards ? "" : " desc";
        return (lower == null ? "" : " and " + row + " > (:lowerKey, :lowerId)")
                + (upper == null ? "" : " and " + row + " < (:upperKey, :upperId)")
                + " order by " + keySql + order + ", " + idSql + order + " limit :limit";
    }

    /** Binds what {@link #sql} refers to; one row more than a page is fetched to learn whether more follow. */
    Query bind(Query query) {
        Position lower = ascending ? after : before;
        Position upper = ascending ? before : after;
        if (lower != null) {
            query.bind("lowerKey", lower.key()).bind("lowerId", lower.id());
        }
        if (upper != null) {
            query.bind("upperKey", upper.key()).bind("upperId", upper.id());
        }
        return query.bind("limit", limit + 1);
    }

    /** The page of rows fetched with {@link #sql}, in the list's order, with cursors the SDK can follow. */
    <T, V> Page<V> page(List<Keyed<T>> fetched, Function<T, String> id, Function<T, V> view) {
        List<Keyed<T>> rows = new ArrayList<>(fetched);
        boolean more = rows.size() > limit;
        if (more) {
            rows = new ArrayList<>(rows.subList(0, limit));
        }
        if (backwards) {
            Collections.reverse(rows);
        }
        boolean hasNext = backwards ? before != null : more;
        boolean hasPrevious = backwards ? more : after != null;
        String start = rows.isEmpty() ? null : encode(rows.getFirst(), id);
        String end = hasNext && !rows.isEmpty() ? encode(rows.getLast(), id) : null;
        return new Page<>(rows.stream().map(r -> view.apply(r.row())).toList(),
                new PageInfo(start, end, end != null, hasPrevious));
    }

    // A cursor is the key as a Cursor of this list's kind, a dot, and the row's id (ids and base64url hold no dots).
    private <T> String encode(Keyed<T> row, Function<T, String> id) {
        return Cursor.encode(kind, row.key()) + "." + id.apply(row.row());
    }

    private static Position decode(String kind, String cursor, String param) {
        if (cursor == null || cursor.isEmpty()) {
            return null;
        }
        int dot = cursor.lastIndexOf('.');
        if (dot <= 0 || dot == cursor.length() - 1) {
            throw ApiException.invalid(param, "Parameter " + param + " is not a valid cursor.");
        }
        return new Position(Cursor.decode(kind, cursor.substring(0, dot), param), cursor.substring(dot + 1));
    }
}
