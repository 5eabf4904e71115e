package io.protorpc.examples;

import io.protorpc.RpcClient;
import io.protorpc.RpcServer;
import java.io.IOException;

/**
 * A real server with the four example services and a client connected to it over loopback, with
 * the framing asked for; closed together.
 */
final class Loopback implements AutoCloseable {
  final RpcServer server;
  final RpcClient client;

  private Loopback(RpcServer server, RpcClient client) {
    this.server = server;
    this.client = client;
  }

  static Loopback connect(String framing) throws IOException {
    RpcServer server = Demo.serving(RpcServer.builder()).start();
    try {
      return new Loopback(server, RpcClient.builder().address(server.localAddress())
          .framing(framing).connect());
    } catch (IOException | RuntimeException e) {
      server.close();
      throw e;
    }
  }

  @Override
  public void close() {
    client.close();
    server.close();
  }
}
