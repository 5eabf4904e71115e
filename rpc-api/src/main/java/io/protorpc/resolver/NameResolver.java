package io.protorpc.resolver;

import io.protorpc.spi.Plugin;
import java.io.IOException;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * Resolves the targets of one scheme into server addresses. Its {@link #name()} is the scheme
 * ({@code "dns"}, {@code "static"}, ...); a client looks it up by its target's {@link
 * Target#scheme()} through {@link io.protorpc.PluginRegistry}.
 *
 * <p>A plugin like the others: a public no-argument constructor, declared in {@code
 * module-info.java} ({@code provides io.protorpc.resolver.NameResolver with ...}) and in {@code
 * META-INF/services/io.protorpc.resolver.NameResolver}. One instance serves every client, so it
 * keeps no per-target state and is safe for use from many threads at once.
 */
public interface NameResolver extends Plugin {

  /**
   * Checks a target's syntax without looking anything up; a client calls it when it is built, so
   * a malformed target fails there and then. Does nothing by default.
   *
   * @throws IllegalArgumentException saying what is wrong with the target, quoting it
   */
  default void check(Target target) {}

  /**
   * The target's addresses now, in the order the resolver prefers (a {@code pick_first} balancer
   * tries them in this order). May block (a DNS lookup): the client never calls it on a caller's
   * thread or a transport's.
   *
   * @return at least one address, no duplicates, each of a kind some transport {@linkplain
   *     io.protorpc.spi.Transport#supports supports}
   * @throws IOException if the addresses cannot be found now (the client keeps what it had and
   *     tries again with backoff)
   * @throws IllegalArgumentException if the target is malformed (as {@link #check})
   */
  List<SocketAddress> resolve(Target target) throws IOException;

  /**
   * How long a client keeps a resolution before resolving again while all is well; zero for
   * never (a fixed list). Clients also resolve again when a connection fails. Zero by default.
   */
  default Duration refreshInterval() {
    return Duration.ZERO;
  }
}
