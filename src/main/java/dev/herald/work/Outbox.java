package dev.herald.work;

import dev.herald.web.Json;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.config.JdbiConfig;
import org.jdbi.v3.core.statement.PreparedBatch;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Writes work into the outbox inside the caller's transaction: the event exists exactly when the
 * change that caused it committed. After the commit this node's workers are woken at once; other
 * nodes' workers find the work on their next poll. (No NOTIFY here on purpose: PostgreSQL
 * serialises the commits of notifying transactions, which would cap every write path.)
 */
public final class Outbox {
    private Outbox() {
    }

    public static void enqueue(Handle h, String kind, Object payload) {
        enqueueAll(h, kind, List.of(payload));
    }

    /** Queues many at once: one batched statement. */
    public static void enqueueAll(Handle h, String kind, List<?> payloads) {
        if (payloads.isEmpty()) {
            return;
        }
        PreparedBatch batch = h.prepareBatch("insert into outbox (kind, payload) values (:kind, :payload)");
        for (Object payload : payloads) {
            batch.bind("kind", kind).bind("payload", Json.string(payload)).add();
        }
        batch.execute();
        h.afterCommit(h.getConfig(Wakeup.class)::run);
    }

    /**
     * Whom to wake after a commit that queued work: the workers register on the Jdbi; every handle's
     * copy shares the same list, so workers started later are woken too.
     */
    public static final class Wakeup implements JdbiConfig<Wakeup> {
        private final List<Runnable> targets;

        public Wakeup() {
            this.targets = new CopyOnWriteArrayList<>();
        }

        private Wakeup(Wakeup other) {
            this.targets = other.targets;
        }

        void add(Runnable target) {
            targets.add(target);
        }

        void remove(Runnable target) {
            targets.remove(target);
        }

        void run() {
            targets.forEach(Runnable::run);
        }

        @Override
        public Wakeup createCopy() {
            return new Wakeup(this);
        }
    }
}
