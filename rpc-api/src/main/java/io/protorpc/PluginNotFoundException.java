package io.protorpc;

/**
 * A plugin was asked for by a name that no installed provider has, or whose provider cannot work
 * here. The message lists the names that were found and, for protorpc's own plugins, what to do:
 * add the artifact that provides the missing one, or, when its class is present but was not
 * discovered (a shaded jar that lost {@code META-INF/services}), merge the services files.
 */
public class PluginNotFoundException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public PluginNotFoundException(String message) {
    super(message);
  }
}
