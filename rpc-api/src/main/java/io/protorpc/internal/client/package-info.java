/**
 * The client's machinery, behind the {@link io.protorpc.RpcClient} facade; not exported.
 *
 * <p>A call's way: {@code RpcClient} encodes the request and makes a {@link
 * io.protorpc.internal.client.ClientCall} (the per-call state machine, one completion), which arms
 * its deadline on the {@link io.protorpc.internal.client.Clock} and asks its {@link
 * io.protorpc.internal.client.ClientCall.Router} where to go. For a client of one address the
 * router is its {@link io.protorpc.internal.client.Subchannel} (the connection holder of that
 * address), which queues the call until a {@link io.protorpc.internal.client.ClientConnection} is
 * ready, then starts it there; the connection's {@link io.protorpc.internal.client.FrameWriter}
 * writes it.
 *
 * <p>For a client of a target the router is a {@link
 * io.protorpc.internal.client.BalancedRouter}: it resolves the target, keeps one {@code
 * Subchannel} per address, and per call lets the balancer's picker choose a READY one; calls
 * wait in the router, not in a subchannel. A call's {@link
 * io.protorpc.internal.client.ClientCall.Delivery} says how far it got: {@code NOT_SENT} and
 * {@code UNPROCESSED} calls never ran on a server, and are routed (picked) again. The router
 * decides where an attempt goes; the {@link io.protorpc.internal.client.Retrier} decides whether a
 * failed attempt is made again under the call's retry policy, and holds the call during the
 * backoff (throttled by a {@link io.protorpc.internal.client.RetryThrottle}).
 *
 * <p>Threads: callers and the timer only change state and queue work; connecting, writing and
 * closing run on the client's I/O executor. Tests drive all of it with a fake clock, a fake
 * connector and an executor run by hand.
 */
package io.protorpc.internal.client;
