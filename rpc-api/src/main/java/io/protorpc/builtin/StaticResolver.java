package io.protorpc.builtin;

import io.protorpc.resolver.NameResolver;
import io.protorpc.resolver.Target;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code static:///host1:port1,host2:port2}: a fixed list, in the order given; a host name in it
 * is looked up once per resolution (its first address). Never refreshed but on failures.
 */
public final class StaticResolver implements NameResolver {
  /** The scheme. */
  public static final String NAME = "static";
  /** Most addresses in one list. */
  public static final int MAX_ADDRESSES = 1024;

  /** ServiceLoader needs a public no-argument constructor. */
  public StaticResolver() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void check(Target target) {
    parse(target);
  }

  private static List<InetSocketAddress> parse(Target target) {
    if (!target.authority().isEmpty()) {
      throw Target.bad(target, "write static:///host:port,... (three slashes)");
    }
    String[] parts = target.endpoint().split(",", -1);
    if (parts.length > MAX_ADDRESSES) {
      throw Target.bad(target, parts.length + " addresses, more than " + MAX_ADDRESSES);
    }
    List<InetSocketAddress> list = new ArrayList<>(parts.length);
    Set<String> seen = new HashSet<>();
    for (String p : parts) {
      InetSocketAddress a = Target.hostAndPort(p, target);
      if (!seen.add(a.getHostString().toLowerCase(java.util.Locale.ROOT) + ":" + a.getPort())) {
        throw Target.bad(target, "'" + p + "' appears twice");
      }
      list.add(a);
    }
    return list;
  }

  @Override
  public List<SocketAddress> resolve(Target target) throws IOException {
    List<SocketAddress> out = new ArrayList<>();
    for (InetSocketAddress a : parse(target)) {
      SocketAddress r = PassthroughResolver.resolved(a);
      if (!out.contains(r)) { // two names of one address count once
        out.add(r);
      }
    }
    return List.copyOf(out);
  }
}
