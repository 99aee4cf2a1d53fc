package dev.herald.notify;

/**
 * Audience source keys. A notification's audience rows name sources; a user's feed is the union of
 * the sources they belonged to when each notification was sent:
 * <ul>
 *   <li>{@code exp_…}: everyone with access to the experience (customers and the company's team);
 *       rows marked {@code customers_only} (legacy {@code experiences} targets) reach its customers only</li>
 *   <li>{@code biz_…}: the company's team members; rows marked {@code customers_only} (legacy
 *       {@code companies} targets) reach users with an active product of the company instead</li>
 *   <li>{@code prod_…}: owners of the product (legacy {@code products} targets)</li>
 *   <li>{@code user_…}: that one user (named recipients and mentions)</li>
 * </ul>
 * An @everyone chat mention is an {@code exp_…} row marked as a mention.
 */
public final class Sources {
    private Sources() {
    }

    /** Which rows of a source a reader may see, by how they belong to it. */
    public record Reach(boolean all, boolean customersOnly) {
        public static final Reach CUSTOMER_OF_EXPERIENCE = new Reach(true, true);
        public static final Reach CUSTOMER_OF_COMPANY = new Reach(false, true);
        public static final Reach TEAM = new Reach(true, false);
    }
}
