package io.protorpc.examples;

import com.google.protobuf.ByteString;
import com.google.protobuf.ServiceException;
import io.protorpc.ClientController;
import io.protorpc.PluginRegistry;
import io.protorpc.RpcClient;
import io.protorpc.RpcException;
import io.protorpc.RpcServer;
import io.protorpc.examples.calculator.Calculator;
import io.protorpc.examples.calculator.DivideRequest;
import io.protorpc.examples.calculator.InvalidOperation;
import io.protorpc.examples.echo.EchoMessage;
import io.protorpc.examples.echo.EchoService;
import io.protorpc.spi.Compressor;
import io.protorpc.spi.Framing;
import io.protorpc.spi.Plugin;
import io.protorpc.spi.Transport;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The demo: one server per installed transport, and for every framing and compressor a client that
 * calls the calculator and echo services, then a table of what happened. Plugins that are not on
 * the module path are named with the artifact that brings them.
 *
 * <p>Usage: {@code Demo [--calls N]} (default 500 echo calls per configuration).
 */
public final class Demo {
  /** protorpc's own plugins and where they come from, to say what a deployment left out. */
  private static final Map<String, String> KNOWN = Map.of(
      "transport netty", "io.protorpc:rpc-transport-netty",
      "transport socket", "io.protorpc:rpc-transport-socket",
      "compressor zstd", "io.protorpc:rpc-codec-compress",
      "compressor gzip", "io.protorpc:rpc-codec-compress");

  private Demo() {}

  public static void main(String[] args) throws Exception {
    int calls = args.length == 2 && args[0].equals("--calls") ? Integer.parseInt(args[1]) : 500;
    PrintStream out = System.out;
    out.println("protorpc demo: Java " + Runtime.version() + ", " + calls
        + " echo calls of 1 KiB per configuration");
    out.println();
    printModules(out);

    List<Row> rows = new ArrayList<>();
    boolean showedCalculator = false;
    for (Transport transport : available(Transport.class)) {
      try (RpcServer server = RpcServer.builder()
          .transport(transport)
          .addService(new CalculatorService())
          .addService(EchoService.newReflectiveBlockingService(new EchoServiceImpl()))
          .start()) {
        for (Framing framing : available(Framing.class)) {
          for (Compressor compressor : available(Compressor.class)) {
            try (RpcClient client = RpcClient.builder().address(server.localAddress())
                .transport(transport).framing(framing).compressor(compressor).connect()) {
              if (!showedCalculator) {
                showCalculator(client, out);
                showedCalculator = true;
              }
              rows.add(run(client, calls));
            }
          }
        }
      }
    }
    out.printf("%-36s %7s %9s %9s %9s%n", "configuration", "calls", "succeeded", "p50 us",
        "p99 us");
    for (Row r : rows) {
      out.printf("%-36s %7d %9d %9.1f %9.1f%n", r.config, r.calls, r.succeeded, r.p50Micros,
          r.p99Micros);
    }
    boolean allOk = rows.stream().allMatch(r -> r.succeeded == r.calls);
    out.println();
    out.println(allOk ? "all calls succeeded" : "SOME CALLS FAILED");
    if (!allOk) {
      System.exit(1);
    }
  }

  private static void printModules(PrintStream out) {
    for (Class<? extends Plugin> kind : List.of(Transport.class, Framing.class,
        Compressor.class, io.protorpc.spi.Codec.class)) {
      out.println(kind.getSimpleName().toLowerCase() + "s installed: "
          + String.join(", ", PluginRegistry.names(kind)));
    }
    KNOWN.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
      String[] kindAndName = e.getKey().split(" ");
      Class<? extends Plugin> kind =
          kindAndName[0].equals("transport") ? Transport.class : Compressor.class;
      if (PluginRegistry.lookup(kind, kindAndName[1]).isEmpty()) {
        out.println(kindAndName[1] + ": not installed - add " + e.getValue());
      }
    });
    out.println();
  }

  private static <T extends Plugin> List<T> available(Class<T> kind) {
    return PluginRegistry.names(kind).stream()
        .map(n -> PluginRegistry.lookup(kind, n))
        .flatMap(java.util.Optional::stream)
        .toList();
  }

  private static void showCalculator(RpcClient client, PrintStream out) throws ServiceException {
    Calculator.BlockingInterface calc = Calculator.newBlockingStub(client);
    float q = calc.divide(new ClientController(),
        DivideRequest.newBuilder().setNum1(10).setNum2(4).build()).getResult();
    out.println("Calculator.Divide(10, 4) = " + q);
    float defaulted = calc.divide(new ClientController(),
        DivideRequest.newBuilder().setNum1(7).build()).getResult();
    out.println("Calculator.Divide(7) = " + defaulted + "   (num2 defaults to 1)");
    ClientController c = new ClientController();
    try {
      calc.divide(c, DivideRequest.newBuilder().setNum1(1).setNum2(0).build());
      out.println("Calculator.Divide(1, 0) unexpectedly succeeded");
    } catch (RpcException e) {
      InvalidOperation op = e.status().details(InvalidOperation.class).orElseThrow();
      out.println("Calculator.Divide(1, 0) failed: " + e.code() + " \"" + c.errorText()
          + "\", InvalidOperation{what_op=" + op.getWhatOp() + ", why=" + op.getWhy() + "}");
    }
    out.println();
  }

  private record Row(String config, int calls, int succeeded, double p50Micros,
      double p99Micros) {}

  private static Row run(RpcClient client, int calls) throws InterruptedException {
    EchoService.BlockingInterface echo = EchoService.newBlockingStub(client);
    byte[] bytes = new byte[1024];
    Arrays.fill(bytes, (byte) 'x'); // compressible, so a compressor has something to do
    EchoMessage request = EchoMessage.newBuilder().setPayload(ByteString.copyFrom(bytes)).build();
    long[] latencies = new long[calls];
    int succeeded = 0;
    // half the calls one at a time (latency), half at once through the async stub (concurrency)
    int sequential = calls / 2;
    for (int i = 0; i < sequential; i++) {
      long start = System.nanoTime();
      try {
        if (echo.echo(new ClientController(), request).getPayload().size() == bytes.length) {
          succeeded++;
        }
      } catch (ServiceException e) {
        // counted as not succeeded
      }
      latencies[i] = System.nanoTime() - start;
    }
    int concurrent = calls - sequential;
    CountDownLatch done = new CountDownLatch(concurrent);
    AtomicInteger ok = new AtomicInteger();
    EchoService.Interface async = EchoService.newStub(client);
    for (int i = 0; i < concurrent; i++) {
      async.echo(new ClientController(), request, r -> {
        if (r != null && r.getPayload().size() == bytes.length) {
          ok.incrementAndGet();
        }
        done.countDown();
      });
    }
    done.await(60, TimeUnit.SECONDS);
    succeeded += ok.get();
    long[] measured = Arrays.copyOf(latencies, Math.max(1, sequential));
    Arrays.sort(measured);
    String config = client.transportName() + " / " + client.framingName() + " / "
        + client.compressorName();
    return new Row(config, calls, succeeded, percentile(measured, 0.50) / 1e3,
        percentile(measured, 0.99) / 1e3);
  }

  private static double percentile(long[] sorted, double p) {
    int i = (int) Math.min(sorted.length - 1, Math.round(p * (sorted.length - 1)));
    return sorted[i];
  }
}
