package io.protorpc.builtin;

import io.protorpc.InProcessAddress;
import io.protorpc.resolver.NameResolver;
import io.protorpc.resolver.Target;
import java.net.SocketAddress;
import java.util.List;

/**
 * {@code inproc://name}: the {@link InProcessAddress} of that name, a server in this JVM reached
 * through the in-process transport (rpc-transport-inproc).
 */
public final class InProcessResolver implements NameResolver {
  /** The scheme. */
  public static final String NAME = "inproc";

  /** ServiceLoader needs a public no-argument constructor. */
  public InProcessResolver() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void check(Target target) {
    address(target);
  }

  @Override
  public List<SocketAddress> resolve(Target target) {
    return List.of(address(target));
  }

  private static InProcessAddress address(Target target) {
    if (!target.endpoint().isEmpty()) {
      throw Target.bad(target, "write inproc://name (a name without '/')");
    }
    try {
      return new InProcessAddress(target.authority());
    } catch (IllegalArgumentException e) {
      throw Target.bad(target, e.getMessage());
    }
  }
}
