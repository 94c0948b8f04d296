/**
 * The browser script of the backtest report: reads the embedded series and
 * draws three uPlot charts (equity against buy and hold, drawdown, and price
 * with fills). Plain ES2017 so any current browser runs it without a build.
 */
export const CHART_SCRIPT = String.raw`
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var count = data.equity.length;
  var times = new Array(count);
  for (var i = 0; i < count; i++) times[i] = data.firstSlotSec + i * data.intervalSec;

  function sparse(points) {
    var values = new Array(count).fill(null);
    points.forEach(function (point) { values[point[0]] = point[1]; });
    return values;
  }

  function width() {
    return Math.max(480, Math.min(1200, document.body.clientWidth - 8));
  }

  function markers(color) {
    return {
      stroke: color,
      fill: color,
      paths: function () { return null; },
      points: { show: true, size: 7, stroke: color, fill: color },
    };
  }

  function money(u, values) {
    return values.map(function (v) { return v == null ? "" : v.toLocaleString("en-US"); });
  }

  var charts = [];
  function chart(id, series, values, yLabel) {
    var options = {
      width: width(),
      height: 300,
      series: [{}].concat(series),
      axes: [{}, { label: yLabel, size: 80, values: money }],
      scales: { x: { time: true } },
      legend: { live: true },
    };
    charts.push(new uPlot(options, [times].concat(values), document.getElementById(id)));
  }

  chart("chart-equity", [
    { label: "strategy equity", stroke: "#0969da", width: 1.5 },
    { label: "buy and hold", stroke: "#8c959f", width: 1 },
  ], [data.equity, data.buyAndHold], "equity");

  chart("chart-drawdown", [
    { label: "drawdown %", stroke: "#cf222e", fill: "rgba(207, 34, 46, 0.15)", width: 1 },
  ], [data.drawdownPct], "drawdown %");

  chart("chart-price", [
    { label: "close", stroke: "#8250df", width: 1.5 },
    Object.assign({ label: "entry (buy)" }, markers("#1a7f37")),
    Object.assign({ label: "exit (sell)" }, markers("#cf222e")),
  ], [data.price, sparse(data.buys), sparse(data.sells)], "price");

  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.setSize({ width: width(), height: 300 }); });
  });
  document.body.setAttribute("data-charts-ready", String(charts.length));
})();
`;
