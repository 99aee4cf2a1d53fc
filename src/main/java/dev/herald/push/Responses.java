package dev.herald.push;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** Answer handling shared by the senders. */
final class Responses {
    private static final int SNIPPET_CHARS = 200;

    private Responses() {
    }

    /** Retry-After as delta-seconds or an HTTP-date (RFC 9110 10.2.3); null when absent or unreadable. */
    static Duration retryAfter(HttpResponse<?> response, Instant now) {
        String value = response.headers().firstValue("retry-after").map(String::strip).orElse(null);
        if (value == null || value.isEmpty()) {
            return null;
        }
        if (value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            try {
                return Duration.ofSeconds(Long.parseLong(value));
            } catch (NumberFormatException e) {
                return null;
            }
        }
        try {
            Duration until = Duration.between(now, ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
            return until.isNegative() ? Duration.ZERO : until;
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    static PushOutcome.Retry retry(HttpResponse<?> response, Instant now, String reason) {
        return new PushOutcome.Retry(retryAfter(response, now), reason);
    }

    /** Timeouts are IOExceptions too. The message is kept: it names the failure, not the request. */
    static PushOutcome.Retry networkError(IOException e) {
        String message = e.getMessage();
        return new PushOutcome.Retry(null, "network error: " + e.getClass().getSimpleName()
                + (message == null || message.isBlank() ? "" : ": " + message));
    }

    static PushOutcome.Retry interrupted() {
        Thread.currentThread().interrupt();
        return new PushOutcome.Retry(null, "interrupted while sending");
    }

    /** The start of a plain-text error body, on one line, for the recorded reason. */
    static String snippet(byte[] body) {
        if (body == null || body.length == 0) {
            return "";
        }
        String text = new String(body, 0, Math.min(body.length, SNIPPET_CHARS * 4), StandardCharsets.UTF_8)
                .replaceAll("\\s+", " ").strip();
        return text.length() > SNIPPET_CHARS ? text.substring(0, SNIPPET_CHARS) + "…" : text;
    }
}
