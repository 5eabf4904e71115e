/** Runnable examples and the demo. Transports and codecs arrive through the module path, not {@code requires}. */
module io.protorpc.examples {
  requires io.protorpc;

  exports io.protorpc.examples;
  exports io.protorpc.examples.calculator;
  exports io.protorpc.examples.echo;
}
