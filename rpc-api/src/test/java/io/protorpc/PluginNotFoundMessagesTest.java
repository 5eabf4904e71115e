package io.protorpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.protorpc.spi.Codec;
import io.protorpc.spi.Compressor;
import io.protorpc.spi.Framing;
import io.protorpc.spi.Transport;
import org.junit.jupiter.api.Test;

/**
 * Every path that finds no plugin says so in one shape, with what to add. rpc-api's own tests
 * run with no codec and no transport installed, as a project that forgot them would.
 */
class PluginNotFoundMessagesTest {
  private static final String CODEC = "no available Codec found (found: none); add "
      + "io.protorpc:rpc-codec-protobuf to the module path or class path";

  @Test
  void lookupByNameNamesTheArtifact() {
    assertEquals("no Compressor named 'zstd' found (found: identity); add "
        + "io.protorpc:rpc-codec-compress to the module path or class path",
        assertThrows(PluginNotFoundException.class,
            () -> PluginRegistry.find(Compressor.class, "zstd")).getMessage());
    assertEquals("no Framing named 'varint' found (found: delimiter, length)",
        assertThrows(PluginNotFoundException.class,
            () -> PluginRegistry.find(Framing.class, "varint")).getMessage(),
        "not one of protorpc's own: nothing to suggest");
  }

  @Test
  void defaultLookupNamesTheArtifactToo() {
    assertEquals(CODEC, assertThrows(PluginNotFoundException.class,
        () -> PluginRegistry.defaultFor(Codec.class)).getMessage());
    assertEquals("no available Transport found (found: none); add "
        + "io.protorpc:rpc-transport-netty or io.protorpc:rpc-transport-socket to the module "
        + "path or class path", assertThrows(PluginNotFoundException.class,
            () -> PluginRegistry.defaultFor(Transport.class)).getMessage());
  }

  @Test
  void clientAndServerSayTheSame() {
    assertEquals(assertThrows(PluginNotFoundException.class,
        () -> PluginRegistry.defaultFor(Transport.class)).getMessage(),
        assertThrows(PluginNotFoundException.class,
            () -> RpcClient.builder().address("127.0.0.1", 1).connect()).getMessage());
    assertEquals(CODEC, assertThrows(PluginNotFoundException.class,
        () -> RpcServer.builder().transport(new UnusedTransport()).start()).getMessage());
  }

  /** Never asked to do anything: the server stops at the missing codec first. */
  private static final class UnusedTransport implements Transport {
    @Override
    public String name() {
      return "unused";
    }

    @Override
    public io.protorpc.spi.Connection connect(java.net.SocketAddress remote,
        io.protorpc.spi.TransportOptions options, io.protorpc.spi.ConnectionHandler handler) {
      throw new AssertionError("not reached");
    }

    @Override
    public io.protorpc.spi.Listener listen(java.net.SocketAddress local,
        io.protorpc.spi.TransportOptions options, Transport.Acceptor acceptor) {
      throw new AssertionError("not reached");
    }
  }
}
