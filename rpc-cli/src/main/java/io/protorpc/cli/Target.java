package io.protorpc.cli;

import java.net.InetSocketAddress;

/** A server's {@code HOST:PORT}; an IPv6 host goes in brackets: {@code [::1]:9090}. */
record Target(String host, int port) {
  static Target parse(String text) throws CliException {
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw CliException.usage("'" + text + "' is not HOST:PORT");
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.contains(":")) {
      throw CliException.usage("'" + text + "': put an IPv6 host in brackets, e.g. [::1]:9090");
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 1 || port > 65_535) {
      throw CliException.usage("'" + text + "': the port must be 1 to 65535");
    }
    return new Target(host, port);
  }

  InetSocketAddress address() {
    return new InetSocketAddress(host, port);
  }

  @Override
  public String toString() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}
