package io.protorpc.examples;

import io.protorpc.Metadata;
import io.protorpc.RpcClient;
import io.protorpc.RpcException;
import io.protorpc.examples.calculator.CalculatorRpc;
import io.protorpc.examples.calculator.DivideRequest;
import io.protorpc.examples.calculator.DivideResponse;
import io.protorpc.examples.calculator.InvalidOperation;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The client side of docs/codegen.md, compiled and run (CodegenTourTest): generated stubs with
 * per-call options, a failure as {@link RpcException}, a future, and cancelling one.
 */
final class CodegenTour {
  private CodegenTour() {}

  /** Calls the calculator on {@code client} the ways docs/codegen.md shows, printing outcomes. */
  static void run(RpcClient client, PrintStream out)
      throws RpcException, InterruptedException, ExecutionException, TimeoutException {
    CalculatorRpc.BlockingStub calc = CalculatorRpc.newBlockingStub(client)
        .withDeadline(Duration.ofSeconds(1))                  // each call ends within 1 s of its start
        .withMetadata(new Metadata().put("x-tenant", "acme")) // sent with every request
        .withCompression(true)                                // compressed whatever its size
        .withWaitForReady();                                  // no connection yet? wait for one
    float q = calc.divide(DivideRequest.newBuilder().setNum1(10).setNum2(4).build()).getResult();
    out.println("10 / 4 = " + q);
    try {
      calc.divide(DivideRequest.newBuilder().setNum1(1).setNum2(0).build());
    } catch (RpcException e) {
      InvalidOperation why = e.status().details(InvalidOperation.class).orElseThrow();
      out.println(e.code() + ": " + e.status().message() + " (" + why.getWhy() + ")");
    }

    CalculatorRpc.FutureStub async = CalculatorRpc.newFutureStub(client);
    CompletableFuture<DivideResponse> f =
        async.divide(DivideRequest.newBuilder().setNum1(9).setNum2(3).build());
    out.println("9 / 3 = " + f.get(5, TimeUnit.SECONDS).getResult());
    CompletableFuture<DivideResponse> unwanted = async.divide(DivideRequest.newBuilder().build());
    unwanted.cancel(true); // cancels the call; the server's ServerController.isCanceled() turns true
    out.println("cancelled: " + unwanted.isCancelled());
  }
}
