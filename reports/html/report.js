// Draws the report's charts with uPlot from the JSON block #loadrun-data.
// Each chart element gets data-drawn (points drawn) and data-pixels (how
// many strongly coloured pixels its canvas holds, i.e. series lines, since
// axes and grid are grey) once uPlot has drawn it: a reader loses nothing
// and a headless browser can check that the charts really drew.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("loadrun-data").textContent);

  function fmt(v) {
    if (v == null) return "–";
    var a = Math.abs(v);
    if (a >= 1e6) return (v / 1e6).toFixed(2) + "M";
    if (a >= 1e4) return (v / 1e3).toFixed(1) + "k";
    if (a >= 100) return v.toFixed(0);
    if (a >= 10) return v.toFixed(1);
    return v.toFixed(2);
  }

  function axisValues(u, splits) {
    return splits.map(function (v) { return v == null ? "" : fmt(v); });
  }

  function colouredPixels(u) {
    var c = u.ctx.canvas, count = 0;
    var px = u.ctx.getImageData(0, 0, c.width, c.height).data;
    for (var i = 0; i < px.length; i += 4) {
      var r = px[i], g = px[i + 1], b = px[i + 2];
      if (px[i + 3] > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 60) count++;
    }
    return count;
  }

  function draw(spec) {
    var el = document.getElementById(spec.id);
    var tables = spec.series.map(function (s) { return [s.x, s.y]; });
    var points = spec.series.reduce(function (n, s) {
      return n + s.y.filter(function (y) { return y != null; }).length;
    }, 0);
    if (points === 0) {
      var empty = document.createElement("div");
      empty.className = "empty";
      empty.textContent = "no data";
      el.appendChild(empty);
      el.setAttribute("data-drawn", "0");
      return null;
    }
    // join aligns the lines on the union of their x values; a value a line
    // does not have there is undefined and spanned, while its own nulls
    // (seconds without a finished request) stay gaps.
    var aligned = tables.length === 1 ? tables[0] : uPlot.join(tables);
    var opts = {
      width: Math.max(el.clientWidth, 300),
      height: 240,
      cursor: { drag: { x: true, y: false } },
      scales: { y: { range: function (u, lo, hi) { return [0, hi > 0 ? hi * 1.08 : 1]; } } },
      axes: [
        { stroke: "#5d6875", grid: { stroke: "#eef1f5" }, ticks: { stroke: "#dde2e8" } },
        { stroke: "#5d6875", grid: { stroke: "#eef1f5" }, ticks: { stroke: "#dde2e8" },
          label: spec.unit, labelSize: 18, size: 56, values: axisValues }
      ],
      series: [{ label: "time" }].concat(spec.series.map(function (s) {
        return {
          label: s.label, stroke: s.color, width: 2,
          fill: spec.series.length === 1 ? s.color + "22" : undefined,
          points: { show: false },
          value: function (u, v) { return v == null ? "–" : fmt(v) + " " + spec.unit; }
        };
      })),
      hooks: {
        draw: [function (u) {
          el.setAttribute("data-drawn", String(points));
          el.setAttribute("data-pixels", String(colouredPixels(u)));
        }]
      }
    };
    return new uPlot(opts, aligned, el);
  }

  var plots = data.charts.map(draw);
  var pending = 0;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () {
      plots.forEach(function (u, i) {
        if (u) u.setSize({ width: Math.max(document.getElementById(data.charts[i].id).clientWidth, 300), height: 240 });
      });
    }, 100);
  });
})();
