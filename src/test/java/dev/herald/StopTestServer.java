package dev.herald;

import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestPlan;

/** Stops the shared {@link TestServer} when the tests are done (registered in META-INF/services). */
public final class StopTestServer implements TestExecutionListener {
    @Override
    public void testPlanExecutionFinished(TestPlan testPlan) {
        TestServer.stop();
    }
}
