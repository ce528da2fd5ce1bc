// Progressive enhancement only: every page works without this file.
// An import page refreshes its progress bar in place while the import runs.
(function () {
  var bar = document.querySelector("[data-import-progress]");
  if (!bar) return;
  var url = bar.getAttribute("data-import-progress");
  var timer = setInterval(function () {
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (body) {
      var b = body["import"];
      var status = document.getElementById("import-status");
      var rows = document.getElementById("import-rows");
      if (b.rows_estimated) { bar.max = b.rows_estimated; }
      // Every row read is not done: the products and verdicts are still
      // being written, so the bar stops claiming a fraction.
      if (b.rows_estimated && b.rows_processed >= b.rows_estimated) { bar.removeAttribute("value"); }
      else { bar.value = b.rows_processed; }
      if (rows) rows.textContent = b.rows_processed;
      if (b.status !== "running") { clearInterval(timer); window.location.reload(); }
      else if (status) status.textContent = b.status;
    }).catch(function () {});
  }, 700);
})();
