package io.protorpc.cli;

import com.google.protobuf.RpcCallback;
import com.google.protobuf.RpcController;
import io.protorpc.ServerController;
import io.protorpc.Status;
import io.protorpc.StatusCode;
import io.protorpc.examples.calculator.Calculator;
import io.protorpc.examples.calculator.DivideRequest;
import io.protorpc.examples.calculator.DivideResponse;
import io.protorpc.examples.calculator.InvalidOperation;

/**
 * The example calculator's contract (division by zero is INVALID_ARGUMENT with an InvalidOperation
 * detail) on the generated base class alone, so these tests depend on the example's .proto, not
 * on where rpc-examples keeps its implementation. The demo server (CliEndToEndIT) runs the real
 * one.
 */
final class TestCalculator extends Calculator {
  @Override
  public void divide(RpcController controller, DivideRequest request,
      RpcCallback<DivideResponse> done) {
    double divisor = request.hasNum2() ? request.getNum2() : 1;
    if (divisor == 0) {
      ((ServerController) controller).setFailed(Status.of(StatusCode.INVALID_ARGUMENT,
          "division by zero").withDetails(InvalidOperation.newBuilder().setWhatOp("divide")
              .setWhy("cannot divide " + request.getNum1() + " by zero").build()));
      done.run(null);
      return;
    }
    done.run(DivideResponse.newBuilder().setResult((float) (request.getNum1() / divisor)).build());
  }
}
