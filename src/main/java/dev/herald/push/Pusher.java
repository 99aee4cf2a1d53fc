package dev.herald.push;

import dev.herald.Config;
import dev.herald.notify.DeepLinks;
import dev.herald.notify.FeedStore;
import dev.herald.notify.NotificationRow;
import dev.herald.webhook.Destinations;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.result.ResultIterator;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Pushes delivered notifications to their recipients' devices. A job walks the devices of everyone
 * the notification reached in id order, straight from a database cursor, {@link #BATCH} at a time
 * (memory stays flat however large the audience), sends each batch concurrently, and records the
 * batch's outcome and how far it got in one transaction; a node that stops mid-way leaves the rest
 * to whoever takes the job next. Batches overlap: up to {@link #OVERLAP} more are read and their
 * pushes started before the oldest one under way is waited for and recorded, so sends go on during
 * the database round trips; batches are still recorded in order. Answers: gone tokens are deleted,
 * retryable ones retried with backoff (honouring Retry-After) up to {@link #MAX_ATTEMPTS} times,
 * permanent failures recorded.
 */
public final class Pusher implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Pusher.class.getName());
    static final int BATCH = 500;
    /** Batches started before the oldest one under way is waited for and recorded. */
    static final int OVERLAP = 2;
    static final int LEASE_SECONDS = 60;
    static final int MAX_ATTEMPTS = 8;
    static final Duration TTL = Duration.ofDays(1);
    /** Waits before attempt n + 1 (n = 1, 2, …), before jitter and any longer Retry-After. */
    private static final long[] BACKOFF_SECONDS = {5, 30, 120, 600, 1800, 3600, 7200};
    private static final Duration POLL = Duration.ofMillis(500);

    private final PushStore store;
    private final FeedStore feed;
    private final Senders senders;
    private final Destinations destinations;
    private final String publicUrl;
    private final Semaphore wakeups = new Semaphore(0);
    private final Counter sent;
    private final Counter failed;
    private Thread thread;
    private volatile boolean stopping;

    public Pusher(PushStore store, FeedStore feed, Config config, MeterRegistry metrics) {
        this.store = store;
        this.feed = feed;
        this.senders = new Senders(store, config.push(), new Vapid(store));
        this.destinations = new Destinations(config.push().allowPrivate());
        this.publicUrl = config.publicUrl();
        this.sent = Counter.builder("herald_push_sent_total").register(metrics);
        this.failed = Counter.builder("herald_push_failed_total").register(metrics);
    }

    public Pusher start() {
        thread = Thread.ofPlatform().name("pusher").start(this::loop);
        return this;
    }

    /** Queues the push of a notification being delivered; the pusher starts on it once that commits. */
    public void enqueue(Handle h, long seq) {
        PushStore.enqueueJob(h, seq);
        h.afterCommit(wakeups::release);
    }

    private void loop() {
        while (!stopping) {
            try {
                senders.refresh();
                Optional<PushStore.Job> job = store.claimJob(LEASE_SECONDS);
                job.ifPresent(this::run);
                int retried = retryDue();
                if (job.isEmpty() && retried == 0) {
                    wakeups.tryAcquire(POLL.toMillis(), TimeUnit.MILLISECONDS);
                    wakeups.drainPermits();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "Push round failed; its jobs stay queued", e);
                sleep(Duration.ofSeconds(1));
            }
        }
    }

    private void run(PushStore.Job job) {
        Optional<PushStore.Pushed> pushed = store.pushed(job.seq());
        if (pushed.isEmpty()) {
            store.finishJob(job.seq()); // in-app only: nothing to push
            return;
        }
        PushStore.Pushed n = pushed.get();
        if (!store.anyDevice()) {
            store.finishJob(n.seq());
            return;
        }
        PushMessage message = message(n);
        try (Handle h = store.jdbi().open()) {
            h.begin(); // a cursor streams only inside a transaction
            try (ResultIterator<PushStore.Recipient> devices = store.recipients(h, n, job.afterDevice(), BATCH)) {
                Deque<Batch> underWay = new ArrayDeque<>();
                while (devices.hasNext() && !stopping) {
                    List<PushStore.Recipient> recipients = new ArrayList<>(BATCH);
                    while (recipients.size() < BATCH && devices.hasNext()) {
                        recipients.add(devices.next());
                    }
                    underWay.add(startBatch(recipients, message));
                    if (underWay.size() > OVERLAP) {
                        record(n, underWay.remove());
                    }
                }
                while (!underWay.isEmpty()) {
                    record(n, underWay.remove());
                }
                if (stopping) {
                    return; // the lease runs out and the job resumes from the last batch recorded
                }
            } finally {
                h.rollback();
            }
        }
        store.finishJob(n.seq());
    }

    /** A batch of a job: its recipients, and the pushes to those allowed one, under way. */
    private record Batch(List<PushStore.Recipient> recipients, Sending sending) {
    }

    /** Starts the pushes of a batch to the recipients whose preferences allow them. */
    private Batch startBatch(List<PushStore.Recipient> recipients, PushMessage message) {
        List<PushStore.DeviceRow> allowed = new ArrayList<>(recipients.size());
        for (PushStore.Recipient r : recipients) {
            if (r.allowed()) {
                allowed.add(r.device());
            }
        }
        return new Batch(recipients, startPushes(allowed, message));
    }

    /** Waits for a batch's pushes and records what came of them, with its last device as the job's new position. */
    private void record(PushStore.Pushed n, Batch batch) {
        Map<String, int[]> tally = new LinkedHashMap<>(); // platform → sent, failed, removed, skipped
        for (PushStore.Recipient r : batch.recipients()) {
            if (!r.allowed()) {
                tally.computeIfAbsent(r.device().platform(), p -> new int[4])[3]++;
            }
        }
        Outcomes outcomes = awaitAll(batch.sending(), Map.of());
        outcomes.addTo(tally);
        List<PushStore.Recipient> recipients = batch.recipients();
        store.record(n.seq(), tallies(tally), outcomes.misses, outcomes.gone, List.of(), recipients.getLast().device().id(),
                recipients.size(), LEASE_SECONDS);
    }

    /** Due retries, sent and recorded; returns how many were due. */
    private int retryDue() {
        List<PushStore.DueRetry> due = store.claimRetries(BATCH, LEASE_SECONDS);
        if (due.isEmpty()) {
            return 0;
        }
        Map<Long, List<PushStore.DueRetry>> bySeq = new LinkedHashMap<>();
        due.forEach(d -> bySeq.computeIfAbsent(d.seq(), k -> new ArrayList<>()).add(d));
        bySeq.forEach((seq, retries) -> {
            Optional<PushStore.Pushed> n = store.pushed(seq);
            if (n.isEmpty()) {
                return;
            }
            Map<String, Integer> attempts = new HashMap<>();
            retries.forEach(r -> attempts.put(r.device().id(), r.attempts()));
            Outcomes outcomes = awaitAll(startPushes(retries.stream().map(PushStore.DueRetry::device).toList(), message(n.get())), attempts);
            Map<String, int[]> tally = new LinkedHashMap<>();
            outcomes.addTo(tally);
            store.record(seq, tallies(tally), outcomes.misses, outcomes.gone, outcomes.delivered, null, 0, LEASE_SECONDS);
        });
        store.dropOrphanRetries();
        return due.size();
    }

    /** Pushes under way: one virtual thread per device (a batch is bounded), each waiting on its provider's answer. */
    private record Sending(List<PushStore.DeviceRow> devices, Thread[] threads, PushOutcome[] answers) {
    }

    private Sending startPushes(List<PushStore.DeviceRow> devices, PushMessage message) {
        PushOutcome[] answers = new PushOutcome[devices.size()];
        Thread[] threads = new Thread[devices.size()];
        for (int i = 0; i < threads.length; i++) {
            int index = i;
            threads[i] = Thread.ofVirtual().start(() -> answers[index] = sendOne(devices.get(index), message));
        }
        return new Sending(devices, threads, answers);
    }

    /** Waits until every push under way has its answer (an interrupted wait counts the rest as retries). */
    private Outcomes awaitAll(Sending sending, Map<String, Integer> attemptsSoFar) {
        for (Thread t : sending.threads()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        Outcomes out = new Outcomes();
        PushOutcome[] answers = sending.answers();
        for (int i = 0; i < answers.length; i++) {
            PushStore.DeviceRow device = sending.devices().get(i);
            int attempts = attemptsSoFar.getOrDefault(device.id(), 0) + 1;
            PushOutcome answer = answers[i] == null ? new PushOutcome.Retry(null, "interrupted") : answers[i];
            out.add(device, attempts, answer);
        }
        return out;
    }

    private PushOutcome sendOne(PushStore.DeviceRow device, PushMessage message) {
        try {
            if (device.platform().equals("web")) {
                // The endpoint came from a browser, i.e. from a user: never let it point into the operator's network.
                destinations.resolve(URI.create(device.token()).getHost());
            }
            return senders.send(device, message);
        } catch (Destinations.Refused e) {
            return new PushOutcome.Failed("Endpoint refused: " + e.getMessage());
        } catch (java.net.UnknownHostException e) {
            return new PushOutcome.Retry(null, "Unknown host " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Push to device " + device.id() + " failed", e);
            return new PushOutcome.Retry(null, e.getClass().getSimpleName());
        }
    }

    /** The outcomes of a set of pushes, as the store records them. */
    private final class Outcomes {
        final Map<String, int[]> counts = new LinkedHashMap<>();
        final List<PushStore.Miss> misses = new ArrayList<>();
        final List<String> gone = new ArrayList<>();
        final List<String> delivered = new ArrayList<>();

        void add(PushStore.DeviceRow device, int attempts, PushOutcome answer) {
            int[] c = counts.computeIfAbsent(device.platform(), p -> new int[4]);
            switch (answer) {
                case PushOutcome.Sent s -> {
                    c[0]++;
                    delivered.add(device.id());
                    sent.increment();
                }
                case PushOutcome.Gone g -> {
                    c[2]++;
                    gone.add(device.id());
                }
                case PushOutcome.Failed f -> {
                    c[1]++;
                    misses.add(new PushStore.Miss(device.id(), device.platform(), attempts, null, f.reason()));
                    failed.increment();
                }
                case PushOutcome.Retry r -> {
                    if (attempts >= MAX_ATTEMPTS) {
                        c[1]++;
                        misses.add(new PushStore.Miss(device.id(), device.platform(), attempts, null,
                                "Gave up after " + attempts + " attempts: " + r.reason()));
                        failed.increment();
                    } else {
                        misses.add(new PushStore.Miss(device.id(), device.platform(), attempts, retryIn(attempts, r.after()), r.reason()));
                    }
                }
            }
        }

        void addTo(Map<String, int[]> tally) {
            counts.forEach((platform, c) -> {
                int[] t = tally.computeIfAbsent(platform, p -> new int[4]);
                for (int i = 0; i < 4; i++) {
                    t[i] += c[i];
                }
            });
        }
    }

    /** Seconds until the next attempt: the schedule with ±20 % jitter, or the provider's Retry-After if longer. */
    static long retryIn(int attemptsMade, Duration retryAfter) {
        long base = BACKOFF_SECONDS[Math.min(attemptsMade, BACKOFF_SECONDS.length) - 1];
        long jittered = Math.max(1, Math.round(base * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble())));
        return retryAfter == null ? jittered : Math.max(jittered, retryAfter.toSeconds());
    }

    private static List<PushStore.Tally> tallies(Map<String, int[]> tally) {
        List<PushStore.Tally> out = new ArrayList<>();
        tally.forEach((platform, c) -> out.add(new PushStore.Tally(platform, c[0], c[1], c[2], c[3])));
        return out;
    }

    /** The notification as every device gets it: the mobile content if it has one, its link and icon. */
    private PushMessage message(PushStore.Pushed n) {
        Optional<NotificationRow> row = feed.find(n.seq());
        String link = row.map(r -> DeepLinks.link(publicUrl, r)).orElse(null);
        String icon = row.map(r -> r.iconPicture() != null ? r.iconPicture() : r.appIcon()).orElse(null);
        return new PushMessage(n.notificationId(), n.title(), n.subtitle(), n.body(), link, icon,
                "chat".equals(n.api()), null, TTL);
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stopping = true;
        wakeups.release();
        if (thread != null) {
            try {
                thread.join(Duration.ofSeconds(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        senders.close();
    }
}
