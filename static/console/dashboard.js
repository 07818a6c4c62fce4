/* Draws the dashboard's charts with Apache ECharts from the numbers the page carries (#chart-data).
 * The same numbers are in each chart's table; the drawing is hidden from screen readers. */
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var palette = ["#1a5fcc", "#2e9d5b", "#d97a00", "#8250df", "#c2255c", "#0f7c8c", "#6b7785"];
  var drawn = [];
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var chart = data[element.getAttribute("data-chart")];
    if (!chart) return;
    var option = { color: palette, animation: false, tooltip: { trigger: chart.kind === "pie" ? "item" : "axis" },
                   textStyle: { fontFamily: "system-ui, 'PingFang SC', 'Microsoft YaHei', sans-serif" } };
    if (chart.kind === "pie") {
      option.legend = { bottom: 0 };
      option.series = [{ type: "pie", radius: ["40%", "70%"], label: { formatter: "{b}: {c}" },
        data: chart.categories.map(function (name, index) { return { name: name, value: chart.series[0].data[index] }; })
          .filter(function (slice) { return slice.value !== null; }) }];
    } else {
      option.legend = chart.series.length > 1 ? { top: 0, type: "scroll" } : undefined;
      option.grid = { left: 8, right: 16, top: chart.series.length > 1 ? 36 : 16, bottom: 8, containLabel: true };
      option.xAxis = { type: "category", data: chart.categories, axisLabel: { interval: 0, hideOverlap: true } };
      option.yAxis = { type: "value", minInterval: 1 };
      option.series = chart.series.map(function (series) {
        return { name: series.name, type: chart.kind, data: series.data, connectNulls: false };
      });
    }
    var instance = window.echarts.init(element, null, { renderer: "svg" });
    instance.setOption(option);
    drawn.push(instance);
  });
  window.addEventListener("resize", function () { drawn.forEach(function (instance) { instance.resize(); }); });
})();
