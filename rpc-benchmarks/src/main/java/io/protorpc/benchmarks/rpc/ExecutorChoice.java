package io.protorpc.benchmarks.rpc;

import io.protorpc.RpcClient;
import io.protorpc.RpcServer;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The {@code executor} benchmark parameter shared by the RPC peers. {@code default}: the
 * executors the library creates; {@code direct}: handlers and callbacks on the transport's
 * threads. protorpc also takes {@code lifo}, an experiment through the public builders: on both
 * sides a pool that hands each task to the thread that went idle last (a synchronous hand-off, as
 * {@code Executors.newCachedThreadPool} does) instead of queueing it for the one idle longest.
 */
final class ExecutorChoice {
  private ExecutorChoice() {}

  /** {@code true} for {@code direct}, {@code false} for {@code default}; anything else fails. */
  static boolean isDirect(String executor) {
    return switch (executor) {
      case "default" -> false;
      case "direct" -> true;
      default -> throw new IllegalArgumentException("executor: default or direct, not " + executor);
    };
  }

  /** Sets up both builders for {@code executor}; returns the pools to shut down after. */
  static List<ExecutorService> apply(String executor, RpcServer.Builder server,
      RpcClient.Builder client) {
    if (executor.equals("lifo")) {
      ExecutorService handlers = lifoPool("bench-lifo-handler");
      ExecutorService callbacks = lifoPool("bench-lifo-callback");
      server.executor(handlers);
      client.callbackExecutor(callbacks);
      return List.of(handlers, callbacks);
    }
    if (isDirect(executor)) {
      server.directExecutor();
      client.callbackExecutor(Runnable::run);
    }
    return List.of();
  }

  /** At most 64 threads, idle ones end after 30 s; beyond 64 busy the caller runs the task. */
  private static ExecutorService lifoPool(String name) {
    return new ThreadPoolExecutor(0, 64, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    }, new ThreadPoolExecutor.CallerRunsPolicy());
  }
}
