package io.protorpc.testkit;

import com.google.protobuf.BlockingService;
import com.google.protobuf.RpcCallback;
import com.google.protobuf.RpcController;
import com.google.protobuf.Service;
import io.protorpc.RpcException;
import io.protorpc.ServerController;
import io.protorpc.Status;
import io.protorpc.StatusCode;
import io.protorpc.testkit.proto.DelayRequest;
import io.protorpc.testkit.proto.EchoRequest;
import io.protorpc.testkit.proto.EchoResponse;
import io.protorpc.testkit.proto.ErrorDetail;
import io.protorpc.testkit.proto.FailRequest;
import io.protorpc.testkit.proto.TestService;
import io.protorpc.testkit.proto.TestServiceRpc;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The server side of {@code TestService}, in the async and the blocking form of generic services
 * and of protorpc's generated {@code TestServiceRpc}, recording what the suites check on the
 * server: how many calls saw their cancellation.
 *
 * <p>Thread-safe.
 */
public final class TestServiceImpl implements TestService.Interface, TestService.BlockingInterface {
  /** Longest a blocking {@code Hang} waits for its cancellation before giving up. */
  private static final long HANG_LIMIT_MILLIS = 30_000;

  private static final long MAX_DELAY_MILLIS = 10_000;
  /** Shared by all instances: a daemon thread that completes async {@code Delay} calls. */
  private static final ScheduledExecutorService DELAYS =
      Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "testkit-delay");
        t.setDaemon(true);
        return t;
      });

  private final Semaphore cancellations = new Semaphore(0);
  private final AtomicLong echoes = new AtomicLong();
  private final Semaphore hangsStarted = new Semaphore(0);

  /** This implementation as an async {@link Service}. */
  public Service asService() {
    return TestService.newReflectiveService(this);
  }

  /** This implementation as a {@link BlockingService}. */
  public BlockingService asBlockingService() {
    return TestService.newReflectiveBlockingService(this);
  }

  /** This implementation bound through protorpc's generated {@code TestServiceRpc.BlockingService}. */
  public Service asGeneratedBlockingService() {
    TestServiceImpl impl = this;
    return TestServiceRpc.bindService(new TestServiceRpc.BlockingService() {
      @Override
      public EchoResponse echo(EchoRequest request, ServerController call) {
        return impl.echo(call, request);
      }

      @Override
      public EchoResponse fail(FailRequest request, ServerController call) throws RpcException {
        return impl.fail(call, request);
      }

      @Override
      public EchoResponse hang(EchoRequest request, ServerController call) {
        return impl.hang(call, request);
      }

      @Override
      public EchoResponse delay(DelayRequest request, ServerController call) {
        return impl.delay(call, request);
      }

      @Override
      public EchoResponse fire(EchoRequest request, ServerController call) {
        return impl.fire(call, request);
      }
    });
  }

  /**
   * This implementation bound through protorpc's generated {@code TestServiceRpc.AsyncService}.
   * Its {@code Hang} returns a future that only the call's cancellation completes (by cancelling
   * it), counted as a cancellation.
   */
  public Service asGeneratedAsyncService() {
    TestServiceImpl impl = this;
    return TestServiceRpc.bindService(new TestServiceRpc.AsyncService() {
      @Override
      public CompletableFuture<EchoResponse> echo(EchoRequest request, ServerController call) {
        return CompletableFuture.completedFuture(impl.echoOf(request));
      }

      @Override
      public CompletableFuture<EchoResponse> fail(FailRequest request, ServerController call) {
        try {
          failAs(call, request);
        } catch (RpcException e) {
          return CompletableFuture.failedFuture(e);
        }
        return CompletableFuture.completedFuture(null);
      }

      @Override
      public CompletableFuture<EchoResponse> hang(EchoRequest request, ServerController call) {
        CompletableFuture<EchoResponse> never = new CompletableFuture<>();
        never.whenComplete((r, e) -> {
          if (never.isCancelled()) {
            cancellations.release();
          }
        });
        hangsStarted.release();
        return never;
      }

      @Override
      public CompletableFuture<EchoResponse> delay(DelayRequest request, ServerController call) {
        CompletableFuture<EchoResponse> f = new CompletableFuture<>();
        impl.delay(call, request, f::complete);
        return f;
      }

      @Override
      public CompletableFuture<EchoResponse> fire(EchoRequest request, ServerController call) {
        return CompletableFuture.completedFuture(impl.echoOf(request));
      }
    });
  }

  /**
   * Waits until {@code count} server-side cancellations (deadline, client cancel, or lost
   * connection) have been observed since the last call, consuming them.
   */
  public boolean awaitCancellations(int count, long timeout, TimeUnit unit)
      throws InterruptedException {
    return cancellations.tryAcquire(count, timeout, unit);
  }

  /**
   * Waits until {@code count} {@code Hang} calls have started running in a handler since the last
   * call, consuming them. Cancel a hanging call only after this, or the server may never have run
   * it.
   */
  public boolean awaitHangsStarted(int count, long timeout, TimeUnit unit)
      throws InterruptedException {
    return hangsStarted.tryAcquire(count, timeout, unit);
  }

  /** How many {@code Echo} calls have run, in either form. */
  public long echoCount() {
    return echoes.get();
  }

  // --- async form ---

  @Override
  public void echo(RpcController controller, EchoRequest request, RpcCallback<EchoResponse> done) {
    done.run(echoOf(request));
  }

  @Override
  public void fire(RpcController controller, EchoRequest request, RpcCallback<EchoResponse> done) {
    done.run(echoOf(request));
  }

  @Override
  public void delay(RpcController controller, DelayRequest request,
      RpcCallback<EchoResponse> done) {
    DELAYS.schedule(() -> done.run(EchoResponse.newBuilder().setText(request.getText()).build()),
        Math.min(request.getMillis(), MAX_DELAY_MILLIS), TimeUnit.MILLISECONDS);
  }

  @Override
  public void fail(RpcController controller, FailRequest request, RpcCallback<EchoResponse> done) {
    try {
      failAs(controller, request);
    } catch (RpcException e) {
      throw new IllegalStateException("async handlers report through the controller", e);
    }
    if (request.getMode() == FailRequest.Mode.SET_FAILED_WITHOUT_DONE) {
      // returns failed without done; the late done must be ignored by the server
      DELAYS.schedule(() -> done.run(EchoResponse.newBuilder().setText("late").build()), 100,
          TimeUnit.MILLISECONDS);
      return;
    }
    done.run(null);
  }

  @Override
  public void hang(RpcController controller, EchoRequest request, RpcCallback<EchoResponse> done) {
    controller.notifyOnCancel(ignored -> cancellations.release());
    hangsStarted.release();
  }

  // --- blocking form ---

  @Override
  public EchoResponse echo(RpcController controller, EchoRequest request) {
    return echoOf(request);
  }

  @Override
  public EchoResponse fire(RpcController controller, EchoRequest request) {
    return echoOf(request);
  }

  @Override
  public EchoResponse delay(RpcController controller, DelayRequest request) {
    try {
      Thread.sleep(Math.min(request.getMillis(), MAX_DELAY_MILLIS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return EchoResponse.newBuilder().setText(request.getText()).build();
  }

  @Override
  public EchoResponse fail(RpcController controller, FailRequest request) throws RpcException {
    failAs(controller, request);
    return null;
  }

  @Override
  public EchoResponse hang(RpcController controller, EchoRequest request) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(HANG_LIMIT_MILLIS);
    Semaphore seen = new Semaphore(0);
    controller.notifyOnCancel(ignored -> seen.release());
    hangsStarted.release();
    try {
      if (seen.tryAcquire(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
        cancellations.release();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return EchoResponse.getDefaultInstance();
  }

  private EchoResponse echoOf(EchoRequest request) {
    echoes.incrementAndGet();
    return EchoResponse.newBuilder().setPayload(request.getPayload()).setText(request.getText())
        .build();
  }

  /** Fails the way the request says; for the async form an RpcException mode throws. */
  private static void failAs(RpcController controller, FailRequest request) throws RpcException {
    Status status = Status.of(StatusCode.forNumber(request.getCode()), request.getMessage());
    switch (request.getMode()) {
      case SET_FAILED_TEXT -> controller.setFailed(request.getMessage());
      case SET_FAILED_STATUS, SET_FAILED_WITHOUT_DONE ->
          ((ServerController) controller).setFailed(status.withDetails(
          ErrorDetail.newBuilder().setReason(request.getMessage()).setValue(42).build()));
      case THROW_RUNTIME -> throw new IllegalStateException(request.getMessage());
      case THROW_RPC_EXCEPTION -> throw new RpcException(status);
      case DONE_WITH_NULL -> { }
      default -> throw new IllegalArgumentException("unknown mode " + request.getMode());
    }
  }
}
