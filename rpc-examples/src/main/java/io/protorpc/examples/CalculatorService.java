package io.protorpc.examples;

import io.protorpc.RpcException;
import io.protorpc.ServerController;
import io.protorpc.Status;
import io.protorpc.StatusCode;
import io.protorpc.examples.calculator.CalculatorRpc;
import io.protorpc.examples.calculator.DivideRequest;
import io.protorpc.examples.calculator.DivideResponse;
import io.protorpc.examples.calculator.InvalidOperation;

/**
 * The calculator's server side, written against the generated {@link
 * CalculatorRpc.BlockingService}: division by zero fails with an {@link InvalidOperation} detail.
 * Serve it with {@code RpcServer.builder().addService(CalculatorRpc.bindService(new
 * CalculatorService()))}.
 */
public final class CalculatorService implements CalculatorRpc.BlockingService {
  @Override
  public DivideResponse divide(DivideRequest request, ServerController call)
      throws RpcException {
    double divisor = request.hasNum2() ? request.getNum2() : 1;
    if (divisor == 0) {
      throw new RpcException(Status.of(StatusCode.INVALID_ARGUMENT, "division by zero")
          .withDetails(InvalidOperation.newBuilder().setWhatOp("divide")
              .setWhy("cannot divide " + request.getNum1() + " by zero").build()));
    }
    return DivideResponse.newBuilder().setResult((float) (request.getNum1() / divisor)).build();
  }
}
