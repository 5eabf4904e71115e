package io.protorpc.examples;

import com.google.protobuf.RpcCallback;
import com.google.protobuf.RpcController;
import io.protorpc.examples.game.Game;
import io.protorpc.examples.game.RequestMessage;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The game server's side of {@code Game.ConnectServer}: it greets each player by the message they
 * connected with and tells them how many connections it has answered. Written against the async
 * {@link Game.Interface}: the answer goes to {@code done}, which may run on any thread.
 *
 * <p>Serve it with {@code RpcServer.builder().addService(Game.newReflectiveService(new
 * GameService()))}.
 */
public final class GameService implements Game.Interface {
  private final AtomicLong connections = new AtomicLong();

  @Override
  public void connectServer(RpcController controller, RequestMessage request,
      RpcCallback<RequestMessage> done) {
    long n = connections.incrementAndGet();
    String player = request.getMessage().isBlank() ? "stranger" : request.getMessage();
    done.run(RequestMessage.newBuilder()
        .setMessage(greeting(player, n))
        .build());
  }

  /** The server's answer to {@code player}, the {@code n}th connection it answered. */
  static String greeting(String player, long n) {
    return "welcome, " + player + " (connection #" + n + ")";
  }
}
