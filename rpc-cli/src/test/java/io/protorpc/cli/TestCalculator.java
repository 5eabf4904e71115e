package io.protorpc.cli;

import io.protorpc.RpcException;
import io.protorpc.ServerController;
import io.protorpc.Status;
import io.protorpc.StatusCode;
import io.protorpc.examples.calculator.CalculatorRpc;
import io.protorpc.examples.calculator.DivideRequest;
import io.protorpc.examples.calculator.DivideResponse;
import io.protorpc.examples.calculator.InvalidOperation;

/**
 * The example calculator's contract (division by zero is INVALID_ARGUMENT with an InvalidOperation
 * detail) on its generated interface alone, so these tests depend on the example's .proto, not on
 * where rpc-examples keeps its implementation. The demo server (CliEndToEndIT) runs the real one.
 */
final class TestCalculator implements CalculatorRpc.BlockingService {
  @Override
  public DivideResponse divide(DivideRequest request, ServerController call) throws RpcException {
    double divisor = request.hasNum2() ? request.getNum2() : 1;
    if (divisor == 0) {
      throw new RpcException(Status.of(StatusCode.INVALID_ARGUMENT, "division by zero")
          .withDetails(InvalidOperation.newBuilder().setWhatOp("divide")
              .setWhy("cannot divide " + request.getNum1() + " by zero").build()));
    }
    return DivideResponse.newBuilder().setResult((float) (request.getNum1() / divisor)).build();
  }
}
