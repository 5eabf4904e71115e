package io.protorpc.examples;

import com.google.protobuf.ByteString;
import com.google.protobuf.ServiceException;
import io.protorpc.ClientController;
import io.protorpc.RpcClient;
import io.protorpc.RpcException;
import io.protorpc.StatusCode;
import io.protorpc.examples.calculator.CalculatorRpc;
import io.protorpc.examples.calculator.DivideRequest;
import io.protorpc.examples.calculator.InvalidOperation;
import io.protorpc.examples.echo.EchoMessage;
import io.protorpc.examples.echo.EchoService;
import io.protorpc.examples.game.GameRpc;
import io.protorpc.examples.game.RequestMessage;
import io.protorpc.examples.recommend.ArticleResponse;
import io.protorpc.examples.recommend.RecommendRpc;
import io.protorpc.examples.recommend.UserRequest;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the demo does with one client: a number of calls to each example service, every answer
 * checked, the echo calls' latency and the bytes on the wire measured.
 *
 * <p>Of {@code calls} calls, a tenth (at least one) go to each of Calculator, Game and Recommend,
 * one at a time; the rest are 1 KiB echoes, half one at a time, timed, and half all at once through
 * the async stub. The first fifth of the timed echoes warm the JIT up and are left out of the
 * percentiles.
 */
final class Workload {
  /** The fewest calls a configuration can make: one per service. */
  static final int MIN_CALLS = 4;

  /** Articles each Recommend call asks for. */
  static final int ARTICLES = 20;

  private static final int ECHO_BYTES = 1024;
  private static final long WAIT_SECONDS = 60;

  private final int calls;
  private final int perService;
  private final int sequentialEchoes;
  private final int concurrentEchoes;
  private final int warmup;
  private final EchoMessage echoRequest;

  Workload(int calls) {
    if (calls < MIN_CALLS) {
      throw new IllegalArgumentException("calls must be at least " + MIN_CALLS + ": " + calls);
    }
    this.calls = calls;
    this.perService = Math.max(1, calls / 10);
    int echoes = calls - 3 * perService;
    this.sequentialEchoes = (echoes + 1) / 2;
    this.concurrentEchoes = echoes - sequentialEchoes;
    this.warmup = sequentialEchoes / 5;
    byte[] bytes = new byte[ECHO_BYTES];
    Arrays.fill(bytes, (byte) 'x'); // compressible, so a compressor has something to do
    this.echoRequest = EchoMessage.newBuilder().setPayload(ByteString.copyFrom(bytes)).build();
  }

  /** Two lines saying what each configuration does. */
  String describe() {
    return "each configuration makes " + calls + " calls: " + perService
        + " each to Calculator, Game and Recommend (" + ARTICLES + " articles),"
        + System.lineSeparator() + (sequentialEchoes + concurrentEchoes) + " echoes of 1 KiB: "
        + sequentialEchoes + " one at a time (timed, after " + warmup + " warm-up calls) and "
        + concurrentEchoes + " at once";
  }

  /** One configuration's outcome: a row of the demo's table. */
  record Result(String configuration, int calls, int succeeded, double p50Micros,
      double p99Micros, long bytesPerCall) {
    boolean allSucceeded() {
      return succeeded == calls;
    }
  }

  /**
   * Makes the calls on {@code client}, whose transport is {@code counter}, and sums up. Bytes are
   * counted from here on: the connection's handshake is not part of any call.
   */
  Result run(RpcClient client, ByteCountingTransport counter) throws InterruptedException {
    long bytesBefore = counter.bytesTotal();
    int succeeded = 0;
    CalculatorRpc.BlockingStub calc = CalculatorRpc.newBlockingStub(client);
    GameRpc.BlockingStub game = GameRpc.newBlockingStub(client);
    RecommendRpc.BlockingStub recommend = RecommendRpc.newBlockingStub(client);
    for (int i = 0; i < perService; i++) {
      succeeded += divides(calc, i) + connects(game, i) + recommends(recommend, i);
    }
    EchoService.BlockingInterface echo = EchoService.newBlockingStub(client);
    long[] latencies = new long[sequentialEchoes - warmup];
    for (int i = 0; i < sequentialEchoes; i++) {
      long start = System.nanoTime();
      succeeded += echoes(echo);
      if (i >= warmup) {
        latencies[i - warmup] = System.nanoTime() - start;
      }
    }
    succeeded += echoAllAtOnce(EchoService.newStub(client));
    long bytes = counter.bytesTotal() - bytesBefore;
    Arrays.sort(latencies);
    String configuration = client.transportName() + " / " + client.framingName() + " / "
        + client.compressorName();
    return new Result(configuration, calls, succeeded, percentile(latencies, 0.50) / 1e3,
        percentile(latencies, 0.99) / 1e3, Math.round((double) bytes / calls));
  }

  /** Divide(i, 4) on even i; on odd i, division by zero, which must fail as InvalidOperation. */
  private static int divides(CalculatorRpc.BlockingStub calc, int i) {
    try {
      if (i % 2 == 0) {
        float q = calc.divide(DivideRequest.newBuilder().setNum1(i).setNum2(4).build())
            .getResult();
        return q == i / 4f ? 1 : 0;
      }
      calc.divide(DivideRequest.newBuilder().setNum1(i).setNum2(0).build());
      return 0; // dividing by zero must fail
    } catch (RpcException e) {
      boolean expected = i % 2 == 1 && e.code() == StatusCode.INVALID_ARGUMENT
          && e.status().details(InvalidOperation.class).isPresent();
      return expected ? 1 : 0;
    }
  }

  private static int connects(GameRpc.BlockingStub game, int i) {
    String player = "player-" + i;
    try {
      RequestMessage answer = game.connectServer(
          RequestMessage.newBuilder().setMessage(player).build());
      return answer.getMessage().startsWith("welcome, " + player + " ") ? 1 : 0;
    } catch (RpcException e) {
      return 0;
    }
  }

  private static int recommends(RecommendRpc.BlockingStub recommend, int i) {
    long now = System.currentTimeMillis();
    try {
      ArticleResponse r = recommend.userRecommend(UserRequest.newBuilder()
          .setUserId(1000 + i).setArticleNum(ARTICLES).setTimeStamp(now).build());
      return r.getExposure() == ARTICLES && r.getArticlesCount() == ARTICLES
          && r.getTimeStamp() == now ? 1 : 0;
    } catch (RpcException e) {
      return 0;
    }
  }

  private int echoes(EchoService.BlockingInterface echo) {
    try {
      return echo.echo(new ClientController(), echoRequest).equals(echoRequest) ? 1 : 0;
    } catch (ServiceException e) {
      return 0;
    }
  }

  private int echoAllAtOnce(EchoService.Interface echo) throws InterruptedException {
    CountDownLatch done = new CountDownLatch(concurrentEchoes);
    AtomicInteger ok = new AtomicInteger();
    for (int i = 0; i < concurrentEchoes; i++) {
      echo.echo(new ClientController(), echoRequest, r -> {
        if (echoRequest.equals(r)) {
          ok.incrementAndGet();
        }
        done.countDown();
      });
    }
    done.await(WAIT_SECONDS, TimeUnit.SECONDS);
    return ok.get();
  }

  private static double percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    return sorted[(int) Math.min(sorted.length - 1, Math.round(p * (sorted.length - 1)))];
  }

  /** Calls each service once with a telling request and prints what came back. */
  static void showServices(RpcClient client, PrintStream out) throws ServiceException {
    CalculatorRpc.BlockingStub calc = CalculatorRpc.newBlockingStub(client);
    out.println("Calculator.Divide(10, 4) = " + calc.divide(
        DivideRequest.newBuilder().setNum1(10).setNum2(4).build()).getResult());
    out.println("Calculator.Divide(7) = " + calc.divide(
        DivideRequest.newBuilder().setNum1(7).build()).getResult() + "   (num2 defaults to 1)");
    try {
      calc.divide(DivideRequest.newBuilder().setNum1(1).setNum2(0).build());
      out.println("Calculator.Divide(1, 0) unexpectedly succeeded");
    } catch (RpcException e) {
      InvalidOperation op = e.status().details(InvalidOperation.class).orElseThrow();
      out.println("Calculator.Divide(1, 0) failed: " + e.code() + " \"" + e.status().message()
          + "\", InvalidOperation{what_op=" + op.getWhatOp() + ", why=" + op.getWhy() + "}");
    }

    RequestMessage hello = GameRpc.newBlockingStub(client).connectServer(
        RequestMessage.newBuilder().setMessage("ada").build());
    out.println("Game.ConnectServer(\"ada\") = \"" + hello.getMessage() + "\"");

    RecommendRpc.BlockingStub recommend = RecommendRpc.newBlockingStub(client);
    ArticleResponse r = recommend.userRecommend(UserRequest.newBuilder()
        .setUserId(42).setArticleNum(3).setTimeStamp(System.currentTimeMillis()).build());
    StringBuilder articles = new StringBuilder();
    r.getArticlesList().forEach(a -> articles.append(articles.length() == 0 ? "" : ", ")
        .append('#').append(a.getArticleId()).append(" (").append(a.getArticleInfo().getViews())
        .append(" views, ").append(a.getArticleInfo().getShare()).append(" shares)"));
    out.println("Recommend.UserRecommend(user 42, 3 articles): exposure " + r.getExposure() + ": "
        + articles);
    try {
      recommend.userRecommend(
          UserRequest.newBuilder().setUserId(42).setArticleNum(5000).build());
      out.println("Recommend.UserRecommend(5000 articles) unexpectedly succeeded");
    } catch (RpcException e) {
      out.println("Recommend.UserRecommend(user 42, 5000 articles) failed: " + e.getMessage());
    }
    out.println();
  }
}
