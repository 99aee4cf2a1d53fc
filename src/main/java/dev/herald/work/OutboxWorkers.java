package dev.herald.work;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.db.Database;
import dev.herald.web.Json;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Drains the outbox of the event kinds it has handlers for. Each worker claims a batch with {@code FOR UPDATE SKIP LOCKED} (so any number
 * of workers on any number of nodes share the queue), runs each event's handler in a savepoint and
 * deletes the events it finished, all in one transaction: a crash anywhere leaves the batch queued.
 * A failing event is retried with exponential backoff. Workers are woken by this node's commits
 * that queue work (see {@link Outbox}) and poll for other nodes' work.
 */
public final class OutboxWorkers implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(OutboxWorkers.class.getName());
    private static final int BATCH = 100;
    /** How soon work queued by another node is picked up (this node's own is picked up at once). */
    private static final Duration POLL = Duration.ofMillis(250);
    /** The advisory lock whose holder handles the ordered kinds (an arbitrary constant of this application). */
    private static final long ORDERED_LOCK = 0x68657261_6c64_01L;

    private final Jdbi jdbi;
    private final Map<String, OutboxHandler> handlers;
    private final String[] kinds;
    private final String[] orderedKinds;
    private final String[] unorderedKinds;
    private final Runnable wakeup;
    private final int threads;
    private final Semaphore wakeups = new Semaphore(0);
    private final List<Thread> running = new ArrayList<>();
    private final Counter processed;
    private final Counter failed;
    private volatile boolean stopping;

    public OutboxWorkers(Database database, Map<String, OutboxHandler> handlers, int threads, MeterRegistry metrics) {
        this.jdbi = database.jdbi();
        this.handlers = Map.copyOf(handlers);
        this.kinds = handlers.keySet().toArray(new String[0]);
        this.orderedKinds = handlers.entrySet().stream().filter(e -> e.getValue().ordered()).map(Map.Entry::getKey).toArray(String[]::new);
        this.unorderedKinds = handlers.entrySet().stream().filter(e -> !e.getValue().ordered()).map(Map.Entry::getKey).toArray(String[]::new);
        this.wakeup = () -> wakeups.release(threads);
        this.threads = threads;
        this.processed = Counter.builder("herald_outbox_processed_total").register(metrics);
        this.failed = Counter.builder("herald_outbox_failed_total").register(metrics);
        metrics.gauge("herald_outbox_pending", this, w -> w.pending());
    }

    public void start() {
        jdbi.getConfig(Outbox.Wakeup.class).add(wakeup);
        for (int i = 0; i < threads; i++) {
            running.add(Thread.ofPlatform().name("outbox-worker-" + i).start(this::workLoop));
        }
    }

    private void workLoop() {
        while (!stopping) {
            try {
                if (drainOnce() == 0) {
                    wakeups.tryAcquire(POLL.toMillis(), TimeUnit.MILLISECONDS);
                    wakeups.drainPermits();
                }
            } catch (InterruptedException e) {
                if (stopping) {
                    return;
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "Outbox batch failed; it stays queued", e);
                sleepQuietly(Duration.ofSeconds(1));
            }
        }
    }

    /**
     * Claims and runs one batch of the ordered kinds, if no other worker (on any node) holds them, and
     * one of the others; returns how many events it took.
     */
    int drainOnce() {
        int taken = 0;
        if (orderedKinds.length > 0) {
            taken += jdbi.inTransaction(h -> h.createQuery("select pg_try_advisory_xact_lock(:lock)").bind("lock", ORDERED_LOCK)
                    .mapTo(Boolean.class).one() ? drain(h, orderedKinds) : 0);
        }
        if (unorderedKinds.length > 0) {
            taken += jdbi.inTransaction(h -> drain(h, unorderedKinds));
        }
        return taken;
    }

    private int drain(Handle h, String[] claimable) {
        List<Event> batch = h.createQuery("""
                        select id, kind, payload, attempts from outbox
                        where available_at <= now() and kind = any(:kinds)
                        order by id limit :limit for update skip locked""")
                .bind("kinds", claimable).bind("limit", BATCH)
                .map((rs, ctx) -> new Event(rs.getLong("id"), rs.getString("kind"), rs.getString("payload"), rs.getInt("attempts")))
                .list();
        Map<String, List<Event>> byKind = new LinkedHashMap<>();
        for (Event event : batch) {
            byKind.computeIfAbsent(event.kind(), k -> new ArrayList<>()).add(event);
        }
        List<Long> done = new ArrayList<>(batch.size());
        byKind.forEach((kind, events) -> runAll(h, handlers.get(kind), events, done));
        if (!done.isEmpty()) {
            h.createUpdate("delete from outbox where id = any(:ids)").bind("ids", done.toArray(new Long[0])).execute();
        }
        return batch.size();
    }

    /** Runs a kind's events together; if that fails, each alone, so one bad event holds back no other. */
    private void runAll(Handle h, OutboxHandler handler, List<Event> events, List<Long> done) {
        if (events.size() > 1) {
            h.savepoint("events");
            try {
                handler.handleAll(h, events.stream().map(e -> Json.tree(e.payload())).toList());
                h.release("events");
                events.forEach(e -> done.add(e.id()));
                processed.increment(events.size());
                return;
            } catch (RuntimeException e) {
                h.rollbackToSavepoint("events");
                LOG.log(Level.FINE, "A batch of " + events.size() + " events failed; running them one by one", e);
            }
        }
        for (Event event : events) {
            run(h, handler, event, done);
        }
    }

    private void run(Handle h, OutboxHandler handler, Event event, List<Long> done) {
        String savepoint = "event_" + event.id();
        h.savepoint(savepoint);
        try {
            JsonNode payload = Json.tree(event.payload());
            handler.handle(h, payload);
            h.release(savepoint);
            done.add(event.id());
            processed.increment();
        } catch (RuntimeException e) {
            h.rollbackToSavepoint(savepoint);
            long delaySeconds = Math.min(3600, (long) Math.pow(2, Math.min(event.attempts(), 12)));
            LOG.log(Level.WARNING, "Outbox event " + event.id() + " (" + event.kind() + ") failed; retry in " + delaySeconds + " s", e);
            h.createUpdate("""
                            update outbox set attempts = attempts + 1, last_error = :error,
                                   available_at = now() + make_interval(secs => :delay) where id = :id""")
                    .bind("error", String.valueOf(e.getMessage())).bind("delay", delaySeconds).bind("id", event.id()).execute();
            failed.increment();
        }
    }

    public long pending() {
        try {
            return jdbi.withHandle(h -> h.createQuery("select count(*) from outbox where kind = any(:kinds)")
                    .bind("kinds", kinds).mapTo(Long.class).one());
        } catch (RuntimeException e) {
            return -1;
        }
    }

    /** Lets every worker finish the batch it holds; unclaimed events stay in the outbox for the next start. */
    @Override
    public void close() {
        jdbi.getConfig(Outbox.Wakeup.class).remove(wakeup);
        stopping = true;
        wakeups.release(threads * 2);
        for (Thread thread : running) {
            try {
                thread.join(Duration.ofSeconds(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void sleepQuietly(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private record Event(long id, String kind, String payload, int attempts) {
    }
}
