package io.protorpc;

/**
 * A plugin was asked for by a name that no installed provider has, or whose provider cannot work
 * here. The message lists the names that were found and, for protorpc's own plugins, the artifact
 * that provides the missing one.
 */
public class PluginNotFoundException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public PluginNotFoundException(String message) {
    super(message);
  }
}
