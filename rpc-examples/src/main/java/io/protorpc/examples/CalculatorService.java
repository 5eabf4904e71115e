package io.protorpc.examples;

import com.google.protobuf.RpcCallback;
import com.google.protobuf.RpcController;
import io.protorpc.ServerController;
import io.protorpc.Status;
import io.protorpc.StatusCode;
import io.protorpc.examples.calculator.Calculator;
import io.protorpc.examples.calculator.DivideRequest;
import io.protorpc.examples.calculator.DivideResponse;
import io.protorpc.examples.calculator.InvalidOperation;

/** The calculator's server side: division by zero fails with an {@link InvalidOperation} detail. */
public final class CalculatorService extends Calculator {
  @Override
  public void divide(RpcController controller, DivideRequest request,
      RpcCallback<DivideResponse> done) {
    double divisor = request.hasNum2() ? request.getNum2() : 1;
    if (divisor == 0) {
      ((ServerController) controller).setFailed(
          Status.of(StatusCode.INVALID_ARGUMENT, "division by zero")
              .withDetails(InvalidOperation.newBuilder().setWhatOp("divide")
                  .setWhy("cannot divide " + request.getNum1() + " by zero").build()));
      done.run(null);
      return;
    }
    done.run(DivideResponse.newBuilder().setResult((float) (request.getNum1() / divisor)).build());
  }
}
