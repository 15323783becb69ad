// Sortable tables, chart drawing and print preparation. Everything the page needs is inline.
(function () {
  "use strict";

  function sortValue(cell, numeric) {
    if (!cell || !cell.hasAttribute("data-sort")) return null;
    var raw = cell.getAttribute("data-sort");
    if (!numeric) return raw.toLowerCase();
    var x = parseFloat(raw);
    return isNaN(x) ? null : x;
  }

  function sortBy(table, column, numeric, header) {
    var body = table.tBodies[0];
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = sortValue(a.cells[column], numeric), y = sortValue(b.cells[column], numeric);
      if (x === y) return 0;
      if (x === null) return 1;  // missing values stay last either way
      if (y === null) return -1;
      return (x < y ? -1 : 1) * (ascending ? 1 : -1);
    });
    rows.forEach(function (row) { body.appendChild(row); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      th.removeAttribute("aria-sort");
    });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  document.querySelectorAll("table.sortable").forEach(function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, column) {
      var button = th.querySelector("button");
      if (!button) return;
      button.addEventListener("click", function () {
        sortBy(table, column, th.classList.contains("num"), th);
      });
    });
  });

  // Fit a chart to the width its holder has (a phone): facets fall into fewer columns and
  // panels narrow, never below a readable width. Labels and legend take about LABELS pixels.
  var LABELS = 220;
  function fitSpec(spec, room) {
    var inner = spec.spec;
    if (spec.facet && inner && typeof inner.width === "number") {
      var columns = Math.max(1, Math.min(spec.columns || 1,
                                         Math.floor(room / (inner.width + LABELS))));
      spec.columns = columns;
      if (columns === 1 && inner.width + LABELS > room) {
        inner.width = Math.max(120, room - LABELS);
      }
    } else if (typeof spec.width === "number" && spec.width + LABELS > room) {
      spec.width = Math.max(120, room - LABELS);
    }
    return spec;
  }

  function drawCharts() {
    if (typeof vegaEmbed !== "function") return;
    var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
    document.querySelectorAll("[data-chart]").forEach(function (holder) {
      var spec = fitSpec(JSON.parse(document.getElementById(holder.getAttribute("data-chart"))
                                    .textContent), holder.clientWidth);
      // Chart colours are neutral (they read on screen in both schemes and on paper); only the
      // tooltip follows the scheme.
      // ast: vega evaluates expressions with its interpreter, not Function(), so the page's
      // Content-Security-Policy needs no 'unsafe-eval'.
      var options = {actions: false, renderer: "svg", ast: true,
                     tooltip: {theme: dark ? "dark" : "light"}};
      vegaEmbed(holder, spec, options).catch(function (error) {
        holder.textContent = "This chart could not be drawn: " + error;
        console.error(error);
      });
    });
  }
  drawCharts();

  // A table wider than its box says so above it (the hint is hidden otherwise).
  function markOverflow() {
    document.querySelectorAll(".table-wrap").forEach(function (wrap) {
      var hint = wrap.previousElementSibling;
      if (hint && hint.classList.contains("scroll-hint")) {
        hint.classList.toggle("shown", wrap.scrollWidth > wrap.clientWidth + 1);
      }
    });
  }
  markOverflow();
  window.addEventListener("resize", markOverflow);
  document.querySelectorAll(".show-details").forEach(function (box) {
    box.addEventListener("change", markOverflow);
  });

  // Collapsed sections would print as one line each; open them for paper.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.setAttribute("open", ""); });
  });
})();
