package io.protorpc.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.protorpc.ClientController;
import io.protorpc.PluginRegistry;
import io.protorpc.RpcClient;
import io.protorpc.RpcServer;
import io.protorpc.examples.echo.EchoMessage;
import io.protorpc.examples.echo.EchoService;
import io.protorpc.spi.Transport;
import org.junit.jupiter.api.Test;

class ByteCountingTransportTest {

  @Test
  void whatOneSideWritesTheOtherReads() throws Exception {
    Transport socket = PluginRegistry.find(Transport.class, "socket");
    ByteCountingTransport serverSide = new ByteCountingTransport(socket);
    ByteCountingTransport clientSide = new ByteCountingTransport(socket);
    assertEquals("socket", clientSide.name(), "invisible to the peer and the registry");
    try (RpcServer server = Demo.serving(RpcServer.builder().transport(serverSide)).start();
        RpcClient client = RpcClient.builder().address(server.localAddress())
            .transport(clientSide).connect()) {
      long handshake = clientSide.bytesTotal();
      assertTrue(handshake > 0, "the preface is counted");

      EchoService.BlockingInterface echo = EchoService.newBlockingStub(client);
      EchoMessage tenKib = EchoMessage.newBuilder()
          .setPayload(ByteString.copyFrom(new byte[10_240])).build();
      for (int i = 0; i < 5; i++) {
        echo.echo(new ClientController(), tenKib);
      }
      // Each call sends and receives the 10 KiB payload plus a few dozen bytes of header and frame.
      long perCall = (clientSide.bytesTotal() - handshake) / 5;
      assertTrue(perCall > 2 * 10_240 && perCall < 2 * 10_240 + 200, perCall + " bytes per call");

      // Both sides count a write when it is handed to the transport and a read when it arrives,
      // so once the client has its last response, every byte either side sent has been counted
      // by both.
      assertEquals(clientSide.bytesWritten(), serverSide.bytesRead());
      assertEquals(clientSide.bytesRead(), serverSide.bytesWritten());
    }
  }
}
