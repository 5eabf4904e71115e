package io.protorpc;

import java.net.SocketAddress;
import java.util.Objects;

/**
 * The address of a server in this JVM, reached through the in-process transport ({@code
 * "inproc"}, module rpc-transport-inproc) without sockets: a server started with {@code
 * RpcServer.builder().address(new InProcessAddress("calc"))} is reached by a client built with
 * {@code .address(new InProcessAddress("calc"))} or the target {@code "inproc://calc"}. Names are
 * unique per JVM while a server listens on them. Immutable.
 */
public final class InProcessAddress extends SocketAddress {
  private static final long serialVersionUID = 1L;
  /** Longest name accepted. */
  public static final int MAX_NAME_LENGTH = 255;

  private final String name;

  /**
   * @param name 1 to 255 characters, none of them whitespace, {@code /} or {@code ,}
   * @throws IllegalArgumentException if the name is empty, too long or has such a character
   */
  public InProcessAddress(String name) {
    Objects.requireNonNull(name, "name");
    if (name.isEmpty() || name.length() > MAX_NAME_LENGTH) {
      throw new IllegalArgumentException("an in-process name has 1 to " + MAX_NAME_LENGTH
          + " characters, not " + name.length());
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (Character.isWhitespace(c) || c == '/' || c == ',') {
        throw new IllegalArgumentException("an in-process name may not contain '" + c + "': "
            + name);
      }
    }
    this.name = name;
  }

  /** The name. */
  public String name() {
    return name;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof InProcessAddress a && a.name.equals(name);
  }

  @Override
  public int hashCode() {
    return name.hashCode();
  }

  /** {@code inproc://name}, the target that resolves to this address. */
  @Override
  public String toString() {
    return "inproc://" + name;
  }
}
