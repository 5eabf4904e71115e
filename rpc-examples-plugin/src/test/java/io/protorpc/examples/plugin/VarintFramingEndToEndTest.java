package io.protorpc.examples.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.protorpc.ClientController;
import io.protorpc.PluginRegistry;
import io.protorpc.RpcClient;
import io.protorpc.RpcServer;
import io.protorpc.spi.Framing;
import io.protorpc.testkit.TestServiceImpl;
import io.protorpc.testkit.proto.EchoRequest;
import io.protorpc.testkit.proto.EchoResponse;
import io.protorpc.testkit.proto.TestService;
import java.io.IOException;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Steps 4 and 5 of writing a plugin: with this module present, a server and a client pick the
 * framing by its name, "varint", through the core's registry; nothing in the core names it.
 */
class VarintFramingEndToEndTest {

  @Test
  void theRegistryFindsTheFramingByNameInItsOwnModule() {
    Framing found = PluginRegistry.find(Framing.class, "varint");
    assertInstanceOf(VarintFraming.class, found);
    assertEquals("io.protorpc.examples.plugin", found.getClass().getModule().getName(),
        "found through `provides` on the module path");
    assertTrue(PluginRegistry.names(Framing.class).contains("varint"));
  }

  @Test
  void callsTravelOverTheVarintFramingChosenByName() throws Exception {
    try (RpcServer server = RpcServer.builder()
            .transport("socket")
            .framings("varint") // this server speaks nothing else
            .addService(new TestServiceImpl().asService())
            .start();
        RpcClient client = RpcClient.builder()
            .address(server.localAddress())
            .transport("socket")
            .framing("varint")
            .connect()) {
      assertEquals("varint", client.framingName());
      TestService.BlockingInterface stub = TestService.newBlockingStub(client);
      Random random = new Random(1);
      // sizes around the prefix's one-, two- and three-byte forms, and a large one
      for (int size : new int[] {0, 1, 120, 127, 128, 16_383, 16_384, 1024 * 1024}) {
        byte[] payload = new byte[size];
        random.nextBytes(payload);
        EchoRequest request = EchoRequest.newBuilder().setText("size " + size)
            .setPayload(ByteString.copyFrom(payload)).build();
        EchoResponse response = stub.echo(new ClientController(), request);
        assertEquals(request.getText(), response.getText());
        assertEquals(request.getPayload(), response.getPayload(), "payload of " + size + " bytes");
      }
      // and many calls in flight at once on the one connection
      TestService.Interface async = TestService.newStub(client);
      CompletableFuture<?>[] calls = new CompletableFuture<?>[200];
      for (int i = 0; i < calls.length; i++) {
        CompletableFuture<EchoResponse> f = new CompletableFuture<>();
        String text = "call " + i;
        async.echo(new ClientController(), EchoRequest.newBuilder().setText(text).build(),
            r -> f.complete(r));
        calls[i] = f.thenAccept(r -> assertEquals(text, r.getText()));
      }
      CompletableFuture.allOf(calls).get(20, TimeUnit.SECONDS);
    }
  }

  @Test
  void aServerWithoutTheFramingRefusesTheClientWithAReason() throws Exception {
    try (RpcServer server = RpcServer.builder().transport("socket").framings("length")
        .addService(new TestServiceImpl().asService()).start()) {
      IOException e = assertThrows(IOException.class, () -> RpcClient.builder()
          .address(server.localAddress()).transport("socket").framing("varint").connect()
          .close());
      assertTrue(e.getMessage().contains("varint"), e.getMessage());
    }
  }
}
