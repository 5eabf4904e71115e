package io.protorpc.examples;

import io.protorpc.ServerController;
import io.protorpc.examples.game.GameRpc;
import io.protorpc.examples.game.RequestMessage;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The game server's side of {@code Game.ConnectServer}: it greets each player by the message they
 * connected with and tells them how many connections it has answered. Written against the
 * generated {@link GameRpc.AsyncService}: the answer is a future, which may complete on any thread.
 *
 * <p>Serve it with {@code RpcServer.builder().addService(GameRpc.bindService(new GameService()))}.
 */
public final class GameService implements GameRpc.AsyncService {
  private final AtomicLong connections = new AtomicLong();

  @Override
  public CompletableFuture<RequestMessage> connectServer(RequestMessage request,
      ServerController call) {
    long n = connections.incrementAndGet();
    String player = request.getMessage().isBlank() ? "stranger" : request.getMessage();
    return CompletableFuture.completedFuture(RequestMessage.newBuilder()
        .setMessage(greeting(player, n))
        .build());
  }

  /** The server's answer to {@code player}, the {@code n}th connection it answered. */
  static String greeting(String player, long n) {
    return "welcome, " + player + " (connection #" + n + ")";
  }
}
