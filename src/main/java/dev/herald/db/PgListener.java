package dev.herald.db;

import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * This node's one LISTEN connection: every part that follows a PostgreSQL NOTIFY channel subscribes
 * here, and each payload goes to the subscribers of its channel, in the order they subscribed.
 * One connection rather than one per part because PostgreSQL wakes every listening backend of the
 * database on each NOTIFY, whatever its channel, before it answers the COMMIT: each extra listener
 * was one more process and one more thread woken per chat message. Notifications sent while the
 * connection is down are lost, so every subscriber's {@code onConnect} runs on each (re)connection,
 * before the first payload: subscribers resynchronise there.
 */
public final class PgListener implements AutoCloseable {
    /** How the connection shows in {@code pg_stat_activity}. */
    public static final String APPLICATION_NAME = "herald-listener";
    private static final Logger LOG = Logger.getLogger(PgListener.class.getName());

    private record Subscriber(String channel, Consumer<String> onPayload, Runnable onConnect) {
    }

    private final Database database;
    private final List<Subscriber> subscribers = new ArrayList<>();
    private volatile boolean stopping;
    private volatile boolean listening;
    private Thread thread;

    public PgListener(Database database) {
        this.database = database;
    }

    /**
     * Follows {@code channel} from {@link #start} on. Payloads arrive on the listener's one thread:
     * handle them quickly and hand anything slow to a thread of your own.
     */
    public synchronized void subscribe(String channel, Consumer<String> onPayload, Runnable onConnect) {
        if (thread != null) {
            throw new IllegalStateException("subscribe before start: the LISTEN statements are issued on connecting");
        }
        subscribers.add(new Subscriber(channel, onPayload, onConnect));
    }

    public synchronized PgListener start() {
        thread = Thread.ofPlatform().daemon().name("pg-listener").start(this::loop);
        return this;
    }

    private void loop() {
        Set<String> channels = new LinkedHashSet<>();
        subscribers.forEach(s -> channels.add(s.channel()));
        while (!stopping) {
            try (Connection connection = database.dedicatedConnection()) {
                connection.setClientInfo("ApplicationName", APPLICATION_NAME);
                try (Statement statement = connection.createStatement()) {
                    for (String channel : channels) {
                        statement.execute("LISTEN " + channel);
                    }
                }
                subscribers.forEach(s -> s.onConnect().run());
                listening = true;
                PGConnection pg = connection.unwrap(PGConnection.class);
                while (!stopping) {
                    PGNotification[] notifications = pg.getNotifications(500);
                    if (notifications != null) {
                        for (PGNotification n : notifications) {
                            dispatch(n.getName(), n.getParameter());
                        }
                    }
                }
            } catch (Exception e) {
                listening = false;
                if (!stopping) {
                    LOG.log(Level.WARNING, "Lost the LISTEN connection; reconnecting", e);
                    try {
                        Thread.sleep(Duration.ofSeconds(1));
                    } catch (InterruptedException interrupted) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }
    }

    private void dispatch(String channel, String payload) {
        for (Subscriber s : subscribers) {
            if (s.channel().equals(channel)) {
                try {
                    s.onPayload().accept(payload);
                } catch (RuntimeException e) {
                    // It may have missed what the payload said: it starts over as after a reconnection,
                    // and the other subscribers, which did not, keep what they have.
                    LOG.log(Level.WARNING, "A " + channel + " subscriber failed on a notification; resynchronising it", e);
                    s.onConnect().run();
                }
            }
        }
    }

    /** True while notifications are being received; anything relying on them must not trust itself otherwise. */
    public boolean isListening() {
        return listening;
    }

    @Override
    public void close() {
        stopping = true;
        listening = false;
        if (thread != null) {
            try {
                thread.join(Duration.ofSeconds(2));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
