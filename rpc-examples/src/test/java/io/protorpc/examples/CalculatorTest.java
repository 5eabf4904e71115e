package io.protorpc.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.protorpc.RpcException;
import io.protorpc.StatusCode;
import io.protorpc.examples.calculator.CalculatorRpc;
import io.protorpc.examples.calculator.DivideRequest;
import io.protorpc.examples.calculator.InvalidOperation;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CalculatorTest {
  @ParameterizedTest
  @ValueSource(strings = {"length", "delimiter"})
  void dividesAndReportsDivisionByZeroAsInvalidOperation(String framing) throws Exception {
    try (Loopback loopback = Loopback.connect(framing)) {
      CalculatorRpc.BlockingStub calc = CalculatorRpc.newBlockingStub(loopback.client);
      assertEquals(2.5f, calc.divide(
          DivideRequest.newBuilder().setNum1(10).setNum2(4).build()).getResult());
      assertEquals(7f, calc.divide(
          DivideRequest.newBuilder().setNum1(7).build()).getResult(), "num2 defaults to 1");

      RpcException e = assertThrows(RpcException.class, () ->
          calc.divide(DivideRequest.newBuilder().setNum1(1).setNum2(0).build()));
      assertEquals(StatusCode.INVALID_ARGUMENT, e.code());
      assertEquals("division by zero", e.status().message());
      InvalidOperation op = e.status().details(InvalidOperation.class).orElseThrow();
      assertEquals("divide", op.getWhatOp());
      assertEquals("cannot divide 1.0 by zero", op.getWhy());
    }
  }
}
