package dev.herald.directory;

import dev.herald.auth.Authenticator;
import dev.herald.web.Http;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;

/** The directory endpoints under {@code /api/v1}: parse, authenticate, call the service. */
public final class DirectoryRoutes implements HttpService {
    private final Authenticator auth;
    private final DirectoryService directory;

    public DirectoryRoutes(Authenticator auth, DirectoryService directory) {
        this.auth = auth;
        this.directory = directory;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/users", (req, res) -> Http.json(res, 201, directory.createUser(auth.authenticate(req), Http.body(req))))
                .get("/users/{id}", (req, res) -> Http.ok(res, directory.user(auth.authenticate(req), Http.pathParam(req, "id"))))
                .get("/users/{id}/access/{resource}", (req, res) -> Http.ok(res, directory.checkAccess(
                        auth.authenticate(req), Http.pathParam(req, "id"), Http.pathParam(req, "resource"))))
                .post("/companies", (req, res) -> Http.json(res, 201, directory.createCompany(auth.authenticate(req), Http.body(req))))
                .get("/companies/{id}", (req, res) -> Http.ok(res, directory.company(auth.authenticate(req), Http.pathParam(req, "id"))))
                .post("/apps", (req, res) -> Http.json(res, 201, directory.createApp(auth.authenticate(req), Http.body(req))))
                .get("/apps/{id}", (req, res) -> Http.ok(res, directory.app(auth.authenticate(req), Http.pathParam(req, "id"))))
                .post("/apps/{id}/installations", (req, res) -> Http.json(res, 201,
                        directory.install(auth.authenticate(req), Http.pathParam(req, "id"), Http.body(req))))
                .post("/apps/{id}/notification_topics", (req, res) -> Http.json(res, 201,
                        directory.createTopic(auth.authenticate(req), Http.pathParam(req, "id"), Http.body(req))))
                .post("/experiences", (req, res) -> Http.json(res, 201, directory.createExperience(auth.authenticate(req), Http.body(req))))
                .get("/experiences/{id}", (req, res) -> Http.ok(res, directory.experience(auth.authenticate(req), Http.pathParam(req, "id"))))
                .post("/experiences/{id}/attach", (req, res) -> Http.ok(res,
                        directory.attach(auth.authenticate(req), Http.pathParam(req, "id"), Http.body(req))))
                .post("/products", (req, res) -> Http.json(res, 201, directory.createProduct(auth.authenticate(req), Http.body(req))))
                .get("/products/{id}", (req, res) -> Http.ok(res, directory.product(auth.authenticate(req), Http.pathParam(req, "id"))))
                .post("/memberships", (req, res) -> Http.json(res, 201, directory.createMembership(auth.authenticate(req), Http.body(req))))
                .get("/memberships/{id}", (req, res) -> Http.ok(res, directory.membership(auth.authenticate(req), Http.pathParam(req, "id"))))
                .post("/memberships/{id}/cancel", (req, res) -> Http.ok(res,
                        directory.cancelMembership(auth.authenticate(req), Http.pathParam(req, "id"))))
                .post("/authorized_users", (req, res) -> Http.json(res, 201,
                        directory.createAuthorizedUser(auth.authenticate(req), Http.body(req))));
    }
}
