package dev.herald.web;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An error a client caused or may see, rendered as {@code {"error": {type, code, message, param}}}
 * in the seed OpenAPI's shape. Anything else that escapes a handler is a 500 with no details.
 */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String type;
    private final String code;
    private final String param;
    private final Integer retryAfterSeconds;

    private ApiException(int status, String type, String code, String message, String param, Integer retryAfterSeconds) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public static ApiException missing(String param) {
        return new ApiException(400, "invalid_request_error", "parameter_missing",
                "Missing required parameter: " + param + ".", param, null);
    }

    public static ApiException invalid(String param, String message) {
        return new ApiException(400, "invalid_request_error", "parameter_invalid", message, param, null);
    }

    /** A request that is well-formed but breaks a rule (a moderation rule, say), named by its own code. */
    public static ApiException rejected(String code, String param, String message) {
        return new ApiException(400, "invalid_request_error", code, message, param, null);
    }

    public static ApiException tooManyRequests(String message, long retryAfterSeconds) {
        return new ApiException(429, "rate_limit_error", "rate_limited", message, null, (int) retryAfterSeconds);
    }

    public static ApiException invalidJson(String message) {
        return new ApiException(400, "invalid_request_error", "invalid_json", message, null, null);
    }

    public static ApiException unauthorized(String message) {
        return new ApiException(401, "unauthorized", "unauthorized", message, null, null);
    }

    public static ApiException forbidden(String message) {
        return new ApiException(403, "forbidden", "forbidden", message, null, null);
    }

    public static ApiException notFound(String message, String param) {
        return new ApiException(404, "not_found", "resource_not_found", message, param, null);
    }

    public static ApiException conflict(String code, String message) {
        return new ApiException(409, "conflict", code, message, null, null);
    }

    public static ApiException unprocessable(String code, String message) {
        return new ApiException(422, "unprocessable_entity", code, message, null, null);
    }

    public static ApiException payloadTooLarge(String message) {
        return new ApiException(413, "invalid_request_error", "payload_too_large", message, null, null);
    }

    public static ApiException unavailable(String message, int retryAfterSeconds) {
        return new ApiException(503, "service_unavailable", "service_unavailable", message, null, retryAfterSeconds);
    }

    /** The {@code error} object of the response body. */
    public Map<String, Object> body() {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("type", type);
        error.put("code", code);
        error.put("message", getMessage());
        error.put("param", param);
        return error;
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String code() {
        return code;
    }

    public String param() {
        return param;
    }

    public Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
