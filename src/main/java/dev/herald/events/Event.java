package dev.herald.events;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A committed change, in the envelope of the SDK's webhook events:
 * {@code {id, api_version, type, timestamp, company_id, data}}.
 */
public record Event(String id, String apiVersion, String type, String timestamp, String companyId, JsonNode data) {
}
