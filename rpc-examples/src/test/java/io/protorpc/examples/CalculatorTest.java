package io.protorpc.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.protorpc.ClientController;
import io.protorpc.RpcException;
import io.protorpc.StatusCode;
import io.protorpc.examples.calculator.Calculator;
import io.protorpc.examples.calculator.DivideRequest;
import io.protorpc.examples.calculator.InvalidOperation;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CalculatorTest {
  @ParameterizedTest
  @ValueSource(strings = {"length", "delimiter"})
  void dividesAndReportsDivisionByZeroAsInvalidOperation(String framing) throws Exception {
    try (Loopback loopback = Loopback.connect(framing)) {
      Calculator.BlockingInterface calc = Calculator.newBlockingStub(loopback.client);
      assertEquals(2.5f, calc.divide(new ClientController(),
          DivideRequest.newBuilder().setNum1(10).setNum2(4).build()).getResult());
      assertEquals(7f, calc.divide(new ClientController(),
          DivideRequest.newBuilder().setNum1(7).build()).getResult(), "num2 defaults to 1");

      ClientController c = new ClientController();
      RpcException e = assertThrows(RpcException.class, () ->
          calc.divide(c, DivideRequest.newBuilder().setNum1(1).setNum2(0).build()));
      assertEquals(StatusCode.INVALID_ARGUMENT, e.code());
      assertEquals("division by zero", c.errorText());
      InvalidOperation op = c.status().details(InvalidOperation.class).orElseThrow();
      assertEquals("divide", op.getWhatOp());
      assertEquals(op, e.status().details(InvalidOperation.class).orElseThrow());
    }
  }
}
