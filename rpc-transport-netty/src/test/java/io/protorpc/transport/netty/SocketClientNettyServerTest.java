package io.protorpc.transport.netty;

import io.protorpc.PluginRegistry;
import io.protorpc.spi.Transport;
import io.protorpc.testkit.TransportConformanceSuite;
import org.junit.jupiter.api.extension.ExtendWith;

/** The transport suite with socket-transport clients calling a Netty-transport server. */
@ExtendWith(NettyLeakCheck.class)
class SocketClientNettyServerTest extends TransportConformanceSuite {
  @Override
  protected Transport serverTransport() {
    return new NettyTransport();
  }

  @Override
  protected Transport clientTransport() {
    return PluginRegistry.find(Transport.class, "socket"); // found as installed, by name
  }

  /** The netty server faces the forked-server probes in its own suite; no need to repeat them. */
  @Override
  protected boolean runsServerProbes() {
    return false;
  }
}
