package io.protorpc.builtin;

import io.protorpc.resolver.NameResolver;
import io.protorpc.resolver.Target;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * {@code passthrough}: a target without a scheme, {@code host:port}, is one address, as {@code
 * RpcClient.Builder.address(host, port)} makes it: a host name is looked up and its first address
 * taken. For every address of a name, use {@code dns:///host:port}.
 */
public final class PassthroughResolver implements NameResolver {
  /** ServiceLoader needs a public no-argument constructor. */
  public PassthroughResolver() {}

  @Override
  public String name() {
    return Target.PASSTHROUGH;
  }

  @Override
  public void check(Target target) {
    Target.hostAndPort(target.endpoint(), target);
  }

  @Override
  public List<SocketAddress> resolve(Target target) throws IOException {
    return List.of(resolved(Target.hostAndPort(target.endpoint(), target)));
  }

  /** {@code a}, looked up (its first address). */
  static InetSocketAddress resolved(InetSocketAddress a) throws UnknownHostException {
    InetSocketAddress r = new InetSocketAddress(a.getHostString(), a.getPort());
    if (r.isUnresolved()) {
      throw new UnknownHostException("cannot resolve " + a.getHostString());
    }
    return r;
  }
}
