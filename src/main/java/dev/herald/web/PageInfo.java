package dev.herald.web;

/** The SDK's cursor page info: the SDK follows {@code end_cursor} until it is null. */
public record PageInfo(String startCursor, String endCursor, boolean hasNextPage, boolean hasPreviousPage) {
}
