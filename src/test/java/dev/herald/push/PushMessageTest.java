package dev.herald.push;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PushMessageTest {
    @Test
    void missingTtlMeansFourWeeksAndABlankTopicMeansNone() {
        PushMessage message = new PushMessage("ntf_1", "t", null, "b", null, null, false, " ", null);

        assertEquals(Duration.ofDays(28), message.ttl());
        assertNull(message.topic());
    }

    @Test
    void negativeTtlAndMissingIdAreRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> new PushMessage("ntf_1", "t", null, "b", null, null, false, null, Duration.ofSeconds(-1)));
        assertThrows(NullPointerException.class, () -> new PushMessage(null, "t", null, "b", null, null, false, null, null));
    }
}
