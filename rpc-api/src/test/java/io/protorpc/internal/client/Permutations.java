package io.protorpc.internal.client;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Every order of a few events, for tests that play each order of a race. */
final class Permutations {
  private Permutations() {}

  static <T> Stream<List<T>> of(List<T> items) {
    if (items.size() <= 1) {
      return Stream.of(items);
    }
    return items.stream().flatMap(first -> {
      List<T> rest = new ArrayList<>(items);
      rest.remove(first);
      return of(rest).map(tail -> {
        List<T> order = new ArrayList<>();
        order.add(first);
        order.addAll(tail);
        return order;
      });
    });
  }
}
