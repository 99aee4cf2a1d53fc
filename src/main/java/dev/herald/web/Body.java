package dev.herald.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * A parsed JSON request body with typed, validating accessors. Every accessor fails with the
 * documented 400 shape naming the parameter, so handlers never see a half-valid request.
 * Nested objects are read through {@link #object(String)}, which prefixes parameter names
 * (for example {@code notification_data.in_app.subject}).
 */
public final class Body {
    private final ObjectNode node;
    private final String prefix;

    private Body(ObjectNode node, String prefix) {
        this.node = node;
        this.prefix = prefix;
    }

    public static Body parse(byte[] raw) {
        if (raw == null || raw.length == 0) {
            throw ApiException.invalidJson("Request body must be a JSON object.");
        }
        JsonNode parsed;
        try {
            parsed = Json.MAPPER.readTree(raw);
        } catch (JsonProcessingException e) {
            throw ApiException.invalidJson("Request body is not valid JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw ApiException.invalidJson("Request body could not be read.");
        }
        if (!(parsed instanceof ObjectNode object)) {
            throw ApiException.invalidJson("Request body must be a JSON object.");
        }
        return new Body(object, "");
    }

    public static Body empty() {
        return new Body(Json.MAPPER.createObjectNode(), "");
    }

    public ObjectNode node() {
        return node;
    }

    public String name(String field) {
        return prefix + field;
    }

    public boolean has(String field) {
        JsonNode value = node.get(field);
        return value != null && !value.isNull();
    }

    public String requiredString(String field, int maxLength) {
        String value = optionalString(field, maxLength);
        if (value == null) {
            throw ApiException.missing(name(field));
        }
        return value;
    }

    /** A string, or null when absent or JSON null. Blank strings count as missing for required fields only. */
    public String optionalString(String field, int maxLength) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw ApiException.invalid(name(field), "Parameter " + name(field) + " must be a string.");
        }
        String text = value.asText();
        if (text.length() > maxLength) {
            throw ApiException.invalid(name(field),
                    "Parameter " + name(field) + " must be at most " + maxLength + " characters.");
        }
        if (text.indexOf('\0') >= 0) {
            throw ApiException.invalid(name(field), "Parameter " + name(field) + " must not contain NUL characters.");
        }
        return text;
    }

    public String requiredNonBlank(String field, int maxLength) {
        String value = requiredString(field, maxLength);
        if (value.isBlank()) {
            throw ApiException.missing(name(field));
        }
        return value;
    }

    public Boolean optionalBoolean(String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isBoolean()) {
            throw ApiException.invalid(name(field), "Parameter " + name(field) + " must be a boolean.");
        }
        return value.asBoolean();
    }

    /** A list of strings without duplicates (order kept), or null when absent. */
    public List<String> optionalStringList(String field, int maxItems, int maxLength) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isArray()) {
            throw ApiException.invalid(name(field), "Parameter " + name(field) + " must be an array of strings.");
        }
        if (value.size() > maxItems) {
            throw ApiException.invalid(name(field), "Parameter " + name(field) + " may hold at most " + maxItems + " items.");
        }
        LinkedHashSet<String> items = new LinkedHashSet<>();
        for (JsonNode item : value) {
            if (!item.isTextual() || item.asText().isBlank() || item.asText().length() > maxLength) {
                throw ApiException.invalid(name(field), "Parameter " + name(field) + " must hold non-empty strings of at most "
                        + maxLength + " characters.");
            }
            items.add(item.asText());
        }
        return new ArrayList<>(items);
    }

    public Body object(String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!(value instanceof ObjectNode object)) {
            throw ApiException.invalid(name(field), "Parameter " + name(field) + " must be an object.");
        }
        return new Body(object, name(field) + ".");
    }

    /** The elements of an array of objects, each as a Body named {@code field[i]}. */
    public List<Body> objects(String field, int maxItems) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isArray()) {
            throw ApiException.invalid(name(field), "Parameter " + name(field) + " must be an array of objects.");
        }
        if (value.size() > maxItems) {
            throw ApiException.invalid(name(field), "Parameter " + name(field) + " may hold at most " + maxItems + " items.");
        }
        List<Body> out = new ArrayList<>();
        int i = 0;
        for (JsonNode item : value) {
            String itemName = name(field) + "[" + i++ + "]";
            if (!(item instanceof ObjectNode object)) {
                throw ApiException.invalid(itemName, "Parameter " + itemName + " must be an object.");
            }
            out.add(new Body(object, itemName + "."));
        }
        return out;
    }
}
