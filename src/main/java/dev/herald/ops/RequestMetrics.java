package dev.herald.ops;

import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/** Times every request into {@code herald_http_requests_seconds} by method, route pattern and status. */
public final class RequestMetrics implements Filter {
    private final MeterRegistry registry;

    public RequestMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        Timer.Sample sample = Timer.start(registry);
        try {
            chain.proceed();
        } finally {
            String route = req.matchingPattern().orElse("unmatched");
            sample.stop(Timer.builder("herald_http_requests")
                    .tag("method", req.prologue().method().text())
                    .tag("route", route)
                    .tag("status", String.valueOf(res.status().code()))
                    .publishPercentileHistogram(false)
                    .register(registry));
        }
    }
}
