package io.protorpc.examples.calculator;

import com.google.protobuf.RpcCallback;
import com.google.protobuf.RpcController;
import io.protorpc.ServerController;
import io.protorpc.Status;
import io.protorpc.StatusCode;

/**
 * The calculator's server side: division by zero fails with an {@link InvalidOperation} detail.
 * README's quickstart shows this class verbatim (ReadmeSnippetsTest checks it).
 */
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
      done.run(null);  // a failed call is answered when done runs, like any other
      return;
    }
    done.run(DivideResponse.newBuilder().setResult((float) (request.getNum1() / divisor)).build());
  }
}
