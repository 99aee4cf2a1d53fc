package dev.herald.notify;

/**
 * Audience source keys. A notification's audience rows name sources; a user's feed is the union of
 * the sources they belonged to when each notification was sent:
 * <ul>
 *   <li>{@code exp_…}: everyone with access to the experience (customers and the company's team)</li>
 *   <li>{@code exp_…:everyone}: the same people, for an @everyone chat mention (kept apart so the
 *       mentions filter reads only mention sources)</li>
 *   <li>{@code exp_…:customers}: users with an active product that uses the experience (legacy API)</li>
 *   <li>{@code biz_…}: the company's team members</li>
 *   <li>{@code biz_…:customers}: users with an active product of the company (legacy API)</li>
 *   <li>{@code prod_…}: owners of the product (legacy API)</li>
 *   <li>{@code user_…}: that one user (named recipients and mentions)</li>
 * </ul>
 */
public final class Sources {
    private static final String EVERYONE = ":everyone";
    private Sources() {
    }

    public static String experienceCustomers(String experienceId) {
        return experienceId + ":customers";
    }

    public static String experienceEveryone(String experienceId) {
        return experienceId + EVERYONE;
    }

    static boolean isEveryone(String sourceKey) {
        return sourceKey.endsWith(EVERYONE);
    }

    public static String companyCustomers(String companyId) {
        return companyId + ":customers";
    }
}
