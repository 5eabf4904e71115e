package io.protorpc.spi;

import java.util.Optional;

/**
 * What every provider has: a stable name it is looked up by, whether it can work on this machine,
 * and a priority for picking a default when the user names none.
 *
 * <p>Implementations must have a public no-argument constructor (ServiceLoader creates them) and be
 * safe for use from many threads at once.
 */
public interface Plugin {

  /** The name users select this provider by, e.g. {@code "socket"}, {@code "length"}. Stable, lower case. */
  String name();

  /**
   * Why this provider cannot work here (for instance a native library that failed to load), or
   * empty when it can. Must not throw.
   */
  default Optional<String> unavailableReason() {
    return Optional.empty();
  }

  /** Whether this provider can work here; see {@link #unavailableReason()}. */
  default boolean isAvailable() {
    return unavailableReason().isEmpty();
  }

  /** Higher wins when a default is picked among several available providers of one kind. */
  default int priority() {
    return 0;
  }
}
