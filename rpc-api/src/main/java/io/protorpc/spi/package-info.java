/**
 * The plugin SPIs: {@link io.protorpc.spi.Transport}, {@link io.protorpc.spi.Framing},
 * {@link io.protorpc.spi.Compressor} and {@link io.protorpc.spi.Codec}. Each provider is found by
 * {@link io.protorpc.spi.Plugin#name() name} through {@link io.protorpc.PluginRegistry}, which is
 * backed by {@link java.util.ServiceLoader}. A plugin module declares its provider both in
 * {@code module-info.java} ({@code provides ... with ...}) and in {@code META-INF/services}, so it is
 * found on the module path and on the class path alike.
 *
 * <p>Layering of one call on the wire: the core serializes the payload, a {@link
 * io.protorpc.spi.Compressor} may shrink it, the {@link io.protorpc.spi.Codec} adds the call header
 * (an {@link io.protorpc.spi.Envelope}), the {@link io.protorpc.spi.Framing} delimits the result in
 * the byte stream, and the {@link io.protorpc.spi.Transport} moves bytes.
 */
package io.protorpc.spi;
