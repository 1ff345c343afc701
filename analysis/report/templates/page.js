(function () {
  "use strict";
  // The one script of every page, in both editions: its sha256 hash in the page's
  // Content-Security-Policy allows it and nothing else. It reads its words from the page, so the
  // same bytes (and the same hash) serve every language. Nothing is fetched.

  // Charts: the page shows each chart as an SVG image; its downloads are made from that image
  // when asked for, instead of travelling in the page as second and third copies.
  var PNG_TEXT_AFTER = 33; // PNG signature (8 bytes) and IHDR chunk (25 bytes)
  var crcTable = null;

  function crc32(bytes) {
    if (!crcTable) {
      crcTable = [];
      for (var n = 0; n < 256; n += 1) {
        var c = n;
        for (var k = 0; k < 8; k += 1) { c = c & 1 ? 0xEDB88320 ^ (c >>> 1) : c >>> 1; }
        crcTable[n] = c >>> 0;
      }
    }
    var crc = 0xFFFFFFFF;
    for (var i = 0; i < bytes.length; i += 1) {
      crc = crcTable[(crc ^ bytes[i]) & 0xFF] ^ (crc >>> 8);
    }
    return (crc ^ 0xFFFFFFFF) >>> 0;
  }

  function joined(parts) {
    var size = parts.reduce(function (sum, part) { return sum + part.length; }, 0);
    var out = new Uint8Array(size);
    var at = 0;
    parts.forEach(function (part) { out.set(part, at); at += part.length; });
    return out;
  }

  function uint32(value) {
    return new Uint8Array([value >>> 24, (value >>> 16) & 0xFF, (value >>> 8) & 0xFF, value & 0xFF]);
  }

  // An iTXt chunk: UTF-8 text under a keyword, uncompressed, with no language tag.
  function textChunk(keyword, text) {
    var encoder = new TextEncoder();
    var typeAndData = joined([
      encoder.encode("iTXt" + keyword), new Uint8Array([0, 0, 0, 0, 0]), encoder.encode(text)
    ]);
    return joined([uint32(typeAndData.length - 4), typeAndData, uint32(crc32(typeAndData))]);
  }

  function base64(bytes) {
    var binary = "";
    for (var i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return window.btoa(binary);
  }

  // The chart drawn at the size of the house PNG (savefig.dpi), with its title and alt text
  // embedded as the PNG's Title and Description, as a data: URL.
  function pngOf(figure, image) {
    var canvas = document.createElement("canvas");
    canvas.width = Number(figure.getAttribute("data-png-width"));
    canvas.height = Number(figure.getAttribute("data-png-height"));
    var context = canvas.getContext("2d");
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
    var drawn = window.atob(canvas.toDataURL("image/png").split(",")[1]);
    var bytes = new Uint8Array(drawn.length);
    for (var i = 0; i < drawn.length; i += 1) { bytes[i] = drawn.charCodeAt(i); }
    var png = joined([
      bytes.subarray(0, PNG_TEXT_AFTER),
      textChunk("Title", figure.getAttribute("data-title")),
      textChunk("Description", image.getAttribute("alt")),
      bytes.subarray(PNG_TEXT_AFTER)
    ]);
    return "data:image/png;base64," + base64(png);
  }

  function chartDownloads() {
    Array.prototype.forEach.call(document.querySelectorAll("figure.chart"), function (figure) {
      var image = figure.querySelector("img");
      var offer = figure.querySelector(".downloads");
      var svg = figure.querySelector("a[data-format=svg]");
      var png = figure.querySelector("a[data-format=png]");
      if (!image || !offer || !svg || !png) { return; }
      svg.href = image.src; // the displayed chart is the SVG file, byte for byte
      png.href = "#";
      // The link gets its file while the click is handled: the browser reads the address
      // after the handlers have run.
      png.addEventListener("click", function (event) {
        try {
          if (png.getAttribute("href") === "#") { png.href = pngOf(figure, image); }
        } catch (error) {
          event.preventDefault();
          throw error;
        }
      });
      offer.hidden = false;
    });
  }

  // The incident appendix: filters, search and sort, in the page. Without JavaScript the
  // controls stay hidden and the full table shows.
  function appendixFilters() {
    var form = document.getElementById("filters");
    var table = document.getElementById("incidents");
    if (!form || !table) { return; }
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var status = document.getElementById("filter-status");
    var plural = new Intl.PluralRules(document.documentElement.lang);
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
      // The page holds the sentence in its language, in each of the catalogue's plural forms;
      // the language's plural rule picks one for the number shown.
      var which = plural.select(shown) === "one" ? "data-message-one" : "data-message-other";
      status.textContent = status.getAttribute(which)
        .replace("{shown}", String(shown)).replace("{total}", String(rows.length));
    }
    form.addEventListener("input", apply);
    form.addEventListener("change", apply);
    form.addEventListener("submit", function (event) { event.preventDefault(); apply(); });
    form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
    form.hidden = false;
    apply();
  }

  chartDownloads();
  appendixFilters();
}());
