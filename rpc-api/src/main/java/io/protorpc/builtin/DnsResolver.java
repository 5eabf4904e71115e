package io.protorpc.builtin;

import io.protorpc.resolver.NameResolver;
import io.protorpc.resolver.Target;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code dns:///host:port}: every address the name has (A and AAAA records, through the JDK's
 * resolver, in its order), each with the port. Clients resolve again every 30 seconds and when a
 * connection fails. The JDK caches answers itself ({@code networkaddress.cache.ttl}, 30 s by
 * default without a security manager), so a change shows within about a minute. The authority
 * (a DNS server, {@code dns://8.8.8.8/host:port}) is not supported: the JDK asks the system's.
 */
public final class DnsResolver implements NameResolver {
  /** The scheme. */
  public static final String NAME = "dns";
  private static final Duration REFRESH = Duration.ofSeconds(30);

  /** ServiceLoader needs a public no-argument constructor. */
  public DnsResolver() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void check(Target target) {
    if (!target.authority().isEmpty()) {
      throw Target.bad(target, "a DNS server ('" + target.authority() + "') cannot be chosen; "
          + "write dns:///host:port to use the system's");
    }
    Target.hostAndPort(target.endpoint(), target);
  }

  @Override
  public List<SocketAddress> resolve(Target target) throws IOException {
    check(target);
    InetSocketAddress hostPort = Target.hostAndPort(target.endpoint(), target);
    Set<SocketAddress> found = new LinkedHashSet<>();
    for (InetAddress a : InetAddress.getAllByName(hostPort.getHostString())) {
      found.add(new InetSocketAddress(a, hostPort.getPort()));
    }
    return List.copyOf(found);
  }

  @Override
  public Duration refreshInterval() {
    return REFRESH;
  }
}
