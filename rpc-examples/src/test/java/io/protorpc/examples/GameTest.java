package io.protorpc.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.protorpc.examples.game.GameRpc;
import io.protorpc.examples.game.RequestMessage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GameTest {
  @ParameterizedTest
  @ValueSource(strings = {"length", "delimiter"})
  void connectServerGreetsEachPlayerAndCountsConnections(String framing) throws Exception {
    try (Loopback loopback = Loopback.connect(framing)) {
      // blocking stub
      GameRpc.BlockingStub game = GameRpc.newBlockingStub(loopback.client);
      RequestMessage first = game.connectServer(
          RequestMessage.newBuilder().setMessage("ada").build());
      assertEquals("welcome, ada (connection #1)", first.getMessage());
      RequestMessage nameless = game.connectServer(RequestMessage.getDefaultInstance());
      assertEquals("welcome, stranger (connection #2)", nameless.getMessage());

      // future stub: the answer completes the future
      RequestMessage answer = GameRpc.newFutureStub(loopback.client).connectServer(
          RequestMessage.newBuilder().setMessage("grace ✓").build()).get(10, TimeUnit.SECONDS);
      assertEquals("welcome, grace ✓ (connection #3)", answer.getMessage());
    }
  }
}
