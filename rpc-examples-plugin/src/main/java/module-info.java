/**
 * An example protorpc plugin: the {@code varint} {@link io.protorpc.spi.Framing}. It is found by
 * name through {@link java.util.ServiceLoader} once this module is on the module path (the
 * service declaration at the end of this file) or its jar on the class path (the file under
 * {@code META-INF/services}). The core knows nothing of it.
 */
module io.protorpc.examples.plugin {
  // transitive: VarintFraming's public signatures use io.protorpc.spi types
  requires transitive io.protorpc;

  // exported only so that users can register it explicitly (PluginRegistry.register) where
  // ServiceLoader metadata is lost, e.g. in a shaded jar; selecting it by name needs no export
  exports io.protorpc.examples.plugin;

  provides io.protorpc.spi.Framing with
      io.protorpc.examples.plugin.VarintFraming;
}
