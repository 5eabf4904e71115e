package io.protorpc.transport.socket;

import io.protorpc.spi.Transport;
import io.protorpc.testkit.TransportConformanceSuite;

/** The socket transport against the testkit's transport suite, with both built-in framings. */
class SocketTransportConformanceTest extends TransportConformanceSuite {
  @Override
  protected Transport serverTransport() {
    return new SocketTransport();
  }
}
