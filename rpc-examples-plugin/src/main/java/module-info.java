/**
 * Example protorpc plugins: the {@code varint} {@link io.protorpc.spi.Framing} and the {@code
 * random} {@link io.protorpc.balancer.LoadBalancer}. Each is found by name through {@link
 * java.util.ServiceLoader} once this module is on the module path (the service declarations at
 * the end of this file) or its jar on the class path (the files under {@code
 * META-INF/services}). The core knows nothing of them.
 */
module io.protorpc.examples.plugin {
  // transitive: the plugins' public signatures use io.protorpc.spi and io.protorpc.balancer types
  requires transitive io.protorpc;

  // exported only so that users can register it explicitly (PluginRegistry.register) where
  // ServiceLoader metadata is lost, e.g. in a shaded jar; selecting it by name needs no export
  exports io.protorpc.examples.plugin;

  provides io.protorpc.spi.Framing with
      io.protorpc.examples.plugin.VarintFraming;
  provides io.protorpc.balancer.LoadBalancer with
      io.protorpc.examples.plugin.RandomBalancer;
}
