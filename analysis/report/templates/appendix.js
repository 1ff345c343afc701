(function () {
  "use strict";
  // Filters, search and sort for the incident appendix. Everything happens in the page: no
  // request is made, and without JavaScript the controls stay hidden and the full table shows.
  var form = document.getElementById("filters");
  var table = document.getElementById("incidents");
  if (!form || !table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var status = document.getElementById("filter-status");
  var keys = ["year", "region", "perpetrator", "operation", "grade"];
  function plain(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  var texts = rows.map(function (row) { return plain(row.textContent); });
  function number(row, key) {
    var value = row.getAttribute("data-" + key);
    return value === "" ? -1 : Number(value);
  }
  var orders = {
    "date-asc": function (a, b) { return a.dataset.date < b.dataset.date ? -1 : a.dataset.date > b.dataset.date ? 1 : 0; },
    "date-desc": function (a, b) { return orders["date-asc"](b, a); },
    "max-desc": function (a, b) { return number(b, "max") - number(a, "max") || orders["date-asc"](a, b); },
    "min-desc": function (a, b) { return number(b, "min") - number(a, "min") || orders["date-asc"](a, b); }
  };
  function apply() {
    var wanted = keys.map(function (key) { return [key, form.elements[key].value]; });
    var words = plain(form.elements.q.value).split(/\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (row, i) {
      var match = wanted.every(function (pair) {
        return !pair[1] || row.getAttribute("data-" + pair[0]) === pair[1];
      }) && words.every(function (word) { return texts[i].indexOf(word) !== -1; });
      row.hidden = !match;
      if (match) { shown += 1; }
    });
    var order = orders[form.elements.sort.value] || orders["date-asc"];
    rows.slice().sort(order).forEach(function (row) { body.appendChild(row); });
    // The sentence comes from the page, in its language: the script is the same in every
    // edition, so one hash in the Content-Security-Policy allows it.
    status.textContent = status.getAttribute("data-message")
      .replace("{shown}", String(shown)).replace("{total}", String(rows.length));
  }
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); apply(); });
  form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
  form.hidden = false;
  apply();
}());
