import { test } from "node:test";
import assert from "node:assert/strict";
import { formatExpr, parseAnswer, ParseError } from "../../src/rewards/index.js";
import { Budget, BudgetExceeded } from "../../src/rewards/budget.js";

const show = (s: string) => formatExpr(parseAnswer(s));

test("LaTeX and plain text reach the same trees", () => {
  const same: Array<[string, string]> = [
    ["\\frac12", "1/2"], ["\\dfrac{\\pi}{2}", "pi/2"], ["\\sqrt3", "sqrt(3)"], ["4\\sqrt(2)", "4*sqrt(2)"],
    ["2\\cdot 3", "2*3"], ["x^{2}", "x**2"], ["\\left(1, 2\\right)", "(1,2)"], ["\\sin^2 x", "sin(x)^2"],
    ["3 \\le x", "3 <= x"], ["\\infty", "infinity"], ["2 \\times 10^{3}", "2*10^3"],
  ];
  for (const [latex, plain] of same) assert.equal(show(latex), show(plain), `${latex} vs ${plain}`);
});

test("notations parse to the intended structure", () => {
  const cases: Array<[string, string]> = [
    ["2\\frac{1}{2}", "5/2"],
    ["-2\\frac12", "-5/2"],
    ["2\\frac{\\pi}{3}", "2*pi/3"],
    ["1,000,000", "1000000"],
    ["1{,}000", "1000"],
    ["(1,000)", "(1, 0)"],
    ["0.\\overline{3}", "1/3"],
    ["1.5e-3", "3/2000"],
    ["10\\%", "10%"],
    ["30^\\circ", "30"],
    ["5 \\text{ cm}^2", "5 [cm^2]"],
    ["15 square feet", "15 [square feet]"],
    ["60 km/h", "60 [km / h]"],
    ["12 \\text{ apples}", "12"],
    ["28 percent", "28%"],
    ["1 000 000", "1000000"],
    ["10,\\!000", "10000"],
    ["3 1/2", "7/2"],
    ["-3 1/2", "-7/2"],
    ["3\u00bd", "7/2"],
    ["twenty-five", "25"],
    ["two thirds", "2/3"],
    ["one hundred twenty", "120"],
    ["\\text{seven}", "7"],
    ["negative two", "-2"],
    ["\\$5.50", "11/2 [$]"],
    ["11,\\! 111,\\! 100", "11111100"],
    ["\\text{13}", "13"],
    ["(1,2]", "(1, 2]"],
    ["\\{3, 1\\}", "{3, 1}"],
    ["[0,1) \\cup (2, \\infty)", "[0, 1) U (2, oo)"],
    ["\\begin{bmatrix}1 & 0\\\\ 0 & 1\\end{bmatrix}", "[[1, 0], [0, 1]]"],
    ["3 \\pm \\sqrt{2}", "3 +- sqrt(2)"],
    ["x \\in [1, 2]", "x in [1, 2]"],
    ["1 < x \\leq 2", "1 < x <= 2"],
    ["1011_2", "1011_2"],
    ["x_{10} + \\alpha", "x_10 + alpha"],
    ["\\sin 2x \\cos x", "sin(2*x)*cos(x)"],
    ["\\log_2 8", "log(8, 2)"],
    ["\\sqrt[3]{x}", "root(x, 3)"],
    ["\\sin^{-1} x", "arcsin(x)"],
    ["2^3^2", "2^(3^2)"],
    ["|x - |y||", "abs(x - abs(y))"],
    ["1 \\text{ and } 2", "1; 2"],
    ["\\text{No Solution}", "\"no solution\""],
  ];
  for (const [input, expected] of cases) assert.equal(show(input), expected, input);
});

test("what the parser does not understand is an error, not a guess", () => {
  for (const bad of [
    "\\frac{", "3 +", "\\foo{1}", "1, 2, \\dots", "5 apples", "(1,2", "1 3/2", "x 1/2", "\\begin{cases}1\\end{cases}", "", "x \\approx 2",
    "two apples", "5 square apples",
  ]) {
    assert.throws(() => parseAnswer(bad), ParseError, bad);
  }
  assert.throws(() => parseAnswer("1+".repeat(1500) + "1"), ParseError, "too long");
  for (const deep of ["(".repeat(150) + "1" + ")".repeat(150), "-".repeat(150) + "1", "2^".repeat(150) + "2", "\\sqrt{".repeat(150) + "2" + "}".repeat(150)]) {
    assert.throws(() => parseAnswer(deep), /nested too deeply/, deep.slice(0, 20));
  }
});

test("parsing ticks the budget", () => {
  assert.throws(() => parseAnswer("1+".repeat(200) + "1", new Budget({ maxSteps: 50, maxMs: 1000 })), BudgetExceeded);
});
