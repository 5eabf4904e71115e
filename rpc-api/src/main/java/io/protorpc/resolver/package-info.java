/**
 * Name resolution: how a client's target string becomes the addresses of its servers. A {@link
 * io.protorpc.resolver.Target} names a scheme ({@code dns:///db.internal:9090}, {@code
 * static:///10.0.0.1:9090,10.0.0.2:9090}, {@code inproc://calc}, or a bare {@code host:port}), and
 * the {@link io.protorpc.resolver.NameResolver} plugin of that scheme, found by name through
 * {@link io.protorpc.PluginRegistry} like every other plugin, resolves it. Built in: {@code
 * passthrough} (a bare {@code host:port}), {@code dns}, {@code static} and {@code inproc}.
 *
 * <p>Resolution is pulled, not pushed: the client calls {@link
 * io.protorpc.resolver.NameResolver#resolve} off its callers' threads, again after {@link
 * io.protorpc.resolver.NameResolver#refreshInterval} and whenever its connections fail, so a
 * resolver is a plain function of the target and what it looks up. docs/load-balancing.md has the
 * whole picture.
 */
package io.protorpc.resolver;
