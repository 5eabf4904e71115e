package io.protorpc.examples.quickstart;

import io.protorpc.RpcClient;
import io.protorpc.RpcException;
import io.protorpc.Status;
import io.protorpc.examples.calculator.CalculatorRpc;
import io.protorpc.examples.calculator.DivideRequest;
import io.protorpc.examples.calculator.DivideResponse;
import io.protorpc.examples.calculator.InvalidOperation;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * README's quickstart, step 3: a blocking call, a failing call, and an async call that completes
 * before the client closes, against a running {@link QuickstartServer}. README shows the body of
 * {@link #main} verbatim (ReadmeSnippetsTest checks it).
 *
 * <pre>
 * QuickstartClient [PORT]    default 9090
 * </pre>
 */
public final class QuickstartClient {
  private QuickstartClient() {}

  public static void main(String[] args) throws Exception {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 9090;

    try (RpcClient client = RpcClient.builder()
        .address("127.0.0.1", port)
        .framing("length")            // or "delimiter"
        .defaultTimeout(Duration.ofSeconds(5))
        .connect()) {
      CalculatorRpc.BlockingStub calc = CalculatorRpc.newBlockingStub(client);

      // blocking
      DivideRequest tenByFour = DivideRequest.newBuilder().setNum1(10).setNum2(4).build();
      System.out.println("10 / 4 = " + calc.divide(tenByFour).getResult());

      // a failed call throws RpcException, whose Status carries the server's typed details
      DivideRequest oneByZero = DivideRequest.newBuilder().setNum1(1).setNum2(0).build();
      try {
        calc.divide(oneByZero);
      } catch (RpcException e) {
        Status status = e.status();
        InvalidOperation why = status.details(InvalidOperation.class).orElseThrow();
        System.out.println("1 / 0 failed: " + status.code() + ", " + why.getWhy());
      }

      // async: the future completes on the client's callback executor. Wait for it before
      // close(), which would fail the call instead (UNAVAILABLE); its deadline bounds the wait.
      CompletableFuture<DivideResponse> quotient =
          CalculatorRpc.newFutureStub(client).divide(tenByFour);
      System.out.println("async 10 / 4 = " + quotient.get().getResult());
    }
  }
}
