package dev.herald.webhook;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * Where webhooks may go. A receiver's name is resolved here, every address it resolves to is
 * checked, and the sender connects to those very addresses, so a DNS answer that changes between
 * the check and the connection (rebinding) cannot point a delivery into the operator's network.
 * Loopback, private, link-local (cloud metadata), unique-local, shared (CGNAT), multicast and
 * reserved addresses are refused unless the operator allows them ({@code HERALD_WEBHOOKS_ALLOW_PRIVATE}).
 */
public final class Destinations {
    /** A destination Herald will not send to. */
    public static final class Refused extends Exception {
        Refused(String message) {
            super(message, null, false, false);
        }
    }

    private final boolean allowPrivate;

    public Destinations(boolean allowPrivate) {
        this.allowPrivate = allowPrivate;
    }

    /** The host's addresses, all of them allowed; refused as a whole if any is not, so no answer order can slip one in. */
    public List<InetAddress> resolve(String host) throws UnknownHostException, Refused {
        List<InetAddress> addresses = List.of(InetAddress.getAllByName(host));
        if (!allowPrivate) {
            for (InetAddress address : addresses) {
                if (!isPublic(address)) {
                    throw new Refused(host + " resolves to " + address.getHostAddress()
                            + ", a private, loopback or link-local address (HERALD_WEBHOOKS_ALLOW_PRIVATE is off)");
                }
            }
        }
        return addresses;
    }

    static boolean isPublic(InetAddress address) {
        if (address.isAnyLocalAddress() || address.isLoopbackAddress() || address.isLinkLocalAddress()
                || address.isSiteLocalAddress() || address.isMulticastAddress()) {
            return false;
        }
        byte[] b = address.getAddress();
        if (address instanceof Inet4Address) {
            int first = b[0] & 0xff;
            int second = b[1] & 0xff;
            return first != 0                                         // 0.0.0.0/8 "this network"
                    && !(first == 100 && second >= 64 && second < 128) // 100.64.0.0/10 shared (CGNAT)
                    && !(first == 192 && second == 0 && (b[2] & 0xff) == 0) // 192.0.0.0/24 protocol assignments
                    && !(first == 198 && (second == 18 || second == 19)) // 198.18.0.0/15 benchmarking
                    && first < 240;                                    // 240.0.0.0/4 reserved and broadcast
        }
        if (address instanceof Inet6Address) {
            int first = b[0] & 0xff;
            if ((first & 0xfe) == 0xfc) {
                return false; // fc00::/7 unique local
            }
            if (isEmbeddedIpv4(b)) {
                // ::ffff:a.b.c.d, NAT64 64:ff9b::a.b.c.d: judged by the IPv4 address they carry.
                try {
                    return isPublic(InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]}));
                } catch (UnknownHostException e) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean isEmbeddedIpv4(byte[] b) {
        boolean mapped = true;
        for (int i = 0; i < 10; i++) {
            mapped &= b[i] == 0;
        }
        mapped &= (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
        boolean nat64 = (b[0] & 0xff) == 0x00 && (b[1] & 0xff) == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b;
        for (int i = 4; i < 12 && nat64; i++) {
            nat64 = b[i] == 0;
        }
        return mapped || nat64;
    }
}
