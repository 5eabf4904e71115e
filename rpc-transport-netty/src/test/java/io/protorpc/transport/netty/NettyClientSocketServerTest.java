package io.protorpc.transport.netty;

import io.protorpc.PluginRegistry;
import io.protorpc.spi.Transport;
import io.protorpc.testkit.TransportConformanceSuite;
import org.junit.jupiter.api.extension.ExtendWith;

/** The transport suite with Netty-transport clients calling a socket-transport server. */
@ExtendWith(NettyLeakCheck.class)
class NettyClientSocketServerTest extends TransportConformanceSuite {
  @Override
  protected Transport serverTransport() {
    return PluginRegistry.find(Transport.class, "socket"); // found as installed, by name
  }

  @Override
  protected Transport clientTransport() {
    return new NettyTransport();
  }

  /** The socket server faces the forked-server probes in its own suite; no need to repeat them. */
  @Override
  protected boolean runsServerProbes() {
    return false;
  }
}
