package dev.herald.webhook;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * When a failed delivery is tried again: Svix's schedule (immediately, then after 5 s, 5 min, 30 min,
 * 2 h, 5 h, 10 h and 10 h: eight attempts over about 27 hours), each wait varied by up to ±10 % so
 * that deliveries failing together do not all come back together. A receiver's {@code Retry-After}
 * (seconds or an HTTP date) can only lengthen a wait, up to the schedule's longest gap.
 */
final class RetrySchedule {
    /** The wait before each attempt; the first goes out at once. */
    static final List<Duration> WAITS = List.of(Duration.ZERO, Duration.ofSeconds(5), Duration.ofMinutes(5),
            Duration.ofMinutes(30), Duration.ofHours(2), Duration.ofHours(5), Duration.ofHours(10), Duration.ofHours(10));
    static final int MAX_ATTEMPTS = WAITS.size();
    static final Duration MAX_RETRY_AFTER = Duration.ofHours(10);
    private static final double JITTER = 0.10;

    private RetrySchedule() {
    }

    /** The wait before the next attempt after {@code attemptsMade} failed ones, or null when that was the last. */
    static Duration next(int attemptsMade, String retryAfter, Instant now) {
        if (attemptsMade >= MAX_ATTEMPTS) {
            return null;
        }
        Duration base = WAITS.get(attemptsMade);
        double factor = 1 + ThreadLocalRandom.current().nextDouble(-JITTER, JITTER);
        Duration wait = Duration.ofMillis(Math.round(base.toMillis() * factor));
        Duration asked = retryAfter(retryAfter, now);
        return asked != null && asked.compareTo(wait) > 0 ? asked : wait;
    }

    /** A {@code Retry-After} value as a wait from now, capped; null when absent or unreadable. */
    static Duration retryAfter(String value, Instant now) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String v = value.trim();
        Duration asked;
        if (v.matches("\\d{1,12}")) {
            asked = Duration.ofSeconds(Long.parseLong(v));
        } else {
            try {
                asked = Duration.between(now, ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
            } catch (DateTimeParseException e) {
                return null;
            }
        }
        if (asked.isNegative()) {
            return Duration.ZERO;
        }
        return asked.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : asked;
    }
}
