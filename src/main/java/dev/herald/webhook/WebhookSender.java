package dev.herald.webhook;

import dev.herald.db.PgListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Sends webhook deliveries. One dispatcher leases due deliveries ({@link WebhookStore#claimDue}, so
 * any number of nodes share the queue) and runs each attempt on its own virtual thread, at most
 * {@link #MAX_IN_FLIGHT} at a time; no database transaction is open while a receiver is called.
 * Each attempt signs the stored body afresh (same {@code webhook-id}, current {@code webhook-timestamp}),
 * since receivers refuse timestamps older than five minutes and retries come hours later.
 * <ul>
 *   <li>2xx: delivered.</li>
 *   <li>410 Gone: the receiver asks to stop, so the endpoint is disabled.</li>
 *   <li>Anything else (3xx included: redirects are not followed), a timeout, a refused address: tried
 *       again on the {@link RetrySchedule}; after the last attempt the delivery has failed. An endpoint
 *       failing for more than {@link #FAILING_LIMIT} is disabled.</li>
 * </ul>
 */
public final class WebhookSender implements AutoCloseable {
    static final String CHANNEL = "herald_webhooks";
    static final Duration FAILING_LIMIT = Duration.ofDays(5);
    private static final int MAX_IN_FLIGHT = 32;
    private static final Logger LOG = Logger.getLogger(WebhookSender.class.getName());

    private final WebhookStore store;
    private final WebhookHttp http;
    /** How long a claimed delivery is hidden from other senders: longer than any attempt can take. */
    private final Duration lease;
    private final Semaphore slots = new Semaphore(MAX_IN_FLIGHT);
    private final Semaphore wakeups = new Semaphore(0);
    private final Counter delivered;
    private final Counter failedAttempts;
    private volatile boolean stopping;
    private Thread dispatcher;

    public WebhookSender(PgListener listener, WebhookStore store, boolean allowPrivate, MeterRegistry metrics) {
        this.store = store;
        this.http = new WebhookHttp(new Destinations(allowPrivate), WebhookHttp.TIMEOUT);
        this.lease = WebhookHttp.TIMEOUT.plusSeconds(45);
        listener.subscribe(CHANNEL, payload -> wakeups.release(), wakeups::release);
        this.delivered = Counter.builder("herald_webhook_deliveries_succeeded_total").register(metrics);
        this.failedAttempts = Counter.builder("herald_webhook_attempts_failed_total").register(metrics);
    }

    public WebhookSender start() {
        dispatcher = Thread.ofPlatform().name("webhook-dispatcher").start(this::loop);
        return this;
    }

    private void loop() {
        while (!stopping) {
            try {
                slots.acquire();
                int free = 1 + slots.drainPermits();
                List<WebhookStore.Claimed> claimed = List.of();
                try {
                    claimed = store.claimDue(free, lease);
                } finally {
                    // The slots of claimed deliveries are given back when their attempts end.
                    slots.release(free - claimed.size());
                }
                for (WebhookStore.Claimed delivery : claimed) {
                    Thread.ofVirtual().name("webhook-" + delivery.id()).start(() -> {
                        try {
                            attempt(delivery);
                        } finally {
                            slots.release();
                        }
                    });
                }
                if (claimed.isEmpty()) {
                    // New deliveries wake us (NOTIFY at commit); retries coming due are found by polling.
                    wakeups.tryAcquire(1, TimeUnit.SECONDS);
                    wakeups.drainPermits();
                }
            } catch (InterruptedException e) {
                if (stopping) {
                    return;
                }
            } catch (RuntimeException e) {
                if (stopping) {
                    return;
                }
                LOG.log(Level.WARNING, "Claiming webhook deliveries failed; trying again", e);
                sleepQuietly(Duration.ofSeconds(1));
            }
        }
    }

    /** One attempt at one delivery, and its outcome recorded; never throws, so a receiver cannot stop the sender. */
    private void attempt(WebhookStore.Claimed delivery) {
        try {
            byte[] body = delivery.payload().getBytes(StandardCharsets.UTF_8);
            long timestamp = Instant.now().getEpochSecond();
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("webhook-id", delivery.eventId());
            headers.put("webhook-timestamp", Long.toString(timestamp));
            headers.put("webhook-signature", Signatures.sign(delivery.secret(), delivery.eventId(), timestamp, body));
            record(delivery, http.post(delivery.url(), headers, body));
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Webhook delivery " + delivery.id() + " could not be recorded; its lease will run out and it is tried again", e);
        }
    }

    private void record(WebhookStore.Claimed delivery, WebhookHttp.Result result) {
        store.jdbi().useTransaction(h -> {
            String status = store.lockAttempt(h, delivery).orElse(null);
            if (status == null) {
                return;
            }
            store.addAttempt(h, delivery.id(), result);
            if (result.succeeded()) {
                // Delivered, even if the endpoint was disabled while the request was in flight.
                store.settle(h, delivery.id(), "succeeded", null, result);
                store.noteSuccess(h, delivery.webhookId());
                delivered.increment();
                return;
            }
            failedAttempts.increment();
            if (result.status() == 410) {
                store.settle(h, delivery.id(), "failed", null, result);
                store.disable(h, delivery.webhookId(), "Disabled by Herald at " + now() + ": the endpoint answered 410 Gone.");
                return;
            }
            Duration retryIn = status.equals("pending") ? RetrySchedule.next(delivery.attempts(), result.retryAfter(), Instant.now()) : null;
            store.settle(h, delivery.id(), retryIn == null ? "failed" : "pending", retryIn, result);
            Duration failing = store.noteFailure(h, delivery.webhookId());
            if (failing.compareTo(FAILING_LIMIT) > 0) {
                store.disable(h, delivery.webhookId(), "Disabled by Herald at " + now() + ": every delivery has failed for more than "
                        + FAILING_LIMIT.toDays() + " days; the last attempt: " + result.describe() + ".");
            }
        });
    }

    private static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS);
    }

    /** Stops claiming; attempts in flight get until their timeout to finish, the rest are taken again when their lease runs out. */
    @Override
    public void close() {
        stopping = true;
        if (dispatcher != null) {
            dispatcher.interrupt();
            try {
                dispatcher.join(Duration.ofSeconds(5));
                slots.tryAcquire(MAX_IN_FLIGHT, WebhookHttp.TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
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
}
