package io.protorpc.resolver;

import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.Objects;

/**
 * A parsed target string: {@code scheme://authority/endpoint}, or a bare {@code host:port}, which
 * is the {@code passthrough} scheme. Examples:
 *
 * <ul>
 *   <li>{@code 127.0.0.1:9090}, {@code [::1]:9090}, {@code db.internal:9090}: scheme {@code
 *       passthrough}, endpoint the whole string;
 *   <li>{@code dns:///db.internal:9090}: scheme {@code dns}, empty authority, endpoint {@code
 *       db.internal:9090};
 *   <li>{@code static:///10.0.0.1:9090,10.0.0.2:9090}: scheme {@code static}, endpoint the list;
 *   <li>{@code inproc://calc}: scheme {@code inproc}, authority {@code calc}, empty endpoint.
 * </ul>
 *
 * <p>Immutable. Parsing checks only this outer syntax; each scheme's {@link NameResolver#check}
 * checks the rest.
 *
 * @param scheme lower case, e.g. {@code dns}
 * @param authority what stands between {@code //} and the next {@code /}; empty if none
 * @param endpoint what follows; for a bare {@code host:port}, the whole string
 * @param text the target as given
 */
public record Target(String scheme, String authority, String endpoint, String text) {
  /** The scheme of a target given without one: a bare {@code host:port}. */
  public static final String PASSTHROUGH = "passthrough";
  /** Longest target accepted. */
  public static final int MAX_LENGTH = 4096;

  public Target {
    Objects.requireNonNull(scheme, "scheme");
    Objects.requireNonNull(authority, "authority");
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(text, "text");
  }

  /**
   * Parses a target string.
   *
   * @throws IllegalArgumentException if it is empty, longer than {@value #MAX_LENGTH}
   *     characters, has whitespace, or its scheme is not a valid URI scheme
   */
  public static Target parse(String text) {
    Objects.requireNonNull(text, "target");
    if (text.isEmpty() || text.length() > MAX_LENGTH) {
      throw new IllegalArgumentException("a target has 1 to " + MAX_LENGTH + " characters, not "
          + text.length());
    }
    for (int i = 0; i < text.length(); i++) {
      if (Character.isWhitespace(text.charAt(i)) || Character.isISOControl(text.charAt(i))) {
        throw new IllegalArgumentException("target '" + text + "' contains whitespace");
      }
    }
    int sep = text.indexOf("://");
    if (sep < 0) {
      return new Target(PASSTHROUGH, "", text, text);
    }
    String scheme = text.substring(0, sep).toLowerCase(Locale.ROOT);
    if (!validScheme(scheme)) {
      throw new IllegalArgumentException("target '" + text + "' has no valid scheme before '://'"
          + " (a letter, then letters, digits, '+', '-' or '.')");
    }
    String rest = text.substring(sep + 3);
    int slash = rest.indexOf('/');
    String authority = slash < 0 ? rest : rest.substring(0, slash);
    String endpoint = slash < 0 ? "" : rest.substring(slash + 1);
    return new Target(scheme, authority, endpoint, text);
  }

  private static boolean validScheme(String s) {
    if (s.isEmpty() || s.charAt(0) < 'a' || s.charAt(0) > 'z') {
      return false;
    }
    for (int i = 1; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-'
          || c == '.')) {
        return false;
      }
    }
    return true;
  }

  /**
   * Parses {@code host:port} ({@code [v6address]:port} for an IPv6 literal) into an unresolved
   * address; for resolvers of host-based schemes.
   *
   * @throws IllegalArgumentException naming {@code target} if the host is missing or the port is
   *     not 1 to 65535
   */
  public static InetSocketAddress hostAndPort(String hostPort, Target target) {
    String host;
    String port;
    if (hostPort.startsWith("[")) {
      int close = hostPort.indexOf(']');
      if (close < 0 || close + 1 >= hostPort.length() || hostPort.charAt(close + 1) != ':') {
        throw bad(target, "'" + hostPort + "' is not [IPv6 address]:port");
      }
      host = hostPort.substring(1, close);
      port = hostPort.substring(close + 2);
    } else {
      int colon = hostPort.lastIndexOf(':');
      if (colon < 0 || hostPort.indexOf(':') != colon) {
        throw bad(target, "'" + hostPort + "' is not host:port (an IPv6 address goes in [])");
      }
      host = hostPort.substring(0, colon);
      port = hostPort.substring(colon + 1);
    }
    if (host.isEmpty()) {
      throw bad(target, "'" + hostPort + "' has no host");
    }
    int p;
    try {
      p = Integer.parseInt(port);
    } catch (NumberFormatException e) {
      p = -1;
    }
    if (p < 1 || p > 65535) {
      throw bad(target, "'" + hostPort + "' has no port from 1 to 65535");
    }
    return InetSocketAddress.createUnresolved(host, p);
  }

  /** An error about this target, quoting it. */
  public static IllegalArgumentException bad(Target target, String what) {
    return new IllegalArgumentException("target '" + target.text() + "': " + what);
  }

  @Override
  public String toString() {
    return text;
  }
}
