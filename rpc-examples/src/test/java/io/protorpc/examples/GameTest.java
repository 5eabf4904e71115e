package io.protorpc.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.protorpc.ClientController;
import io.protorpc.examples.game.Game;
import io.protorpc.examples.game.RequestMessage;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GameTest {
  @ParameterizedTest
  @ValueSource(strings = {"length", "delimiter"})
  void connectServerGreetsEachPlayerAndCountsConnections(String framing) throws Exception {
    try (Loopback loopback = Loopback.connect(framing)) {
      // blocking stub
      Game.BlockingInterface game = Game.newBlockingStub(loopback.client);
      RequestMessage first = game.connectServer(new ClientController(),
          RequestMessage.newBuilder().setMessage("ada").build());
      assertEquals("welcome, ada (connection #1)", first.getMessage());
      RequestMessage nameless = game.connectServer(new ClientController(),
          RequestMessage.getDefaultInstance());
      assertEquals("welcome, stranger (connection #2)", nameless.getMessage());

      // async stub: the answer arrives in the callback
      ClientController c = new ClientController();
      CompletableFuture<RequestMessage> answer = new CompletableFuture<>();
      Game.newStub(loopback.client).connectServer(c,
          RequestMessage.newBuilder().setMessage("grace ✓").build(), answer::complete);
      assertEquals("welcome, grace ✓ (connection #3)",
          answer.get(10, TimeUnit.SECONDS).getMessage());
      assertFalse(c.failed());
    }
  }
}
