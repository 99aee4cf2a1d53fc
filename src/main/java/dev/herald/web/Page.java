package dev.herald.web;

import java.util.List;

/** A cursor page in the SDK's {@code CursorPage} shape: {@code {data, page_info}}. */
public record Page<T>(List<T> data, PageInfo pageInfo) {
}
