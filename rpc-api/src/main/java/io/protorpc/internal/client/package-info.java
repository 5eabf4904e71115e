/**
 * The client's machinery, behind the {@link io.protorpc.RpcClient} facade; not exported.
 *
 * <p>A call's way: {@code RpcClient} encodes the request and makes a {@link
 * io.protorpc.internal.client.ClientCall} (the per-call state machine, one completion), which arms
 * its deadline on the {@link io.protorpc.internal.client.Clock} and asks its {@link
 * io.protorpc.internal.client.ClientCall.Router} where to go. Today the router is the one {@link
 * io.protorpc.internal.client.Subchannel} (the connection holder of the client's address), which
 * queues the call until a {@link io.protorpc.internal.client.ClientConnection} is ready, then
 * starts it there; the connection's {@link io.protorpc.internal.client.FrameWriter} writes it.
 *
 * <p>The seam for many servers: a balancer is a {@code ClientCall.Router} that picks, per call,
 * one of several {@code Subchannel}s (by {@link io.protorpc.internal.client.ConnectivityState});
 * a call's {@link io.protorpc.internal.client.ClientCall.Delivery} tells whether it may have run
 * ({@code NOT_SENT} and {@code UNPROCESSED} calls never ran on a server). The router decides where
 * an attempt goes; the {@link io.protorpc.internal.client.Retrier} decides whether a failed
 * attempt is made again under the call's retry policy, and holds the call during the backoff
 * (throttled by a {@link io.protorpc.internal.client.RetryThrottle}).
 *
 * <p>Threads: callers and the timer only change state and queue work; connecting, writing and
 * closing run on the client's I/O executor. Tests drive all of it with a fake clock, a fake
 * connector and an executor run by hand.
 */
package io.protorpc.internal.client;
