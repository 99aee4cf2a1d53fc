package dev.herald.directory;

import dev.herald.db.Rows;
import dev.herald.events.Events;
import dev.herald.directory.Directory.AppRef;
import dev.herald.directory.Directory.CompanyRef;
import dev.herald.directory.Directory.Image;
import dev.herald.directory.Directory.ProductRef;
import dev.herald.directory.Directory.UserRef;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

import java.util.List;
import java.util.Optional;

/** SQL for users, companies, apps, experiences, products, memberships and team members. */
public final class DirectoryStore {
    public static final String MEMBERSHIP_ACTIVATED = "membership.activated";
    public static final String MEMBERSHIP_DEACTIVATED = "membership.deactivated";
    private final Jdbi jdbi;

    public DirectoryStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** Inserts the user; false when the username is taken. */
    public boolean insertUser(String id, String username, String name, String pictureUrl, String bio) {
        return jdbi.withHandle(h -> h.createUpdate("""
                        insert into users (id, username, name, profile_picture_url, bio)
                        values (:id, :username, :name, :picture, :bio)
                        on conflict do nothing""")
                .bind("id", id).bind("username", username).bind("name", name)
                .bind("picture", pictureUrl).bind("bio", bio)
                .execute()) == 1;
    }

    public Optional<Directory.User> findUser(String id) {
        return jdbi.withHandle(h -> h.createQuery("select * from users where id = :id").bind("id", id)
                .map((rs, ctx) -> new Directory.User(rs.getString("id"), rs.getString("username"), rs.getString("name"),
                        rs.getString("bio"), Image.of(rs.getString("profile_picture_url")), Rows.time(rs, "created_at")))
                .findOne());
    }

    public Optional<String> findUserIdByUsername(String username) {
        return jdbi.withHandle(h -> h.createQuery("select id from users where lower(username) = lower(:u)")
                .bind("u", username).mapTo(String.class).findOne());
    }

    public void insertCompany(String id, String title, String route, String logoUrl) {
        jdbi.useHandle(h -> h.createUpdate("insert into companies (id, title, route, logo_url) values (:id, :title, :route, :logo)")
                .bind("id", id).bind("title", title).bind("route", route).bind("logo", logoUrl).execute());
    }

    public Optional<Directory.Company> findCompany(String id) {
        return jdbi.withHandle(h -> h.createQuery("select * from companies where id = :id").bind("id", id)
                .map((rs, ctx) -> new Directory.Company(rs.getString("id"), rs.getString("title"), rs.getString("route"),
                        Image.of(rs.getString("logo_url")), Rows.time(rs, "created_at")))
                .findOne());
    }

    /** Creates the app and installs it in its own company, in one transaction. */
    public void insertApp(String id, String companyId, String name, String baseUrl, String experiencePath,
                          String dashboardPath, String iconUrl) {
        jdbi.useTransaction(h -> {
            h.createUpdate("""
                            insert into apps (id, company_id, name, base_url, experience_path, dashboard_path, icon_url)
                            values (:id, :company, :name, :base, :exp, :dash, :icon)""")
                    .bind("id", id).bind("company", companyId).bind("name", name).bind("base", baseUrl)
                    .bind("exp", experiencePath).bind("dash", dashboardPath).bind("icon", iconUrl).execute();
            install(h, id, companyId);
        });
    }

    public Optional<Directory.App> findApp(String id) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select a.*, c.title as company_title, c.route as company_route
                        from apps a join companies c on c.id = a.company_id where a.id = :id""")
                .bind("id", id)
                .map((rs, ctx) -> new Directory.App(rs.getString("id"), rs.getString("name"),
                        new CompanyRef(rs.getString("company_id"), rs.getString("company_title"), rs.getString("company_route")),
                        rs.getString("base_url"), rs.getString("experience_path"), rs.getString("dashboard_path"),
                        Image.of(rs.getString("icon_url")), Rows.time(rs, "created_at")))
                .findOne());
    }

    /** Installs the app (once) and returns when it was first installed. */
    public String installApp(String appId, String companyId) {
        return jdbi.withHandle(h -> {
            install(h, appId, companyId);
            return h.createQuery("select created_at from app_installations where app_id = :app and company_id = :company")
                    .bind("app", appId).bind("company", companyId)
                    .map((rs, ctx) -> Rows.time(rs, "created_at")).one();
        });
    }

    private static void install(Handle h, String appId, String companyId) {
        h.createUpdate("insert into app_installations (app_id, company_id) values (:app, :company) on conflict do nothing")
                .bind("app", appId).bind("company", companyId).execute();
    }

    public boolean isInstalled(String appId, String companyId) {
        return jdbi.withHandle(h -> h.createQuery(
                        "select exists (select 1 from app_installations where app_id = :app and company_id = :company)")
                .bind("app", appId).bind("company", companyId).mapTo(Boolean.class).one());
    }

    public void insertExperience(String id, String appId, String companyId, String name, String imageUrl) {
        jdbi.useHandle(h -> h.createUpdate("""
                        insert into experiences (id, app_id, company_id, name, image_url)
                        values (:id, :app, :company, :name, :image)""")
                .bind("id", id).bind("app", appId).bind("company", companyId).bind("name", name).bind("image", imageUrl)
                .execute());
    }

    public Optional<Directory.Experience> findExperience(String id) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select e.*, a.name as app_name, c.title as company_title, c.route as company_route
                        from experiences e join apps a on a.id = e.app_id join companies c on c.id = e.company_id
                        where e.id = :id""")
                .bind("id", id)
                .map((rs, ctx) -> new Directory.Experience(rs.getString("id"), rs.getString("name"),
                        new AppRef(rs.getString("app_id"), rs.getString("app_name")),
                        new CompanyRef(rs.getString("company_id"), rs.getString("company_title"), rs.getString("company_route")),
                        Image.of(rs.getString("image_url")), productsOf(h, rs.getString("id")), Rows.time(rs, "created_at")))
                .findOne());
    }

    /** Whose an experience is: its app and company, without the rest of it. */
    public record Owner(String appId, String companyId) {
    }

    public Optional<Owner> experienceOwner(String id) {
        return jdbi.withHandle(h -> h.createQuery("select app_id, company_id from experiences where id = :id").bind("id", id)
                .map((rs, ctx) -> new Owner(rs.getString("app_id"), rs.getString("company_id"))).findOne());
    }

    public boolean companyExists(String id) {
        return jdbi.withHandle(h -> h.createQuery("select exists (select 1 from companies where id = :id)").bind("id", id)
                .mapTo(Boolean.class).one());
    }

    private static List<ProductRef> productsOf(Handle h, String experienceId) {
        return h.createQuery("""
                        select p.id, p.title, p.route from experience_products ep join products p on p.id = ep.product_id
                        where ep.experience_id = :id order by ep.created_at, p.id""")
                .bind("id", experienceId)
                .map((rs, ctx) -> new ProductRef(rs.getString("id"), rs.getString("title"), rs.getString("route")))
                .list();
    }

    public void attach(String experienceId, String productId) {
        jdbi.useHandle(h -> h.createUpdate("""
                        insert into experience_products (experience_id, product_id) values (:exp, :product)
                        on conflict do nothing""")
                .bind("exp", experienceId).bind("product", productId).execute());
    }

    public void insertProduct(String id, String companyId, String title, String route) {
        jdbi.useHandle(h -> h.createUpdate("insert into products (id, company_id, title, route) values (:id, :company, :title, :route)")
                .bind("id", id).bind("company", companyId).bind("title", title).bind("route", route).execute());
    }

    public Optional<Directory.Product> findProduct(String id) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select p.*, c.title as company_title, c.route as company_route
                        from products p join companies c on c.id = p.company_id where p.id = :id""")
                .bind("id", id)
                .map((rs, ctx) -> new Directory.Product(rs.getString("id"), rs.getString("title"), rs.getString("route"),
                        new CompanyRef(rs.getString("company_id"), rs.getString("company_title"), rs.getString("company_route")),
                        Rows.time(rs, "created_at")))
                .findOne());
    }

    /** Grants the membership and records its {@code membership.activated} event, together. */
    public void insertMembership(String id, String userId, String productId, String companyId) {
        jdbi.useTransaction(h -> {
            h.createUpdate("""
                            insert into memberships (id, user_id, product_id, company_id, status)
                            values (:id, :user, :product, :company, 'active')""")
                    .bind("id", id).bind("user", userId).bind("product", productId).bind("company", companyId).execute();
            Events.emit(h, MEMBERSHIP_ACTIVATED, companyId, findMembership(h, id).orElseThrow());
        });
    }

    /** The active membership of this user in this product, if any (one active membership per pair). */
    public Optional<String> findActiveMembershipId(String userId, String productId) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select id from memberships where user_id = :user and product_id = :product and status = 'active'""")
                .bind("user", userId).bind("product", productId).mapTo(String.class).findFirst());
    }

    public Optional<Directory.Membership> findMembership(String id) {
        return jdbi.withHandle(h -> findMembership(h, id));
    }

    private static Optional<Directory.Membership> findMembership(Handle h, String id) {
        return h.createQuery("""
                        select m.*, u.username, u.name, p.title as product_title, p.route as product_route,
                               c.title as company_title, c.route as company_route
                        from memberships m join users u on u.id = m.user_id join products p on p.id = m.product_id
                        join companies c on c.id = m.company_id where m.id = :id""")
                .bind("id", id)
                .map((rs, ctx) -> new Directory.Membership(rs.getString("id"), rs.getString("status"),
                        new UserRef(rs.getString("user_id"), rs.getString("username"), rs.getString("name")),
                        new ProductRef(rs.getString("product_id"), rs.getString("product_title"), rs.getString("product_route")),
                        new CompanyRef(rs.getString("company_id"), rs.getString("company_title"), rs.getString("company_route")),
                        Rows.time(rs, "created_at"), Rows.time(rs, "canceled_at")))
                .findOne();
    }

    /**
     * Cancels an active membership, closing its access at the current notification position, and
     * records its {@code membership.deactivated} event; cancelling a cancelled one changes nothing.
     */
    public void cancelMembership(String id) {
        jdbi.useTransaction(h -> {
            int changed = h.createUpdate("""
                            update memberships set status = 'canceled', revoked_seq = notification_watermark(), canceled_at = now()
                            where id = :id and status = 'active'""")
                    .bind("id", id).execute();
            if (changed == 1) {
                Directory.Membership membership = findMembership(h, id).orElseThrow();
                Events.emit(h, MEMBERSHIP_DEACTIVATED, membership.company().id(), membership);
            }
        });
    }

    /** Adds a team member; returns the id of the current row (the existing one when already a member). */
    public String insertAuthorizedUser(String id, String companyId, String userId, String role) {
        return jdbi.inTransaction(h -> {
            h.createUpdate("""
                            insert into authorized_users (id, company_id, user_id, role) values (:id, :company, :user, :role)
                            on conflict (company_id, user_id) where removed_at is null do nothing""")
                    .bind("id", id).bind("company", companyId).bind("user", userId).bind("role", role).execute();
            return h.createQuery("select id from authorized_users where company_id = :company and user_id = :user and removed_at is null")
                    .bind("company", companyId).bind("user", userId).mapTo(String.class).one();
        });
    }

    public Optional<Directory.AuthorizedUser> findAuthorizedUser(String id) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select a.*, u.username, u.name, c.title as company_title, c.route as company_route
                        from authorized_users a join users u on u.id = a.user_id join companies c on c.id = a.company_id
                        where a.id = :id""")
                .bind("id", id)
                .map((rs, ctx) -> new Directory.AuthorizedUser(rs.getString("id"), rs.getString("role"),
                        new UserRef(rs.getString("user_id"), rs.getString("username"), rs.getString("name")),
                        new CompanyRef(rs.getString("company_id"), rs.getString("company_title"), rs.getString("company_route")),
                        Rows.time(rs, "created_at")))
                .findOne());
    }

    public boolean isTeamMember(String userId, String companyId) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select exists (select 1 from authorized_users
                                       where user_id = :user and company_id = :company and removed_at is null)""")
                .bind("user", userId).bind("company", companyId).mapTo(Boolean.class).one());
    }

    /** A user's access to an experience in one query: "admin" (team member), "customer" (active membership) or "none". */
    public String experienceAccess(String userId, String experienceId) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select case
                            when exists (select 1 from authorized_users a join experiences e on e.company_id = a.company_id
                                         where e.id = :exp and a.user_id = :user and a.removed_at is null) then 'admin'
                            when exists (select 1 from memberships m join experience_products ep on ep.product_id = m.product_id
                                         where m.user_id = :user and ep.experience_id = :exp and m.status = 'active') then 'customer'
                            else 'none' end""")
                .bind("user", userId).bind("exp", experienceId).mapTo(String.class).one());
    }

    /** True when the user has an active membership in a product the experience is attached to. */
    public boolean isCustomerOfExperience(String userId, String experienceId) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select exists (select 1 from memberships m join experience_products ep on ep.product_id = m.product_id
                                       where m.user_id = :user and ep.experience_id = :exp and m.status = 'active')""")
                .bind("user", userId).bind("exp", experienceId).mapTo(Boolean.class).one());
    }

    public boolean isCustomerOfProduct(String userId, String productId) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select exists (select 1 from memberships where user_id = :user and product_id = :product and status = 'active')""")
                .bind("user", userId).bind("product", productId).mapTo(Boolean.class).one());
    }

    public boolean isCustomerOfCompany(String userId, String companyId) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select exists (select 1 from memberships where user_id = :user and company_id = :company and status = 'active')""")
                .bind("user", userId).bind("company", companyId).mapTo(Boolean.class).one());
    }

    /** Inserts the topic; false when the app already has one with this identifier. */
    public boolean insertTopic(String id, String appId, String identifier, String name, String description, boolean defaultValue) {
        return jdbi.withHandle(h -> h.createUpdate("""
                        insert into notification_topics (id, app_id, identifier, name, description, default_preference_value)
                        values (:id, :app, :identifier, :name, :description, :default) on conflict do nothing""")
                .bind("id", id).bind("app", appId).bind("identifier", identifier).bind("name", name)
                .bind("description", description).bind("default", defaultValue).execute()) == 1;
    }

    public Optional<Directory.Topic> findTopic(String appId, String identifier) {
        return jdbi.withHandle(h -> h.createQuery("select * from notification_topics where app_id = :app and identifier = :identifier")
                .bind("app", appId).bind("identifier", identifier)
                .map((rs, ctx) -> new Directory.Topic(rs.getString("id"), rs.getString("app_id"), rs.getString("identifier"),
                        rs.getString("name"), rs.getString("description"), rs.getBoolean("default_preference_value"),
                        Rows.time(rs, "created_at")))
                .findOne());
    }
}
