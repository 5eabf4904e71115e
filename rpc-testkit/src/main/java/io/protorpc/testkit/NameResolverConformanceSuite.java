package io.protorpc.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protorpc.PluginRegistry;
import io.protorpc.resolver.NameResolver;
import io.protorpc.resolver.Target;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.ArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What every {@link NameResolver} must do: be found by its scheme; resolve a target to at least
 * one address, without duplicates, the same from many threads at once; refuse malformed targets
 * in {@link NameResolver#check} and {@link NameResolver#resolve} alike, quoting them; and report a
 * sane refresh interval.
 *
 * <p>Extend it and implement {@link #resolver()}, {@link #target()} (one that resolves on a test
 * machine with loopback only) and {@link #malformedTargets()}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class NameResolverConformanceSuite {

  /** The resolver under test. */
  protected abstract NameResolver resolver();

  /** A target of its scheme that resolves here. */
  protected abstract String target();

  /** Targets of its scheme that are malformed (at least one). */
  protected abstract List<String> malformedTargets();

  @Test
  void isFoundByItsScheme() {
    NameResolver r = resolver();
    assertEquals(r.name(), Target.parse(target()).scheme(), "target() is of another scheme");
    assertEquals(r.getClass(), PluginRegistry.find(NameResolver.class, r.name()).getClass(),
        "declare the provider in module-info.java and META-INF/services");
  }

  @Test
  void resolvesToDistinctUsableAddresses() throws Exception {
    Target t = Target.parse(target());
    resolver().check(t);
    List<SocketAddress> addresses = resolver().resolve(t);
    assertFalse(addresses.isEmpty(), "no address");
    Set<SocketAddress> seen = new HashSet<>();
    for (SocketAddress a : addresses) {
      assertNotNull(a, () -> "a null address in " + addresses);
      assertTrue(seen.add(a), () -> a + " twice in " + addresses);
      if (a instanceof InetSocketAddress inet) {
        assertFalse(inet.isUnresolved(), () -> a + " is not resolved");
        assertTrue(inet.getPort() > 0, () -> a + " has no port");
      }
    }
  }

  @Test
  void resolvesTheSameFromManyThreadsAtOnce() throws Exception {
    Target t = Target.parse(target());
    Set<SocketAddress> expected = new HashSet<>(resolver().resolve(t));
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<List<SocketAddress>>> results = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        results.add(pool.submit(() -> resolver().resolve(t)));
      }
      for (Future<List<SocketAddress>> f : results) {
        assertEquals(expected, new HashSet<>(f.get(30, TimeUnit.SECONDS)));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @ParameterizedTest
  @MethodSource("malformedTargets")
  void refusesAMalformedTargetQuotingIt(String malformed) {
    Target t = Target.parse(malformed);
    assertEquals(resolver().name(), t.scheme(), "malformedTargets() holds another scheme");
    IllegalArgumentException checked =
        assertThrows(IllegalArgumentException.class, () -> resolver().check(t));
    assertTrue(checked.getMessage().contains(malformed), checked.getMessage());
    IllegalArgumentException resolving =
        assertThrows(IllegalArgumentException.class, () -> resolver().resolve(t));
    assertTrue(resolving.getMessage().contains(malformed), resolving.getMessage());
  }

  @Test
  void refreshIntervalIsNotNegative() {
    assertNotNull(resolver().refreshInterval());
    assertFalse(resolver().refreshInterval().isNegative());
  }
}
