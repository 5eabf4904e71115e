package io.protorpc.transport.inproc;

import io.protorpc.InProcessAddress;
import io.protorpc.spi.Transport;
import io.protorpc.testkit.TransportConformanceSuite;
import java.net.SocketAddress;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The in-process transport against the testkit's transport suite, with both built-in framings.
 * Raw peers reach it through its own connections (RawConnection over a transport); it carries no
 * TLS, so the TLS tests prove that asking for it is refused.
 */
class InProcessTransportConformanceTest extends TransportConformanceSuite {
  private static final AtomicInteger NAMES = new AtomicInteger();

  @Override
  protected Transport serverTransport() {
    return new InProcessTransport();
  }

  @Override
  protected SocketAddress listenAddress() {
    return new InProcessAddress("conformance-" + NAMES.incrementAndGet());
  }

  @Override
  protected SocketAddress reusableAddress() {
    return listenAddress();
  }

  @Override
  protected boolean carriesTls() {
    return false;
  }

  /**
   * The heap-capped server probes fork a server JVM and reach it over loopback TCP; an
   * in-process server in another JVM cannot be reached at all, so they do not apply here.
   */
  @Override
  protected boolean runsServerProbes() {
    return false;
  }
}
