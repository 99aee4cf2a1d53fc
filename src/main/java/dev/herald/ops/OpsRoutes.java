package dev.herald.ops;

import dev.herald.db.Database;
import dev.herald.web.Http;
import io.helidon.http.HttpMediaType;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.util.Map;
import java.util.function.BooleanSupplier;

/** {@code /healthz} (the process answers), {@code /readyz} (it can serve: database up, not draining), {@code /metrics}. */
public final class OpsRoutes implements HttpService {
    private final Database database;
    private final PrometheusMeterRegistry metrics;
    private final BooleanSupplier draining;

    public OpsRoutes(Database database, PrometheusMeterRegistry metrics, BooleanSupplier draining) {
        this.database = database;
        this.metrics = metrics;
        this.draining = draining;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/healthz", (req, res) -> Http.ok(res, Map.of("status", "ok")))
                .get("/readyz", (req, res) -> {
                    boolean databaseUp = database.isReachable();
                    boolean ready = databaseUp && !draining.getAsBoolean();
                    Http.json(res, ready ? 200 : 503, Map.of("status", ready ? "ready" : "not_ready",
                            "database", databaseUp ? "up" : "down", "draining", draining.getAsBoolean()));
                })
                .get("/metrics", (req, res) -> {
                    res.headers().contentType(HttpMediaType.create("text/plain; version=0.0.4; charset=utf-8"));
                    res.send(metrics.scrape());
                });
    }
}
