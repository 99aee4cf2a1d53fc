package dev.herald.db;

import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Listens on a PostgreSQL NOTIFY channel on its own connection and hands each payload to a callback.
 * Notifications sent while the connection was down are lost, so {@code onConnect} runs on every
 * (re)connection, before the first payload: callers resynchronise there.
 */
public final class PgListener implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PgListener.class.getName());

    private final Database database;
    private final String channel;
    private final Consumer<String> onPayload;
    private final Runnable onConnect;
    private volatile boolean stopping;
    private volatile boolean listening;
    private Thread thread;

    public PgListener(Database database, String channel, Consumer<String> onPayload, Runnable onConnect) {
        this.database = database;
        this.channel = channel;
        this.onPayload = onPayload;
        this.onConnect = onConnect;
    }

    public PgListener start() {
        thread = Thread.ofPlatform().daemon().name("listen-" + channel).start(this::loop);
        return this;
    }

    private void loop() {
        while (!stopping) {
            try (Connection connection = database.dedicatedConnection()) {
                try (Statement statement = connection.createStatement()) {
                    statement.execute("LISTEN " + channel);
                }
                onConnect.run();
                listening = true;
                PGConnection pg = connection.unwrap(PGConnection.class);
                while (!stopping) {
                    PGNotification[] notifications = pg.getNotifications(500);
                    if (notifications != null) {
                        for (PGNotification n : notifications) {
                            onPayload.accept(n.getParameter());
                        }
                    }
                }
            } catch (Exception e) {
                listening = false;
                if (!stopping) {
                    LOG.log(Level.WARNING, "Lost the LISTEN " + channel + " connection; reconnecting", e);
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
