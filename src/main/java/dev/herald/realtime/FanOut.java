package dev.herald.realtime;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * One frame to many subscribers of a channel. Their sockets are handed to their own loops in batches
 * and each loop writes the frame to its batch itself ({@link WsSocket#sendOnLoop}): per socket one
 * write on the thread that owns it, instead of a queue entry, a hand-off and a flush each, and the
 * loops start writing while the walk goes on. A subscription that ended meanwhile gets nothing, so
 * no frame of the stream follows its {@code unsubscribed}. Not thread-safe: one walk, one thread.
 */
final class FanOut {
    private static final int BATCH = 256;

    private final WsFrame frame;
    private final Map<GatewayLoop, List<RealtimeHub.ChannelSub>> batches = new IdentityHashMap<>(4);

    FanOut(WsFrame frame) {
        this.frame = frame;
    }

    void add(RealtimeHub.ChannelSub sub) {
        GatewayLoop loop = sub.conn.socket().loop();
        List<RealtimeHub.ChannelSub> batch = batches.computeIfAbsent(loop, l -> new ArrayList<>(BATCH));
        batch.add(sub);
        if (batch.size() == BATCH) {
            batches.remove(loop);
            hand(loop, batch);
        }
    }

    /** Hands over what the walk left in partial batches; call once after the last {@link #add}. */
    void finish() {
        batches.forEach(this::hand);
        batches.clear();
    }

    private void hand(GatewayLoop loop, List<RealtimeHub.ChannelSub> batch) {
        loop.execute(() -> {
            for (RealtimeHub.ChannelSub sub : batch) {
                sub.conn.socket().sendOnLoop(frame, sub::active);
            }
        });
    }
}
