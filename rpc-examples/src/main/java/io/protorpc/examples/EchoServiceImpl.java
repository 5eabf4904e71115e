package io.protorpc.examples;

import com.google.protobuf.RpcController;
import io.protorpc.examples.echo.EchoMessage;
import io.protorpc.examples.echo.EchoService;

/** Echo's server side, as a blocking service: it returns what it was sent. */
public final class EchoServiceImpl implements EchoService.BlockingInterface {
  @Override
  public EchoMessage echo(RpcController controller, EchoMessage request) {
    return request;
  }
}
