package io.protorpc.transport.netty;

import io.protorpc.spi.Transport;
import io.protorpc.testkit.TransportConformanceSuite;
import org.junit.jupiter.api.extension.ExtendWith;

/** The Netty transport against the testkit's transport suite, with both built-in framings. */
@ExtendWith(NettyLeakCheck.class)
class NettyTransportConformanceTest extends TransportConformanceSuite {
  @Override
  protected Transport serverTransport() {
    return new NettyTransport();
  }
}
