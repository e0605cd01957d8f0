// loadrun's web page: start, steer and watch a run. Plain JavaScript, no
// build step. Everything that comes from the server (request names, error
// texts, rules, warnings) goes into the page with textContent, never as
// markup, so whatever the target answered shows as text and cannot run.
(function () {
  "use strict";

  var $ = function (id) { return document.getElementById(id); };
  var last = null;        // the latest event
  var editing = false;    // the start form was opened with "New test"
  var history = { time: [], users: [], rps: [], fail_per_sec: [], p50_ms: [], p95_ms: [] };
  var charts = {};
  var sortState = { key: "name", dir: 1 };

  // ---- formatting ----

  function num(v, digits) {
    if (v == null || !isFinite(v)) return "–";
    return v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
  function ms(v) {
    if (v == null) return "–";
    if (v < 10) return num(v, 2);
    if (v < 100) return num(v, 1);
    return num(v, 0);
  }
  function pct(ratio) { return num(ratio * 100, ratio > 0 && ratio < 0.001 ? 3 : 1) + "%"; }
  function duration(secs) {
    if (!secs) return "–";
    secs = Math.floor(secs);
    var h = Math.floor(secs / 3600), m = Math.floor(secs % 3600 / 60), s = secs % 60;
    return (h ? h + "h " : "") + (h || m ? m + "m " : "") + s + "s";
  }
  function clock(secs) {
    var d = new Date(secs * 1000), two = function (n) { return (n < 10 ? "0" : "") + n; };
    return two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds());
  }
  function reqName(method, name) { return method ? method + " " + name : name; }

  // ---- DOM helpers (text only) ----

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = String(text);
    return e;
  }
  function show(e, on) { e.hidden = !on; }

  // renderTable fills a table from column specs ({label, get, fmt, num,
  // key}) and rows; a column with a key is sortable by clicking its header.
  // foot is an optional last row kept out of the sort (Aggregated).
  function renderTable(table, columns, rows, opts) {
    opts = opts || {};
    table.textContent = "";
    var thead = el("thead"), tr = el("tr");
    columns.forEach(function (c) {
      var th = el("th", c.num ? "num" : "", c.label);
      if (opts.sortable && c.key) {
        th.classList.add("sort");
        th.setAttribute("data-key", c.key);
        if (sortState.key === c.key) th.classList.add(sortState.dir > 0 ? "asc" : "desc");
        th.addEventListener("click", function () {
          sortState.dir = sortState.key === c.key ? -sortState.dir : (c.num ? -1 : 1);
          sortState.key = c.key;
          if (last) renderStats(last);
        });
      }
      tr.appendChild(th);
    });
    thead.appendChild(tr);
    table.appendChild(thead);
    var tbody = el("tbody");
    if (rows.length === 0 && opts.empty) {
      var r = el("tr", "empty"), td = el("td", "", opts.empty);
      td.colSpan = columns.length;
      r.appendChild(td);
      tbody.appendChild(r);
    }
    rows.forEach(function (row) { tbody.appendChild(rowEl(columns, row, opts.rowClass)); });
    table.appendChild(tbody);
    if (opts.foot) {
      var tfoot = el("tfoot");
      tfoot.appendChild(rowEl(columns, opts.foot));
      table.appendChild(tfoot);
    }
  }
  function rowEl(columns, row, rowClass) {
    var tr = el("tr", rowClass ? rowClass(row) : "");
    columns.forEach(function (c) {
      var v = c.get(row);
      var td = el("td", c.num ? "num" : (c.cls || ""));
      if (c.badge) {
        td.appendChild(el("span", "badge " + c.badge(row), c.fmt ? c.fmt(v, row) : v));
      } else {
        td.textContent = c.fmt ? c.fmt(v, row) : (v == null ? "" : String(v));
      }
      tr.appendChild(td);
    });
    return tr;
  }

  // ---- statistics ----

  var statColumns = [
    { label: "Type", key: "method", get: function (r) { return r.method; } },
    { label: "Name", key: "name", cls: "name", get: function (r) { return r.name; } },
    { label: "# Requests", key: "requests", num: true, get: function (r) { return r.requests; }, fmt: function (v) { return num(v, 0); } },
    { label: "# Fails", key: "failures", num: true, get: function (r) { return r.failures; }, fmt: function (v) { return num(v, 0); } },
    { label: "Median (ms)", key: "median_ms", num: true, get: function (r) { return r.median_ms; }, fmt: ms },
    { label: "95%ile (ms)", key: "p95_ms", num: true, get: function (r) { return r.p95_ms; }, fmt: ms },
    { label: "99%ile (ms)", key: "p99_ms", num: true, get: function (r) { return r.p99_ms; }, fmt: ms },
    { label: "Average (ms)", key: "avg_ms", num: true, get: function (r) { return r.avg_ms; }, fmt: ms },
    { label: "Min (ms)", key: "min_ms", num: true, get: function (r) { return r.min_ms; }, fmt: ms },
    { label: "Max (ms)", key: "max_ms", num: true, get: function (r) { return r.max_ms; }, fmt: ms },
    { label: "Average size (bytes)", key: "avg_size", num: true, get: function (r) { return r.avg_size; }, fmt: function (v) { return num(v, 0); } },
    { label: "Current RPS", key: "current_rps", num: true, get: function (r) { return r.current_rps; }, fmt: function (v) { return num(v, 1); } },
    { label: "Current Failures/s", key: "current_fail_per_sec", num: true, get: function (r) { return r.current_fail_per_sec; }, fmt: function (v) { return num(v, 1); } }
  ];

  function renderStats(ev) {
    var rows = ev.stats.slice();
    var key = sortState.key, dir = sortState.dir;
    rows.sort(function (a, b) {
      var x = a[key], y = b[key];
      if (x == null && y == null) return 0;
      if (x == null) return 1;
      if (y == null) return -1;
      if (typeof x === "string") return dir * x.localeCompare(y) || a.method.localeCompare(b.method);
      return dir * (x - y);
    });
    renderTable($("stats-table"), statColumns, rows, {
      sortable: true, foot: ev.total, empty: "No requests yet.",
      rowClass: function (r) { return r.failures > 0 ? "has-fail" : ""; }
    });
  }

  // ---- other tabs ----

  function renderFailures(ev) {
    renderTable($("failures-table"), [
      { label: "# Failures", num: true, get: function (r) { return r.count; }, fmt: function (v) { return num(v, 0); } },
      { label: "Method", get: function (r) { return r.method; } },
      { label: "Name", cls: "name", get: function (r) { return r.name; } },
      { label: "Message", cls: "message", get: function (r) { return r.error; } }
    ], ev.failures.slice().sort(function (a, b) { return b.count - a.count; }), { empty: "No failures." });
    $("n-failures").textContent = ev.failures.length ? String(ev.failures.length) : "";
  }

  function renderChecks(ev) {
    renderTable($("checks-table"), [
      { label: "Request", cls: "name", get: function (r) { return reqName(r.method, r.request); } },
      { label: "Checkpoint", cls: "name", get: function (r) { return r.check; } },
      { label: "Passed", num: true, get: function (r) { return r.pass; }, fmt: function (v) { return num(v, 0); } },
      { label: "Failed", num: true, get: function (r) { return r.fail; }, fmt: function (v) { return num(v, 0); } },
      { label: "Pass ratio", num: true, get: function (r) { return r.pass + r.fail ? r.pass / (r.pass + r.fail) : null; },
        fmt: function (v) { return v == null ? "–" : pct(v); } }
    ], ev.checks, { empty: "The scenario has no checkpoints (check: on a request), or none ran yet.",
      rowClass: function (r) { return r.fail > 0 ? "has-fail" : ""; } });
    var failing = ev.checks.filter(function (c) { return c.fail > 0; }).length;
    $("n-checks").textContent = failing ? failing + " failing" : "";
  }

  function renderThresholds(ev) {
    var live = ev.state.state !== "stopped";
    $("thresholds-note").textContent = ev.thresholds.length === 0 ? "" : (live
      ? "Evaluated on the statistics so far; the verdict is final when the run ends."
      : "Final verdict of the run.");
    renderTable($("thresholds-table"), [
      { label: "Result", get: function (r) { return r.pass ? "PASS" : "FAIL"; },
        badge: function (r) { return r.pass ? "pass" : "fail"; } },
      { label: "Request", cls: "name", get: function (r) { return r.request || "all requests"; } },
      { label: "Rule", cls: "name", get: function (r) { return r.rule + (r.aborted ? " (ended the run)" : ""); } },
      { label: "Measured", num: true, get: function (r) { return r.value || "–"; } },
      { label: "Why", cls: "message", get: function (r) { return r.message; } }
    ], ev.thresholds, { empty: "No thresholds: the run passes when no request fails. Add thresholds: to the scenario or --threshold." });
    var failing = ev.thresholds.filter(function (t) { return !t.pass; }).length;
    $("n-thresholds").textContent = ev.thresholds.length ? (failing ? failing + " failing" : "all pass") : "";
  }

  function renderRendezvous(ev) {
    renderTable($("rendezvous-table"), [
      { label: "Rendezvous", cls: "name", get: function (r) { return r.name; } },
      { label: "Groups", num: true, get: function (r) { return r.groups; }, fmt: function (v) { return num(v, 0); } },
      { label: "Full", num: true, get: function (r) { return r.by_count; }, fmt: function (v) { return num(v, 0); } },
      { label: "Timed out", num: true, get: function (r) { return r.by_timeout; }, fmt: function (v) { return num(v, 0); } },
      { label: "Too few users", num: true, get: function (r) { return r.by_shortfall; }, fmt: function (v) { return num(v, 0); } },
      { label: "Avg size", num: true, get: function (r) { return r.size_avg; }, fmt: function (v) { return num(v, 1); } },
      { label: "Max size", num: true, get: function (r) { return r.size_max; }, fmt: function (v) { return num(v, 0); } },
      { label: "Wait p50 (ms)", num: true, get: function (r) { return r.wait_p50_ms; }, fmt: ms },
      { label: "Wait p95 (ms)", num: true, get: function (r) { return r.wait_p95_ms; }, fmt: ms },
      { label: "Wait max (ms)", num: true, get: function (r) { return r.wait_max_ms; }, fmt: ms }
    ], ev.rendezvous, { empty: "No rendezvous point released a group yet (or the scenario has none)." });
    var paced = ev.pacing.length > 0;
    show($("pacing-title"), paced);
    show($("pacing-table"), paced);
    if (paced) {
      renderTable($("pacing-table"), [
        { label: "Paced task", cls: "name", get: function (r) { return r.task; } },
        { label: "Iterations", num: true, get: function (r) { return r.iterations; }, fmt: function (v) { return num(v, 0); } },
        { label: "Late", num: true, get: function (r) { return r.late; }, fmt: function (v) { return num(v, 0); } },
        { label: "Skipped", num: true, get: function (r) { return r.skipped; }, fmt: function (v) { return num(v, 0); } },
        { label: "Lateness p99 (ms)", num: true, get: function (r) { return r.lateness_p99_ms; }, fmt: ms }
      ], ev.pacing);
    }
  }

  function renderPools(ev) {
    if (ev.pools == null) {
      renderTable($("pools-table"), [{ label: "Data pools", get: function () { return ""; } }], [],
        { empty: "This run does not report its data pools." });
      return;
    }
    var count = function (v) { return num(v, 0); };
    renderTable($("pools-table"), [
      { label: "Pool", cls: "name", get: function (r) { return r.name; } },
      { label: "Mode", get: function (r) { return r.mode; } },
      { label: "Rows", num: true, get: function (r) { return r.rows; }, fmt: count },
      { label: "Drawn", num: true, get: function (r) { return r.drawn; }, fmt: count },
      { label: "Left", num: true, get: function (r) { return r.left; }, fmt: function (v) { return v < 0 ? "no limit" : num(v, 0); } },
      { label: "In use", num: true, get: function (r) { return r.in_use; }, fmt: count },
      { label: "Wait timeouts", num: true, get: function (r) { return r.timeouts; }, fmt: count },
      { label: "Draws after the last row", num: true, get: function (r) { return r.exhausted; }, fmt: count }
    ], ev.pools, { empty: "The scenario has no data pools (data:).",
      rowClass: function (r) { return r.timeouts > 0 || r.exhausted > 0 ? "has-warn" : ""; } });
  }

  function renderWorkers(ev) {
    if (ev.workers == null) {
      renderTable($("workers-table"), [
        { label: "Generator", get: function (r) { return r.id; } },
        { label: "State", get: function (r) { return r.state; } },
        { label: "Users", num: true, get: function (r) { return r.users; } },
        { label: "CPU", num: true, get: function (r) { return r.cpu; }, fmt: function (v) { return num(v, 0) + "%"; } }
      ], [{ id: "local (this loadrun process)", state: ev.state.state, users: ev.state.users, cpu: ev.cpu_percent }]);
      return;
    }
    renderTable($("workers-table"), [
      { label: "Worker", cls: "name", get: function (r) { return r.id; } },
      { label: "State", get: function (r) { return r.state; } },
      { label: "Users", num: true, get: function (r) { return r.users; } },
      { label: "Requests", num: true, get: function (r) { return r.requests; } },
      { label: "Failures", num: true, get: function (r) { return r.failures; } },
      { label: "CPU", num: true, get: function (r) { return r.cpu_percent; }, fmt: function (v) { return num(v, 0) + "%"; } },
      { label: "Last heard", get: function (r) { return new Date(r.last_seen).toLocaleTimeString(); } }
    ], ev.workers, { empty: "No worker has connected yet." });
  }

  // renderWarnings shows the first warnings and folds the rest, so that a
  // run with many stalls still shows its tables without scrolling.
  var warningsOpen = false;
  function renderWarnings(ev) {
    var box = $("warnings");
    box.textContent = "";
    var shown = 2, list = ev.warnings;
    var add = function (parent, w) { parent.appendChild(el("li", "", w)); };
    var ul = el("ul");
    list.slice(0, shown).forEach(function (w) { add(ul, w); });
    box.appendChild(ul);
    if (list.length > shown) {
      var more = el("details");
      more.open = warningsOpen;
      more.addEventListener("toggle", function () { warningsOpen = more.open; });
      more.appendChild(el("summary", "", (list.length - shown) + " more warning" + (list.length - shown > 1 ? "s" : "")));
      var rest = el("ul");
      list.slice(shown).forEach(function (w) { add(rest, w); });
      more.appendChild(rest);
      box.appendChild(more);
    }
    show(box, list.length > 0);
  }

  // ---- header, verdict, start form ----

  function renderHeader(ev) {
    var st = ev.state;
    document.title = "loadrun" + (st.title ? " – " + st.title : "") + " (" + st.state + ")";
    $("title").textContent = st.title || "";
    var state = $("st-state");
    state.textContent = st.state.toUpperCase();
    state.className = "state state-" + st.state;
    $("st-host").textContent = st.host || "–";
    var going = st.state === "spawning" || st.state === "running";
    $("st-users").textContent = going && st.users !== st.target_users
      ? st.users + " / " + st.target_users : String(st.users);
    // While a run goes: the current rate; after it: the run's average.
    $("st-rps").textContent = num(ev.total ? (going ? ev.total.current_rps : ev.total.rps) : 0, 1);
    $("st-rps").title = going ? "requests per second over the last few seconds" : "average requests per second of the run";
    var fail = $("st-fail");
    fail.textContent = pct(ev.fail_ratio || 0);
    fail.className = ev.fail_ratio > 0 ? "bad" : "";
    $("st-elapsed").textContent = duration(st.elapsed_seconds) +
      (st.run_time && st.state !== "stopped" && st.state !== "ready" ? " of " + st.run_time : "");
    show($("btn-edit"), going);
    show($("btn-stop"), going);
    show($("btn-reset"), going);
    show($("btn-new"), st.state === "stopped" && !editing);
    $("version").textContent = "loadrun " + (st.version || "") + (st.reason ? " · " + st.reason : "");

    var v = $("verdict");
    if (st.state === "stopped" && st.verdict) {
      v.className = "verdict " + (st.verdict.pass ? "pass" : "fail");
      v.textContent = "";
      v.appendChild(el("strong", "", st.verdict.pass ? "PASSED" : "FAILED"));
      v.appendChild(el("span", "", st.verdict.reason + (st.reason ? " (run ended: " + st.reason + ")" : "")));
      show(v, true);
    } else {
      show(v, false);
    }
  }

  var formFilled = false;
  function fillStartForm(st, force) {
    if (formFilled && !force) return;
    var d = st.defaults;
    $("f-users").value = d.users;
    $("f-rate").value = d.spawn_rate;
    $("f-host").value = d.host || "";
    $("f-time").value = d.run_time || "";
    formFilled = true;
  }

  function renderLayout(ev) {
    var st = ev.state.state;
    var starting = st === "ready" || editing;
    if (st === "ready") fillStartForm(ev.state, false);
    show($("start"), starting);
    show($("btn-cancel-new"), editing && st !== "ready");
    show($("run"), st !== "ready");
  }

  // ---- charts ----

  var colors = { rps: "#1a7f37", fail: "#c62828", p50: "#0072b2", p95: "#e69f00", users: "#6a3d9a" };

  function chartWidth(id) { return Math.max($(id).clientWidth - 4, 320); }

  function makeChart(id, unit, series) {
    var node = $(id);
    var opts = {
      width: chartWidth(id), height: 240,
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: true }, y: { range: function (u, lo, hi) { return [0, hi > 0 ? hi * 1.1 : 1]; } } },
      axes: [
        { stroke: "#5d6875", grid: { stroke: "#eef1f5" }, ticks: { stroke: "#dde2e8" }, space: 70,
          values: function (u, splits) { return splits.map(clock); } },
        { stroke: "#5d6875", grid: { stroke: "#eef1f5" }, ticks: { stroke: "#dde2e8" }, size: 60,
          values: function (u, splits) { return splits.map(function (v) { return v == null ? "" : num(v, v < 10 && v % 1 ? 1 : 0); }); } }
      ],
      series: [{ label: "time", value: function (u, v) { return v == null ? "–" : clock(v); } }].concat(series.map(function (s) {
        return { label: s.label, stroke: s.color, width: 2, fill: s.fill ? s.color + "1f" : undefined,
          points: { show: false }, spanGaps: false,
          value: function (u, v) { return v == null ? "–" : num(v, unit === "ms" ? 1 : 1) + (unit ? " " + unit : ""); } };
      })),
      hooks: { draw: [function () { node.setAttribute("data-points", String(history.time.length)); }] }
    };
    return new uPlot(opts, chartData(series), node);
  }

  function chartData(series) {
    return [history.time].concat(series.map(function (s) { return history[s.field]; }));
  }

  var chartSpecs = {
    rps: { id: "chart-rps", unit: "/s", series: [
      { label: "RPS", field: "rps", color: colors.rps, fill: true },
      { label: "Failures/s", field: "fail_per_sec", color: colors.fail }] },
    rt: { id: "chart-rt", unit: "ms", series: [
      { label: "Median", field: "p50_ms", color: colors.p50 },
      { label: "95th percentile", field: "p95_ms", color: colors.p95 }] },
    users: { id: "chart-users", unit: "", series: [
      { label: "Users", field: "users", color: colors.users, fill: true }] }
  };

  function chartsVisible() { return $("tab-charts").classList.contains("active") && !$("run").hidden; }

  function updateCharts() {
    if (typeof uPlot === "undefined" || !chartsVisible()) return;
    Object.keys(chartSpecs).forEach(function (k) {
      var spec = chartSpecs[k];
      if (!charts[k]) {
        charts[k] = makeChart(spec.id, spec.unit, spec.series);
      } else {
        charts[k].setData(chartData(spec.series));
      }
    });
  }

  function resizeCharts() {
    Object.keys(charts).forEach(function (k) {
      charts[k].setSize({ width: chartWidth(chartSpecs[k].id), height: 240 });
    });
  }

  function addHistory(ev) {
    var h = ev.history;
    if (ev.history_reset) {
      Object.keys(history).forEach(function (k) { history[k] = []; });
    }
    Object.keys(history).forEach(function (k) {
      for (var i = 0; i < h[k].length; i++) history[k].push(h[k][i]);
    });
  }

  // ---- tabs ----

  function selectTab(name) {
    document.querySelectorAll(".tabs button").forEach(function (b) {
      b.classList.toggle("active", b.getAttribute("data-tab") === name);
      b.setAttribute("aria-selected", String(b.getAttribute("data-tab") === name));
    });
    document.querySelectorAll(".panel").forEach(function (p) {
      p.classList.toggle("active", p.id === "tab-" + name);
    });
    if (name === "charts") {
      updateCharts();
      resizeCharts();
    }
    // The tab is in the address, so a reload or a bookmark keeps it.
    if (location.hash !== "#" + name) history_replace("#" + name);
  }

  function history_replace(hash) {
    try { window.history.replaceState(null, "", hash); } catch (e) { /* file: or sandboxed */ }
  }

  // ---- events ----

  function render(ev) {
    last = ev;
    addHistory(ev);
    renderLayout(ev);
    renderHeader(ev);
    renderStats(ev);
    renderFailures(ev);
    renderChecks(ev);
    renderThresholds(ev);
    renderRendezvous(ev);
    renderPools(ev);
    renderWorkers(ev);
    renderWarnings(ev);
    updateCharts();
    document.body.setAttribute("data-state", ev.state.state);
    document.body.setAttribute("data-updates", String(Number(document.body.getAttribute("data-updates") || 0) + 1));
  }

  function connect() {
    var es = new EventSource("/api/events");
    es.addEventListener("update", function (m) {
      show($("conn"), false);
      render(JSON.parse(m.data));
    });
    es.onerror = function () { show($("conn"), true); };
  }

  // ---- actions ----

  function post(path, body) {
    return fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: body == null ? "" : JSON.stringify(body),
      credentials: "same-origin"
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) throw new Error(data.error || (res.status + " " + res.statusText));
        return data;
      });
    });
  }

  function showError(id, err) {
    var p = $(id);
    p.textContent = err ? err.message : "";
    show(p, !!err);
  }

  $("start-form").addEventListener("submit", function (e) {
    e.preventDefault();
    showError("start-error", null);
    $("btn-start").disabled = true;
    post("/api/start", {
      users: $("f-users").value,
      spawn_rate: $("f-rate").value,
      host: $("f-host").value,
      run_time: $("f-time").value
    }).then(function () {
      editing = false;
      Object.keys(history).forEach(function (k) { history[k] = []; });
      selectTab("stats");
    }).catch(function (err) {
      showError("start-error", err);
    }).then(function () { $("btn-start").disabled = false; });
  });

  $("btn-stop").addEventListener("click", function () { post("/api/stop").catch(alertError); });
  $("btn-reset").addEventListener("click", function () { post("/api/reset").catch(alertError); });
  $("btn-new").addEventListener("click", function () {
    editing = true;
    if (last) fillStartForm(last.state, true);
    show($("btn-new"), false);
    if (last) renderLayout(last);
  });
  $("btn-cancel-new").addEventListener("click", function () {
    editing = false;
    if (last) { renderLayout(last); renderHeader(last); }
  });

  $("btn-edit").addEventListener("click", function () {
    var st = last ? last.state : { target_users: 0, spawn_rate: 1 };
    $("e-users").value = st.target_users;
    $("e-rate").value = st.spawn_rate;
    showError("edit-error", null);
    $("edit").showModal();
  });
  $("btn-edit-cancel").addEventListener("click", function () { $("edit").close(); });
  $("edit-form").addEventListener("submit", function (e) {
    e.preventDefault();
    post("/api/users", { users: $("e-users").value, spawn_rate: $("e-rate").value })
      .then(function () { $("edit").close(); })
      .catch(function (err) { showError("edit-error", err); });
  });

  function alertError(err) { window.alert(err.message); }

  document.querySelectorAll(".tabs button").forEach(function (b) {
    b.addEventListener("click", function () { selectTab(b.getAttribute("data-tab")); });
  });
  var resizing = 0;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(resizeCharts, 100);
  });

  var initial = location.hash.slice(1);
  if (document.querySelector('.tabs [data-tab="' + initial.replace(/[^a-z]/g, "") + '"]')) selectTab(initial);

  connect();
})();
