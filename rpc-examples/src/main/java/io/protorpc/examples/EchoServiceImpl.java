package io.protorpc.examples;

import com.google.protobuf.RpcController;
import io.protorpc.examples.echo.EchoMessage;
import io.protorpc.examples.echo.EchoService;

/**
 * Echo's server side, as a blocking service of protobuf's generic services: it returns what it
 * was sent. The one example on generic services (the others use protorpc's generated stubs), so
 * that path stays tested.
 */
public final class EchoServiceImpl implements EchoService.BlockingInterface {
  @Override
  public EchoMessage echo(RpcController controller, EchoMessage request) {
    return request;
  }
}
