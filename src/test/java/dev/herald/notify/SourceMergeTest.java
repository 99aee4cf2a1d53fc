package dev.herald.notify;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SourceMergeTest {
    static FeedStore.Source source(String key, long from, long to, Sources.Reach reach) {
        return new FeedStore.Source(key, "biz_1", null, from, to, reach);
    }

    @Test
    void overlappingIntervalsOfOneSourceMergeAndGapsStay() {
        List<FeedStore.Source> merged = FeedStore.merged(List.of(
                source("biz_1", 10, FeedStore.OPEN, Sources.Reach.CUSTOMER_OF_COMPANY),
                source("biz_1", 5, 20, Sources.Reach.CUSTOMER_OF_COMPANY),
                source("biz_1", 1, 3, Sources.Reach.CUSTOMER_OF_COMPANY),
                source("biz_1", 7, 9, Sources.Reach.TEAM)));
        assertEquals(List.of(
                source("biz_1", 1, 3, Sources.Reach.CUSTOMER_OF_COMPANY),
                source("biz_1", 5, FeedStore.OPEN, Sources.Reach.CUSTOMER_OF_COMPANY),
                source("biz_1", 7, 9, Sources.Reach.TEAM)), merged);
    }
}
