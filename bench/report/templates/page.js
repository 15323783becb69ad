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

  function drawCharts() {
    if (typeof vegaEmbed !== "function") return;
    var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
    document.querySelectorAll("[data-chart]").forEach(function (holder) {
      var spec = JSON.parse(document.getElementById(holder.getAttribute("data-chart")).textContent);
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

  // Collapsed sections would print as one line each; open them for paper.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.setAttribute("open", ""); });
  });
})();
