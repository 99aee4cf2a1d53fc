package dev.herald;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ConfigTest {
    @Test
    void flagsOverrideTheEnvironmentWhichOverridesTheDefaults() {
        Config defaults = Config.from(new String[0], Map.of());
        assertEquals(8080, defaults.port());
        assertEquals(8081, defaults.realtimePort());
        assertEquals("127.0.0.1", defaults.host());

        Config set = Config.from(new String[]{"--port=9000", "--admin-token=ha_from_flag"},
                Map.of("HERALD_PORT", "7000", "HERALD_REALTIME_PORT", "7001", "HERALD_ADMIN_TOKEN", "ha_from_env"));
        assertEquals(9000, set.port());
        assertEquals(7001, set.realtimePort());
        assertEquals("ha_from_flag", set.adminToken());
    }

    @Test
    void unusableValuesStopTheStartWithTheirName() {
        IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                () -> Config.from(new String[0], Map.of("HERALD_ADMIN_TOKEN", "a".repeat(201))));
        assertEquals("HERALD_ADMIN_TOKEN must be at most 200 characters, got 201", tooLong.getMessage());
        assertEquals("a".repeat(200), Config.from(new String[0], Map.of("HERALD_ADMIN_TOKEN", "a".repeat(200))).adminToken());

        IllegalArgumentException port = assertThrows(IllegalArgumentException.class,
                () -> Config.from(new String[]{"--port=70000"}, Map.of()));
        assertEquals("HERALD_PORT must be between 0 and 65535, got 70000", port.getMessage());
    }
}
